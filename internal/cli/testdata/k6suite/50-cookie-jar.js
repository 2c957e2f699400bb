// The user's cookie jar: the server's cookies are kept and sent, the
// script reads and edits the jar (set, delete, clear), the response lists
// the cookies it set, and every iteration starts with an empty jar.
// expect: check "iteration starts with no cookies" 3 0
// expect: check "response cookies" 3 0
// expect: check "server cookies in the jar" 3 0
// expect: check "jar cookies sent" 3 0
// expect: check "cleared" 3 0
// expect: row GET cookies 9 0
// expect: served /cookies/set 3
// expect: served /cookies 9
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 3 };

const BASE = __ENV.BASE_URL;

export default function () {
  const first = http.get(`${BASE}/cookies`, { tags: { name: "cookies" } });
  check(first, { "iteration starts with no cookies": (r) => Object.keys(r.json()).length === 0 });

  const res = http.get(`${BASE}/cookies/set?session=abc&theme=dark`);
  check(res, {
    "response cookies": (r) => r.cookies.session[0].value === "abc" && r.cookies.theme[0].path === "/",
  });

  const jar = http.cookieJar();
  const cookies = jar.cookiesForURL(`${BASE}/`);
  check(cookies, { "server cookies in the jar": (c) => c.session[0] === "abc" && c.theme[0] === "dark" });

  jar.set(BASE, "added", "by-script");
  jar.delete(BASE, "theme");
  const sent = http.get(`${BASE}/cookies`, { tags: { name: "cookies" } });
  check(sent, {
    "jar cookies sent": (r) => {
      const c = r.json();
      return c.session === "abc" && c.added === "by-script" && c.theme === undefined;
    },
  });

  jar.clear(`${BASE}/cookies`);
  const after = http.get(`${BASE}/cookies`, { tags: { name: "cookies" } });
  check(after, { cleared: (r) => Object.keys(r.json()).length === 0 });
}
