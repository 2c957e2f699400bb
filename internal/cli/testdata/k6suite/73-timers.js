// k6/timers (also k6's globals): setTimeout, setInterval, clearTimeout and
// clearInterval. Timers run after the default function returns, in the
// same iteration, and the iteration ends when none is left.
// expect: row GET tick 6 0
// expect: row GET later 2 0
// expect: row GET global 2 0
// expect: served /status/500 0
// expect: check "timers ran in order" 2 0
import http from "k6/http";
import { check } from "k6";
import { setInterval, clearInterval, setTimeout, clearTimeout } from "k6/timers";

export const options = { vus: 1, iterations: 2 };

const BASE = __ENV.BASE_URL;

export default function () {
  const order = [];
  let ticks = 0;
  const id = setInterval(() => {
    ticks++;
    http.get(`${BASE}/ok`, { tags: { name: "tick" } });
    if (ticks === 3) clearInterval(id);
  }, 1);
  const never = setTimeout(() => http.get(`${BASE}/status/500`), 1);
  clearTimeout(never);
  setTimeout((what) => {
    order.push(what);
    http.get(`${BASE}/ok`, { tags: { name: "later" } });
  }, 20, "later");
  globalThis.setTimeout(() => {
    order.push("global");
    http.get(`${BASE}/ok`, { tags: { name: "global" } });
    setTimeout(() => check(order, { "timers ran in order": (o) => o.join(",") === "global,later" && ticks === 3 }), 30);
  }, 5);
}
