// A threshold that fails makes the exit code 4 (k6: 99); the run's
// failures (404s) are counted, and its checks say which failed.
// expect: exit 4
// expect: row GET missing 5 5
// expect: check "is 404" 5 0
// expect: check "is 200" 0 5
// expect: line FAIL +http_req_failed\{name:missing\} +rate<0\.5
// expect: line PASS +checks +rate<0\.6
import http from "k6/http";
import { check } from "k6";

export const options = {
  iterations: 5,
  thresholds: {
    "http_req_failed{name:missing}": ["rate<0.5"],
    checks: ["rate<0.6"],
  },
};

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/status/404`, { tags: { name: "missing" } });
  check(res, { "is 404": (r) => r.status === 404, "is 200": (r) => r.status === 200 });
}
