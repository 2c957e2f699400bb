// Custom metrics are in the JSON summary too (--json -), by kind, with
// k6's value names.
// expect: exit 0
// expect: args --json -
// expect: line "name": "signups",\s+"kind": "counter",\s+"is_time": false,\s+"values": \{\s+"count": 3,
// expect: line "name": "think",\s+"kind": "trend",\s+"is_time": true,\s+"values": \{\s+"avg": 20,\s+"max": 30,\s+"med": 20,\s+"min": 10,\s+"p\(90\)": 28,\s+"p\(95\)": 29
// expect: line "name": "approved",\s+"kind": "rate",\s+"is_time": false,\s+"values": \{\s+"fails": 1,\s+"passes": 2,\s+"rate": 0\.667
import { Counter, Rate, Trend } from "k6/metrics";

const signups = new Counter("signups");
const think = new Trend("think", true);
const approved = new Rate("approved");

export const options = { iterations: 3 };

export default function () {
  signups.add(1);
  think.add(10 * (__ITER + 1));
  approved.add(__ITER < 2 ? 1 : 0);
}
