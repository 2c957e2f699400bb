// A scenario without exec runs the default function: without one, the
// script is refused before the test, naming the scenario.
// expect: exit 2
// expect: line options.scenarios.plain in the script runs the default function \(it has no exec\), which the script does not export
import http from "k6/http";

export const options = {
  scenarios: {
    named: { executor: "per-vu-iterations", exec: "named" },
    plain: { executor: "per-vu-iterations" },
  },
};

export function named() {
  http.get(`${__ENV.BASE_URL}/ok`);
}
