// handleSummary writes k6's summary data as JSON to a file; with no
// "stdout" key, nothing else is printed at the end.
// expect: file summary.json "http_reqs":\{"type":"counter","contains":"default","values":\{"count":5,"rate":[0-9.e+-]+\}\}
// expect: file summary.json "checks":\{"type":"rate","contains":"default","values":\{"fails":0,"passes":5,"rate":1\}\}
// expect: file summary.json "root_group":\{"name":"","path":"","id":"[0-9a-f]{32}"
// expect: file summary.json "http_req_duration":\{"type":"trend","contains":"time","values":\{"avg":[0-9.e+-]+,"max":[0-9.e+-]+,"med":[0-9.e+-]+,"min":[0-9.e+-]+,"p\(90\)":[0-9.e+-]+,"p\(95\)":[0-9.e+-]+\}\}
// expect: file summary.json "state":\{"isStdOutTTY":false,"isStdErrTTY":false,"testRunDurationMs":[0-9.e+-]+\}
// expect: file summary.json "iterations":\{"type":"counter","contains":"default","values":\{"count":5,"rate":[0-9.e+-]+\}\}
// expect: line handleSummary\(\) output written to .*summary\.json
// expect: no-line Aggregated
// expect: served /ok 5
import http from "k6/http";
import { check } from "k6";

export const options = { vus: 1, iterations: 5 };

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/ok`);
  check(res, { "status is 200": (r) => r.status === 200 });
}

export function handleSummary(data) {
  return { [`${__ENV.OUT_DIR}/summary.json`]: JSON.stringify(data) };
}
