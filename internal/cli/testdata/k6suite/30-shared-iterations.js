// shared-iterations: 3 VUs share 10 iterations; every iteration has its
// own exec.scenario.iterationInTest (0..9), and the scenario's name and
// executor are those of options.scenarios.
// expect: row GET /ok 10 0
// expect: served /ok 10
// expect: row GET /bytes 10 0
// expect: served /bytes/1 1
// expect: served /bytes/2 1
// expect: served /bytes/3 1
// expect: served /bytes/4 1
// expect: served /bytes/5 1
// expect: served /bytes/6 1
// expect: served /bytes/7 1
// expect: served /bytes/8 1
// expect: served /bytes/9 1
// expect: served /bytes/10 1
// expect: check "scenario name" 10 0
// expect: check "unique iteration below 10" 10 0
// expect: line Scenario shared \(shared-iterations\): 10 iterations shared by 3 VUs
// expect: line Scenario shared has ended: its users are done \(10 iterations started\)
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    shared: { executor: "shared-iterations", vus: 3, iterations: 10, maxDuration: "30s" },
  },
};

const seen = {};

export default function () {
  const i = exec.scenario.iterationInTest;
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  check(exec.scenario, {
    "scenario name": (s) => s.name === "shared" && s.executor === "shared-iterations",
    "unique iteration below 10": () => i >= 0 && i < 10 && !seen[i],
  });
  seen[i] = true;
  http.get(`${__ENV.BASE_URL}/bytes/${i + 1}`, { tags: { name: "/bytes" } });
}
