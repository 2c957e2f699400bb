// options.noCookiesReset: the user's jar keeps its cookies from one
// iteration to the next (one user, so the second iteration sees the first's).
// expect: check "cookie kept from the last iteration" 2 0
// expect: served /cookies/set 1
import http from "k6/http";
import { check } from "k6";

export const options = { iterations: 3, noCookiesReset: true };

const BASE = __ENV.BASE_URL;

export default function () {
  if (__ITER === 0) {
    http.get(`${BASE}/cookies/set?visit=first`);
    return;
  }
  check(http.get(`${BASE}/cookies`), { "cookie kept from the last iteration": (r) => r.json().visit === "first" });
}
