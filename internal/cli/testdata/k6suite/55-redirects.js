// params.redirects: at the limit the last redirect is returned (a 302,
// not a failure), as k6 does; without it redirects are followed, and
// response.url is where the request ended.
// expect: row GET limited 2 0
// expect: row GET followed 2 0
// expect: row GET not-followed 2 0
// expect: check "last redirect returned" 2 0
// expect: check "followed to /ok" 2 0
// expect: check "redirect not followed" 2 0
// expect: served /redirect/3 6
// expect: served /redirect/2 4
// expect: served /redirect/1 2
// expect: served /ok 2
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 2 };

const BASE = __ENV.BASE_URL;

export default function () {
  const limited = http.get(`${BASE}/redirect/3`, { redirects: 1, tags: { name: "limited" } });
  check(limited, {
    "last redirect returned": (r) => r.status === 302 && r.url === `${BASE}/redirect/2` && r.headers.Location === "/redirect/1",
  });
  const followed = http.get(`${BASE}/redirect/3`, { tags: { name: "followed" } });
  check(followed, { "followed to /ok": (r) => r.status === 200 && r.url === `${BASE}/ok` && r.body === "ok" });
  const none = http.get(`${BASE}/redirect/3`, { redirects: 0, tags: { name: "not-followed" } });
  check(none, { "redirect not followed": (r) => r.status === 302 && r.url === `${BASE}/redirect/3` });
}
