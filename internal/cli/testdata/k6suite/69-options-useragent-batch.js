// options.userAgent is every request's User-Agent; options.batch bounds
// the requests of an http.batch in flight at once (all are still sent).
// expect: check "user agent" 1 0
// expect: check "batch done" 1 0
// expect: served /echo 1
// expect: served /delay/20 6
import http from "k6/http";
import { check } from "k6";

export const options = { userAgent: "MyK6Test/1.0", batch: 2 };

const BASE = __ENV.BASE_URL;

export default function () {
  check(http.get(`${BASE}/echo`), { "user agent": (r) => r.json().headers["User-Agent"] === "MyK6Test/1.0" });
  const rs = http.batch(Array.from({ length: 6 }, () => `${BASE}/delay/20`));
  check(rs, { "batch done": (rs) => rs.length === 6 && rs.every((r) => r.status === 200) });
}
