// textSummary from k6's jslib URL renders the summary on stdout, and the
// same data goes to a file.
// expect: line ^\s+█ TOTAL RESULTS
// expect: line ^\s+checks_succeeded\.+: 100\.00% +6 out of 6$
// expect: line ^\s+✓ status is 200$
// expect: line ^\s+✓ body is ok$
// expect: line ^\s+http_reqs\.+: 3 +[0-9.]+/s$
// expect: line ^\s+http_req_failed\.+: 0\.00% +0 out of 3$
// expect: no-line Aggregated
// expect: file result.json "count":3
import http from "k6/http";
import { check } from "k6";
import { textSummary } from "https://jslib.k6.io/k6-summary/0.0.2/index.js";

export const options = { vus: 1, iterations: 3 };

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/ok`);
  check(res, {
    "status is 200": (r) => r.status === 200,
    "body is ok": (r) => r.body === "ok",
  });
}

export function handleSummary(data) {
  return {
    stdout: textSummary(data, { indent: " ", enableColors: false }),
    [`${__ENV.OUT_DIR}/result.json`]: JSON.stringify(data),
  };
}
