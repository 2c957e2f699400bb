// ramping-vus: from 0 to 2 VUs over 1s, then down to 0 over 1s. The
// schedule itself is checked in plan_scenarios_test.go; here, that the
// scenario runs and ends by its stages.
// expect: line Scenario ramp \(ramping-vus\): from 0 VUs to 2 over 1s, then 0 over 1s, gracefulRampDown 1s
// expect: line Scenario ramp has ended: its time \(2s\) is over
// expect: no-line interrupted
// expect: no-line All users spawned
import http from "k6/http";
import { sleep } from "k6";

export const options = {
  scenarios: {
    ramp: {
      executor: "ramping-vus",
      startVUs: 0,
      stages: [
        { duration: "1s", target: 2 },
        { duration: "1s", target: 0 },
      ],
      gracefulRampDown: "1s",
    },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  sleep(0.05);
}
