// Thresholds on iterations, iteration_duration and data_received (the
// response bodies' bytes), filtered by scenario too.
// expect: exit 0
// expect: threshold PASS iterations count==5 5
// expect: threshold PASS iterations{scenario:pool} count==3 3
// expect: threshold PASS http_reqs{scenario:each} count==2 2
// expect: threshold PASS iteration_duration{scenario:each} "p(90)<10000"
// expect: threshold PASS data_received count==500 500
// expect: threshold PASS data_received{name:hundred} count==500 500
import http from "k6/http";

export const options = {
  scenarios: {
    pool: { executor: "shared-iterations", vus: 2, iterations: 3 },
    each: { executor: "per-vu-iterations", vus: 2, iterations: 1 },
  },
  thresholds: {
    iterations: ["count==5"],
    "iterations{scenario:pool}": ["count==3"],
    "http_reqs{scenario:each}": ["count==2"],
    "iteration_duration{scenario:each}": ["p(90)<10000"],
    data_received: ["count==500"],
    "data_received{name:hundred}": ["count==500"],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/bytes/100`, { tags: { name: "hundred" } });
}
