// Two scenarios with their own exec functions, env and tags; the second
// starts 300ms after the first has ended (startTime), so its first
// iteration sees all of the first scenario's iterations completed.
// expect: row GET browse 4 0
// expect: row POST buy 2 0
// expect: served /ok 4
// expect: served /echo 2
// expect: check "browse sees its env" 4 0
// expect: check "buy starts after browse" 2 0
// expect: check "buy has its tags" 2 0
// expect: line Scenario buyers \(per-vu-iterations\): 1 iterations for each of 2 VUs, maxDuration 10m0s, starting at 1.3s, gracefulStop 30s, exec buy
// expect: line Scenario buyers starts
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    browsers: {
      executor: "shared-iterations",
      exec: "browse",
      vus: 2,
      iterations: 4,
      env: { PAGE: "home" },
    },
    buyers: {
      executor: "per-vu-iterations",
      exec: "buy",
      vus: 2,
      iterations: 1,
      startTime: "1.3s",
      tags: { kind: "checkout" },
    },
  },
};

export function browse() {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "browse" } });
  check(__ENV, { "browse sees its env": (e) => e.PAGE === "home" && exec.scenario.name === "browsers" });
}

export function buy() {
  http.post(`${__ENV.BASE_URL}/echo`, "x", { tags: { name: "buy" } });
  check(exec, {
    "buy starts after browse": (x) => x.instance.iterationsCompleted >= 4 && __ENV.PAGE === undefined,
    "buy has its tags": (x) => x.vu.tags.kind === "checkout" && x.vu.tags.scenario === "buyers",
  });
}

export default function () {
  throw new Error("the default function is not a scenario's exec here");
}
