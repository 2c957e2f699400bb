// k6/metrics: a Rate (booleans count as 1 and 0) and Trends (one of times,
// one of sizes), with thresholds on rate, avg, min, max, med and p(N).
// Percentiles interpolate between the closest ranks, as k6's do.
// expect: exit 0
// expect: metric ok_share 75.00% 3 1
// expect: metric body_bytes "" 100 10 100 190 172 181
// expect: threshold PASS ok_share rate>0.7 0.75
// expect: threshold PASS ok_share rate<0.8 0.75
// expect: threshold PASS body_bytes avg==100 100
// expect: threshold PASS body_bytes min==10 10
// expect: threshold PASS body_bytes max==190 190
// expect: threshold PASS "body_bytes{source:bytes}" "p(99)<200" 188.2
// expect: threshold PASS req_time "p(95)<10000"
// expect: threshold PASS req_time med>=0
// expect: line (?m)^req_time +ms +
import http from "k6/http";
import { Rate, Trend } from "k6/metrics";

const okShare = new Rate("ok_share");
const bodyBytes = new Trend("body_bytes");
const reqTime = new Trend("req_time", true);

export const options = {
  iterations: 4,
  thresholds: {
    ok_share: ["rate>0.7", "rate<0.8"],
    body_bytes: ["avg==100", "min==10", "max==190"],
    "body_bytes{source:bytes}": ["p(99)<200"],
    req_time: ["p(95)<10000", "med>=0"],
  },
};

const sizes = [10, 70, 130, 190];

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/bytes/${sizes[__ITER]}`, { responseType: "binary" });
  okShare.add(__ITER !== 2);
  bodyBytes.add(res.body.byteLength, { source: "bytes" });
  reqTime.add(res.timings.duration);
}
