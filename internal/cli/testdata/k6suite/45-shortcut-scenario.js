// Without options.scenarios, k6 makes one scenario named "default" of the
// shortcuts: vus with iterations is shared-iterations, whose iterations
// have numbers unique over all VUs (exec.scenario.iterationInTest).
// expect: row GET /ok 4 0
// expect: row GET /bytes 4 0
// expect: served /bytes/1 1
// expect: served /bytes/2 1
// expect: served /bytes/3 1
// expect: served /bytes/4 1
// expect: check "the default scenario" 4 0
// expect: check "unique iteration below 4" 4 0
// expect: line Starting 2 users at once
// expect: no-line 1e\+09
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

export const options = { vus: 2, iterations: 4 };

const seen = {};

export default function () {
  const i = exec.scenario.iterationInTest;
  check(i, { "unique iteration below 4": (n) => n >= 0 && n < 4 && !seen[n] });
  seen[i] = true;
  http.get(`${__ENV.BASE_URL}/bytes/${i + 1}`, { tags: { name: "/bytes" } });
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  check(exec.scenario, {
    "the default scenario": (s) => s.name === "default" && s.executor === "shared-iterations" && s.startTime > 0,
  });
}
