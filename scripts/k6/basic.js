// A k6 script, run by jsload unchanged against the demo server:
//   go run ./demo/golang -addr 127.0.0.1:8080 &
//   jsload run scripts/k6/basic.js --headless
// What jsload reads of k6's API: README, "k6 scripts".
import http from "k6/http";
import { check, group, sleep } from "k6";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8080";

export const options = {
  stages: [
    { duration: "10s", target: 10 }, // ramp from 1 to 10 users
    { duration: "20s", target: 10 },
    { duration: "5s", target: 0 },
  ],
};

export function setup() {
  const res = http.get(`${BASE}/`);
  check(res, { "server is up": (r) => r.status === 200 });
  return { base: BASE };
}

export default function (data) {
  group("login", () => {
    const res = http.post(`${data.base}/login`, JSON.stringify({ user: `user${__VU}` }), {
      headers: { "Content-Type": "application/json" },
    });
    check(res, { "logged in": (r) => r.status === 200 && r.json().ok === true });
  });
  group("browse", () => {
    const entries = http.get(`${data.base}/entries?page=${__ITER % 5}`, { tags: { name: "/entries" } });
    check(entries, { "entries listed": (r) => r.status === 200 });
    const profile = http.get(`${data.base}/profile`);
    check(profile, { "profile is JSON": (r) => r.headers["Content-Type"].startsWith("application/json") });
  });
  const created = http.post(`${data.base}/api/users`, JSON.stringify({ name: `user${__VU}-${__ITER}` }), {
    headers: { "Content-Type": "application/json" },
    tags: { name: "/api/users" },
  });
  check(created, { "user created": (r) => r.status === 201 || r.status === 200 });
  sleep(1);
}
