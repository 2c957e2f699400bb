// The response's timings in k6's fields, the server's address, the
// protocol and the request as sent. A new connection is connecting > 0; a
// kept-alive one 0.
// expect: check "timings" 1 0
// expect: check "first request connects" 1 0
// expect: check "second reuses" 1 0
// expect: check "remote address" 1 0
// expect: check "request" 1 0
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 1 };

const BASE = __ENV.BASE_URL;

export default function () {
  const first = http.post(`${BASE}/echo`, "payload", { headers: { "X-Test": "1" } });
  const t = first.timings;
  check(first, {
    timings: (r) =>
      ["blocked", "looking_up", "connecting", "tls_handshaking", "sending", "waiting", "receiving", "duration"].every(
        (k) => typeof t[k] === "number" && t[k] >= 0,
      ) && t.duration >= t.waiting,
    "first request connects": () => t.connecting > 0 && t.tls_handshaking === 0,
    "remote address": (r) => r.remote_ip === "127.0.0.1" && `${BASE}`.endsWith(`:${r.remote_port}`) && r.proto === "HTTP/1.1",
    request: (r) =>
      r.request.method === "POST" && r.request.url === `${BASE}/echo` && r.request.body === "payload" && r.request.headers["X-Test"][0] === "1",
  });
  const second = http.get(`${BASE}/ok`);
  check(second, { "second reuses": (r) => r.timings.connecting === 0 });
}
