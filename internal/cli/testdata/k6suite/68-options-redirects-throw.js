// options.maxRedirects is every request's redirect limit (at it the last
// 3xx is returned); options.throw makes transport errors throw unless a
// request says throw: false.
// expect: exit 1
// expect: check "stopped at the option's limit" 1 0
// expect: check "params.throw false wins" 1 0
// expect: line Error: GET http://127\.0\.0\.1:1/refused-by-option: connection refused
// expect: served /redirect/1 0
import http from "k6/http";
import { check } from "k6";

export const options = { maxRedirects: 1, throw: true };

const BASE = __ENV.BASE_URL;

export default function () {
  check(http.get(`${BASE}/redirect/3`), { "stopped at the option's limit": (r) => r.status === 302 && r.url === `${BASE}/redirect/2` });
  check(http.get("http://127.0.0.1:1/", { throw: false }), { "params.throw false wins": (r) => r.error_code === 1212 });
  http.get("http://127.0.0.1:1/refused-by-option");
}
