// http.asyncRequest: the request is made at once and its promise settles
// with the response (rejected with what a bad request throws), so an async
// default function can await it.
// expect: row GET async 2 0
// expect: row POST async-post 2 0
// expect: check "async response" 2 0
// expect: check "Promise.all" 2 0
// expect: check "rejected with the error" 2 0
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2 };

const BASE = __ENV.BASE_URL;

export default async function () {
  const res = await http.asyncRequest("GET", `${BASE}/ok`, null, { tags: { name: "async" } });
  check(res, { "async response": (r) => r.status === 200 && r.body === "ok" });
  const [a, b] = await Promise.all([
    http.asyncRequest("GET", `${BASE}/status/201`),
    http.asyncRequest("POST", `${BASE}/echo`, "x", { tags: { name: "async-post" } }),
  ]);
  check(null, { "Promise.all": () => a.status === 201 && b.json().body === "x" });
  let message = "";
  try {
    await http.asyncRequest("GET", `${BASE}/ok`, null, { bogus: 1 });
  } catch (e) {
    message = e.message;
  }
  check(message, { "rejected with the error": (m) => m.includes('param "bogus" is not supported') });
}
