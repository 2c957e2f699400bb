// ramping-arrival-rate: from 0 to 20 iterations a second over 1s, with
// timeUnit and stages as k6 writes them.
// expect: line Scenario ramp \(ramping-arrival-rate\): from 0 iterations per 1s to 20 over 1s, 1 VUs preallocated, at most 4
// expect: line Scenario ramp has ended: its time \(1s\) is over
import http from "k6/http";

export const options = {
  scenarios: {
    ramp: {
      executor: "ramping-arrival-rate",
      startRate: 0,
      timeUnit: "1s",
      preAllocatedVUs: 1,
      maxVUs: 4,
      stages: [{ target: 20, duration: "1s" }],
    },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
}
