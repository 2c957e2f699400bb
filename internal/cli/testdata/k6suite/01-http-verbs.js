// The k6/http verbs with k6's argument shapes, checks and a group.
// expect: row GROUP ::home 8 0
// expect: row GET home 8 0
// expect: row POST /echo 8 0
// expect: row PUT form 8 0
// expect: check "status is 200" 8 0
// expect: check "echoed the body" 8 0
// expect: served /ok 8
// expect: served /echo 16
// expect: line teardown saw data true
import http from "k6/http";
import { check, group } from "k6";

export const options = { vus: 2, iterations: 8 };

const BASE = __ENV.BASE_URL;

export function setup() {
  return { started: true };
}

export default function (data) {
  group("home", () => {
    const res = http.get(`${BASE}/ok`, { tags: { name: "home" } });
    check(res, { "status is 200": (r) => r.status === 200 });
  });
  const res = http.post(`${BASE}/echo`, JSON.stringify({ n: 1 }), {
    headers: { "Content-Type": "application/json" },
    tags: { name: "/echo" },
  });
  check(res, { "echoed the body": (r) => r.json().body === '{"n":1}' && r.json().method === "POST" });
  http.put(`${BASE}/echo`, { a: "x y" }, { tags: { name: "form" } });
}

export function teardown(data) {
  console.log("teardown saw data", data.started);
}
