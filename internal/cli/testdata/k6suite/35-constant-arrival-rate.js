// constant-arrival-rate: 20 iterations a second for 1s from 2
// preallocated VUs (up to 5); the iterations start whatever the response
// time. The count depends on time: checked through the engine's computed
// schedule in its own tests; here, that every request passed.
// expect: line Scenario arrivals \(constant-arrival-rate\): 20 iterations per 1s for 1s, 2 VUs preallocated, at most 5
// expect: line Scenario arrivals has ended: its time \(1s\) is over
import http from "k6/http";
import { check } from "k6";
import exec from "k6/execution";

export const options = {
  scenarios: {
    arrivals: {
      executor: "constant-arrival-rate",
      rate: 20,
      timeUnit: "1s",
      duration: "1s",
      preAllocatedVUs: 2,
      maxVUs: 5,
    },
  },
};

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  check(res, { "ok": (r) => r.status === 200 && exec.scenario.executor === "constant-arrival-rate" });
}
