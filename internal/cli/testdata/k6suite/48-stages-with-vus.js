// stages with vus: k6 starts the ramp from vus users (its one scenario,
// "default", of the ramping-vus executor); jsload runs it as that
// scenario: 3 VUs at once, then down to 0 over 1s.
// expect: line Scenario default \(ramping-vus\): from 3 VUs to 0 over 1s, gracefulRampDown 30s
// expect: line Scenario default has ended: its time \(1s\) is over
import http from "k6/http";
import { sleep } from "k6";

export const options = {
  vus: 3,
  stages: [{ duration: "1s", target: 0 }],
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  sleep(0.1);
}
