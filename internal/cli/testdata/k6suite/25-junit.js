// jUnit from k6's jslib URL: the thresholds as JUnit XML for CI, one test
// case per threshold, a failed one with a failure element.
// expect: exit 4
// expect: file junit.xml <testsuites tests="2" failures="1">
// expect: file junit.xml <testcase name="http_req_duration\{name:fast\} - p\(99\)&lt;10000" classname="perf"></testcase>
// expect: file junit.xml <testcase name="http_reqs\{name:fast\} - count&gt;100" classname="perf">\s*<failure message="failed"></failure>
import http from "k6/http";
import { jUnit } from "https://jslib.k6.io/k6-summary/0.0.2/index.js";

export const options = {
  iterations: 3,
  thresholds: {
    "http_req_duration{name:fast}": ["p(99)<10000"],
    "http_reqs{name:fast}": ["count>100"],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "fast" } });
}

export function handleSummary(data) {
  return { [`${__ENV.OUT_DIR}/junit.xml`]: jUnit(data, { classname: "perf" }) };
}
