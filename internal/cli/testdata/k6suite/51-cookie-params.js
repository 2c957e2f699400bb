// Request cookies: params.cookies adds cookies to one request (the jar's
// cookie of the same name wins unless replace: true), params.jar sends
// with a jar of the script's own (new http.CookieJar()), and
// response.request.cookies says what was sent.
// expect: check "jar wins without replace" 2 0
// expect: check "replace overrides the jar" 2 0
// expect: check "request.cookies" 2 0
// expect: check "param cookies last one request" 2 0
// expect: check "own jar used" 2 0
// expect: check "server cookie into own jar" 2 0
// expect: check "user jar untouched" 2 0
import http from "k6/http";
import { check } from "k6";

export const options = { vus: 2, iterations: 2 };

const BASE = __ENV.BASE_URL;

export default function () {
  const jar = http.cookieJar();
  jar.set(`${BASE}/`, "lang", "en");

  let res = http.get(`${BASE}/cookies`, { cookies: { extra: "1", lang: "fr" } });
  check(res, { "jar wins without replace": (r) => r.json().lang === "en" && r.json().extra === "1" });

  res = http.get(`${BASE}/cookies`, { cookies: { lang: { value: "de", replace: true } } });
  check(res, { "replace overrides the jar": (r) => r.json().lang === "de" });
  check(res, { "request.cookies": (r) => r.request.cookies.lang[0].value === "de" && r.request.cookies.lang.length === 1 });

  res = http.get(`${BASE}/cookies`);
  check(res, { "param cookies last one request": (r) => r.json().lang === "en" && r.json().extra === undefined });

  const own = new http.CookieJar();
  own.set(`${BASE}/`, "own", "yes");
  res = http.get(`${BASE}/cookies`, { jar: own });
  check(res, { "own jar used": (r) => r.json().own === "yes" && r.json().lang === undefined });

  http.get(`${BASE}/cookies/set?from=server`, { jar: own });
  check(own.cookiesForURL(`${BASE}/`), { "server cookie into own jar": (c) => c.from[0] === "server" });
  check(jar.cookiesForURL(`${BASE}/`), { "user jar untouched": (c) => c.from === undefined && c.lang[0] === "en" });
}
