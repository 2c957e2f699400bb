// externally-controlled is refused, naming what to use instead.
// expect: exit 2
// expect: line the externally-controlled executor is not supported
import http from "k6/http";

export const options = {
  scenarios: {
    ctl: { executor: "externally-controlled", vus: 2, maxVUs: 10, duration: "10m" },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
}
