// params.throw makes a transport error throw (counted as the iteration's
// exception); http.batch requests get the same params: cookies, expected
// statuses, k6's response fields.
// expect: exit 1
// expect: row GET batch-404 2 0
// expect: row GET batch-cookies 2 0
// expect: check "batch cookie sent" 2 0
// expect: check "batch fields" 2 0
// expect: line Error: GET http://127\.0\.0\.1:1/: connection refused
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2 };

const BASE = __ENV.BASE_URL;

export default function () {
  const [notFound, cookies] = http.batch([
    ["GET", `${BASE}/status/404`, null, { tags: { name: "batch-404" }, responseCallback: http.expectedStatuses(404) }],
    { method: "GET", url: `${BASE}/cookies`, params: { cookies: { flavour: "oat" }, tags: { name: "batch-cookies" } } },
  ]);
  check(cookies, { "batch cookie sent": (r) => r.json().flavour === "oat" });
  check(notFound, { "batch fields": (r) => r.error_code === 1404 && r.remote_ip === "127.0.0.1" && r.request.method === "GET" });
  http.get("http://127.0.0.1:1/", { throw: true });
}
