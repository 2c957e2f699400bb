// A threshold on a metric that got no value passes, as in k6 (jsload's own
// thresholds fail without data): it is listed with "no data".
// expect: exit 0
// expect: threshold PASS http_reqs{status:500} count>100 "no data"
// expect: threshold PASS never "p(95)<1" "no data"
// expect: threshold PASS http_reqs count==1 1
import http from "k6/http";
import { Trend } from "k6/metrics";

const never = new Trend("never");

export const options = {
  iterations: 1,
  thresholds: {
    "http_reqs{status:500}": ["count>100"],
    never: ["p(95)<1"],
    http_reqs: ["count==1"],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
  if (__ITER > 100) never.add(1);
}
