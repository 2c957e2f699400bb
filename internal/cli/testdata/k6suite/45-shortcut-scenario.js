// Without options.scenarios, k6 makes one scenario named "default" of the
// shortcuts: vus with iterations is shared-iterations.
// expect: row GET /ok 4 0
// expect: check "the default scenario" 4 0
// expect: line Starting 2 users at once
// expect: no-line 1e\+09
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

export const options = { vus: 2, iterations: 4 };

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  check(exec.scenario, {
    "the default scenario": (s) => s.name === "default" && s.executor === "shared-iterations" && s.startTime > 0,
  });
}
