// abortOnFail: a threshold that fails during the run stops it (checked
// every second once its metric has data) long before its duration; the
// exit code is 4, as for any failed threshold.
// expect: exit 4
// expect: line threshold "rate<0\.1" on http_req_failed failed \(measured 1\.0000\): stopping the test \(abortOnFail\)
// expect: threshold FAIL http_req_failed rate<0.1 1
// expect: no-line Run time limit reached|--run-time limit reached
// expect: args --exit-code-on-error 0
import http from "k6/http";
import { sleep } from "k6";

export const options = {
  vus: 1,
  duration: "60s",
  thresholds: {
    http_req_failed: [{ threshold: "rate<0.1", abortOnFail: true }],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/status/500`);
  sleep(0.1);
}
