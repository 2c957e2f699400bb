// k6 refuses iterations below vus in shared-iterations; so does jsload.
// expect: exit 2
// expect: line options.scenarios.few in the script: iterations \(2\) must be at least vus \(5\), as k6 requires
import http from "k6/http";

export const options = {
  scenarios: {
    few: { executor: "shared-iterations", vus: 5, iterations: 2 },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
}
