// constant-vus: 2 VUs loop for 1s (k6's shortest duration); each
// iteration sleeps, so the count depends on time and only what does not
// is checked: every request passed, the scenario ended by its time.
// expect: line Scenario steady \(constant-vus\): 2 VUs for 1s, gracefulStop 2s
// expect: line Scenario steady has ended: its time \(1s\) is over
// expect: no-line interrupted
import http from "k6/http";
import { check, sleep } from "k6";

export const options = {
  scenarios: {
    steady: { executor: "constant-vus", vus: 2, duration: "1s", gracefulStop: "2s" },
  },
};

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  check(res, { "status 200": (r) => r.status === 200 });
  sleep(0.1);
}
