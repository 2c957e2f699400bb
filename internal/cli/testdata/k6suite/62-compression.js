// params.compression: the body goes gzip-compressed with its
// Content-Encoding; "br" is refused with a message.
// expect: check "compressed" 1 0
// expect: exit 1
// expect: line params.compression "br" is not supported by jsload
import http from "k6/http";
import { check } from "k6";

const BASE = __ENV.BASE_URL;

export default function () {
  const body = "a".repeat(1000);
  const res = http.post(`${BASE}/echo`, body, { compression: "gzip" });
  check(res.json(), { compressed: (e) => e.headers["Content-Encoding"] === "gzip" && e.body.length < 100 });
  http.post(`${BASE}/echo`, body, { compression: "br" });
}
