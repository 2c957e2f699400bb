// A k6 script with several scenarios, run by jsload unchanged against the
// demo server:
//   go run ./demo/golang -addr 127.0.0.1:8080 &
//   jsload run scripts/k6/scenarios.js --headless
//   jsload inspect scripts/k6/scenarios.js   # the scenarios' schedules
// What jsload reads of k6's scenarios: README, "Scenarios and executors".
import http from "k6/http";
import { check, sleep } from "k6";
import exec from "k6/execution";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8080";

export const options = {
  scenarios: {
    // Readers ramp up and down while the others run.
    readers: {
      executor: "ramping-vus",
      exec: "read",
      startVUs: 0,
      stages: [
        { duration: "5s", target: 5 },
        { duration: "10s", target: 5 },
        { duration: "5s", target: 0 },
      ],
      gracefulRampDown: "2s",
    },
    // Sign-ups arrive at a steady rate, however fast the server answers.
    signups: {
      executor: "constant-arrival-rate",
      exec: "signup",
      rate: 4,
      timeUnit: "1s",
      duration: "15s",
      preAllocatedVUs: 2,
      maxVUs: 10,
      startTime: "5s",
    },
    // Each of 2 users logs in 3 times once the others are done.
    logins: {
      executor: "per-vu-iterations",
      exec: "login",
      vus: 2,
      iterations: 3,
      startTime: "20s",
      env: { WHO: "late" },
    },
  },
  thresholds: { "http_req_duration{name:/entries}": ["p(95)<500"] },
};

export function read() {
  const res = http.get(`${BASE}/entries?page=${exec.scenario.iterationInTest % 5}`, { tags: { name: "/entries" } });
  check(res, { "entries listed": (r) => r.status === 200 });
  sleep(0.5);
}

export function signup() {
  const name = `user-${exec.scenario.iterationInTest}`;
  const res = http.post(`${BASE}/api/users`, JSON.stringify({ name }), {
    headers: { "Content-Type": "application/json" },
    tags: { name: "/api/users" },
  });
  check(res, { "user created": (r) => r.status === 201 || r.status === 200 });
}

export function login() {
  const res = http.post(`${BASE}/login`, JSON.stringify({ user: `${__ENV.WHO}${exec.vu.idInTest}` }), {
    headers: { "Content-Type": "application/json" },
  });
  check(res, { "logged in": (r) => r.status === 200 });
}
