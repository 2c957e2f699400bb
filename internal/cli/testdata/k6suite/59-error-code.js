// error_code: k6's codes for a refused connection (1212), a timeout
// (1050) and an error status (1000 + status); status is 0 and error the
// message on a transport error.
// expect: check "refused" 2 0
// expect: check "timeout" 2 0
// expect: check "status code" 2 0
// expect: check "no error" 2 0
// expect: row GET refused 2 2
// expect: row GET slow 2 2
// expect: exit 1
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2 };

const BASE = __ENV.BASE_URL;

export default function () {
  const refused = http.get("http://127.0.0.1:1/", { tags: { name: "refused" } });
  check(refused, {
    refused: (r) => r.error_code === 1212 && r.status === 0 && r.error.includes("connection refused"),
  });
  const slow = http.get(`${BASE}/delay/2000`, { timeout: "100ms", tags: { name: "slow" } });
  check(slow, { timeout: (r) => r.error_code === 1050 && r.status === 0 });
  const missing = http.get(`${BASE}/status/404`);
  check(missing, { "status code": (r) => r.error_code === 1404 });
  check(http.get(`${BASE}/ok`), { "no error": (r) => r.error_code === 0 && r.error === "" });
}
