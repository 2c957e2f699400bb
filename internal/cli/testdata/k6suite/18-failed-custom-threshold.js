// A threshold on a custom metric that fails makes the exit code 4; an
// unknown metric in thresholds would be refused before the run.
// expect: exit 4
// expect: threshold FAIL latency_budget "max<1" 5
// expect: threshold PASS latency_budget min==1 1
// expect: metric latency_budget "" 3 1 3 5 4.6 4.8
import { Trend } from "k6/metrics";

const budget = new Trend("latency_budget");

export const options = {
  iterations: 3,
  thresholds: { latency_budget: ["max<1", "min==1"] },
};

export default function () {
  budget.add(1 + 2 * __ITER);
}
