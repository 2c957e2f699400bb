// A k6 script that ends with its own summary: k6's text layout on stdout
// (textSummary, served by jsload for k6's jslib URL), the summary data as
// JSON and the thresholds as JUnit XML for CI. Against the demo server:
//   go run ./demo/golang -addr 127.0.0.1:8080 &
//   jsload run scripts/k6/summary.js --headless
// What jsload reads of it: README, "End-of-test summary and handleSummary".
import http from "k6/http";
import { check } from "k6";
import { textSummary, jUnit } from "https://jslib.k6.io/k6-summary/0.0.2/index.js";

const BASE = __ENV.BASE_URL || "http://127.0.0.1:8080";

export const options = {
  vus: 5,
  duration: "10s",
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max"],
  thresholds: {
    "http_req_duration{name:/entries}": ["p(95)<1000"],
    "http_req_failed{name:/entries}": ["rate<0.01"],
    checks: ["rate>0.99"],
  },
};

export default function () {
  const res = http.get(`${BASE}/entries?page=${__ITER % 5}`, { tags: { name: "/entries" } });
  check(res, { "entries listed": (r) => r.status === 200 });
}

export function handleSummary(data) {
  return {
    stdout: textSummary(data, { indent: " ", enableColors: true }),
    "summary.json": JSON.stringify(data, null, 2),
    "junit.xml": jUnit(data, { name: "jsload thresholds" }),
  };
}
