// Thresholds on http_req_duration, http_reqs and http_req_failed without a
// filter count HTTP requests only: the GROUP rows that group() adds (and
// which count in jsload's Aggregated row) do not.
// expect: exit 0
// expect: row GROUP ::shop 3 0
// expect: row GROUP ::shop::cart 3 0
// expect: served /ok 6
// expect: served /status/404 3
// expect: threshold PASS http_reqs count==9 9
// expect: threshold PASS http_req_failed "rate<0.34" 0.3333
// expect: threshold PASS http_req_duration "p(95)<10000"
// expect: threshold PASS http_req_duration max>=0
// expect: args --exit-code-on-error 0
import http from "k6/http";
import { group } from "k6";

export const options = {
  iterations: 3,
  thresholds: {
    http_reqs: ["count==9"],
    http_req_failed: ["rate<0.34"],
    http_req_duration: ["p(95)<10000", "max>=0"],
  },
};

export default function () {
  group("shop", function () {
    http.get(`${__ENV.BASE_URL}/ok`);
    group("cart", function () {
      http.get(`${__ENV.BASE_URL}/ok`);
      http.get(`${__ENV.BASE_URL}/status/404`);
    });
  });
}
