// params.responseType: "binary" gives an ArrayBuffer, "none" keeps no
// body (null) but the bytes are still counted, "text" (the default) a
// string.
// expect: check "binary body" 2 0
// expect: check "no body kept" 2 0
// expect: check "text body" 2 0
// expect: row GET binary 2 0
// expect: row GET none 2 0
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2 };

const BASE = __ENV.BASE_URL;

export default function () {
  const bin = http.get(`${BASE}/bytes/1024`, { responseType: "binary", tags: { name: "binary" } });
  check(bin, {
    "binary body": (r) => r.body instanceof ArrayBuffer && r.body.byteLength === 1024 && new Uint8Array(r.body)[0] === 0,
  });
  const none = http.get(`${BASE}/bytes/1024`, { responseType: "none", tags: { name: "none" } });
  check(none, { "no body kept": (r) => r.body === null && r.status === 200 });
  const text = http.get(`${BASE}/ok`, { responseType: "text" });
  check(text, { "text body": (r) => typeof r.body === "string" && r.body === "ok" });
}
