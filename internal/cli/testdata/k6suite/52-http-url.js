// http.url: a URL built with the template tag is one row, named by the
// template with ${} for its values, whatever the ids in it.
// expect: row GET "${}/status/${}" 6 0
// expect: served /status/200 2
// expect: served /status/201 2
// expect: served /status/204 2
// expect: check "url is the URL" 6 0
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 6 };

const BASE = __ENV.BASE_URL;
const codes = [200, 201, 204];

export default function () {
  const code = codes[__ITER % codes.length];
  const res = http.get(http.url`${BASE}/status/${code}`);
  check(res, { "url is the URL": (r) => r.url === `${BASE}/status/${code}` && r.status === code });
}
