// options.discardResponseBodies: bodies are read and counted but not kept
// (null), unless a request asks for a responseType.
// expect: check "discarded" 2 0
// expect: check "kept as text" 2 0
// expect: check "kept as binary" 2 0
// expect: row GET discarded 2 0
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2, discardResponseBodies: true };

const BASE = __ENV.BASE_URL;

export default function () {
  check(http.get(`${BASE}/bytes/100`, { tags: { name: "discarded" } }), { discarded: (r) => r.body === null });
  check(http.get(`${BASE}/ok`, { responseType: "text" }), { "kept as text": (r) => r.body === "ok" });
  check(http.get(`${BASE}/bytes/3`, { responseType: "binary" }), { "kept as binary": (r) => r.body.byteLength === 3 });
}
