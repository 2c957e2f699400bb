// A custom metric's name follows k6's rule: a bad one is a load error at
// its position, before any request.
// expect: exit 2
// expect: line 17-bad-metric-name\.js:9:16: TypeError: new Counter\("checkout-errors"\): a metric name is 1 to 128 ASCII letters
// expect: served /ok 0
import http from "k6/http";
import { Counter } from "k6/metrics";

const errors = new Counter("checkout-errors");

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
  errors.add(0);
}
