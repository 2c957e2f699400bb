// per-vu-iterations: each of 4 VUs runs exactly 3 iterations (12 in all);
// exec.vu.iterationInScenario counts 0, 1, 2 in every VU.
// expect: row GET /echo 12 0
// expect: served /echo 12
// expect: check "iteration of the VU below 3" 12 0
// expect: check "VU ids from 1 to 4" 12 0
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    each: { executor: "per-vu-iterations", vus: 4, iterations: 3 },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/echo`, { tags: { name: "/echo" } });
  check(exec.vu, {
    "iteration of the VU below 3": (vu) => vu.iterationInScenario < 3 && vu.iterationInScenario === __ITER,
    "VU ids from 1 to 4": (vu) => vu.idInTest >= 1 && vu.idInTest <= 4 && vu.idInTest === __VU,
  });
}
