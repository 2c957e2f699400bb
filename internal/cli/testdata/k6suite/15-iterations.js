// Thresholds on iterations, iteration_duration and data_received (the
// response bodies' bytes), and on the scenario tag of iterations.
// expect: exit 0
// expect: threshold PASS iterations count==5 5
// expect: threshold PASS iterations{scenario:default} count==5 5
// expect: threshold PASS iteration_duration "p(90)<10000"
// expect: threshold PASS data_received count==500 500
// expect: threshold PASS data_received{name:hundred} count==500 500
import http from "k6/http";

export const options = {
  vus: 2,
  iterations: 5,
  thresholds: {
    iterations: ["count==5"],
    "iterations{scenario:default}": ["count==5"],
    iteration_duration: ["p(90)<10000"],
    data_received: ["count==500"],
    "data_received{name:hundred}": ["count==500"],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/bytes/100`, { tags: { name: "hundred" } });
}
