// k6 refuses the duration shortcut beside scenarios; so does jsload.
// expect: exit 2
// expect: line options.duration is a shortcut for one scenario of its own
import http from "k6/http";

export const options = {
  duration: "10s",
  scenarios: {
    a: { executor: "constant-vus", vus: 1, duration: "1s" },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
}
