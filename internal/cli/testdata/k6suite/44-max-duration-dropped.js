// maxDuration: one VU's first of 3 iterations outlasts the scenario's
// 1s, so it is interrupted (gracefulStop 0s) and the 2 others are never
// started: k6 counts them as dropped iterations.
// expect: row GET /ok 1 0
// expect: served /ok 1
// expect: line Scenario capped has ended: its time \(1s\) is over, 2 iterations not started \(dropped\)
import http from "k6/http";
import { sleep } from "k6";

export const options = {
  scenarios: {
    capped: { executor: "per-vu-iterations", vus: 1, iterations: 3, maxDuration: "1s", gracefulStop: "0s" },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  sleep(30);
}
