// response.html() needs k6/html, which jsload does not have: the call
// throws a message that says so (the iteration's exception is counted).
// expect: exit 1
// expect: line response\.html\(\) needs k6/html, which jsload does not support
// expect: row GET page 1 0
import http from "k6/http";

const BASE = __ENV.BASE_URL;

export default function () {
  const res = http.get(`${BASE}/ok`, { tags: { name: "page" } });
  res.html().find("a");
}
