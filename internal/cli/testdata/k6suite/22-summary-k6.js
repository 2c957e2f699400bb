// --summary k6 prints k6's compact end-of-test summary instead of
// jsload's final tables: thresholds first, then the totals by section.
// expect: args --summary k6
// expect: exit 4
// expect: line ^\s+█ THRESHOLDS $
// expect: line ^\s+http_req_duration\{name:home\}$
// expect: line ^\s+✓ 'p\(95\)<5000' p\(95\)=\S+$
// expect: line ^\s+http_req_failed\{name:missing\}$
// expect: line ^\s+✗ 'rate<0.5' rate=100\.00%$
// expect: line ^\s+checks_total\.+: 8 +[0-9.]+/s$
// expect: line ^\s+checks_failed\.+: 50\.00% +4 out of 8$
// expect: line ^\s+✗ found$
// expect: line ^\s+↳  0% — ✓ 0 / ✗ 4$
// expect: line ^\s+HTTP$
// expect: line ^\s+http_req_duration\.+: avg=\S+ +min=\S+ +med=\S+ +max=\S+ +p\(90\)=\S+ +p\(95\)=\S+$
// expect: line ^\s+http_reqs\.+: 8 +[0-9.]+/s$
// expect: line ^\s+EXECUTION$
// expect: line ^\s+iterations\.+: 4 +[0-9.]+/s$
// expect: line ^\s+vus_max\.+: 2 +min=2 +max=2$
// expect: line ^\s+NETWORK$
// expect: line ^\s+data_received\.+: 8 B +[0-9.]+ [kM]?B/s$
// expect: no-line Aggregated
// expect: no-line Response time percentiles
import http from "k6/http";
import { check } from "k6";

export const options = {
  vus: 2,
  iterations: 4,
  thresholds: {
    "http_req_duration{name:home}": ["p(95)<5000"],
    "http_req_failed{name:missing}": ["rate<0.5"],
  },
};

export default function () {
  const ok = http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "home" } });
  check(ok, { "status is 200": (r) => r.status === 200 });
  const missing = http.get(`${__ENV.BASE_URL}/status/404`, { tags: { name: "missing" } });
  check(missing, { found: (r) => r.status === 200 });
}
