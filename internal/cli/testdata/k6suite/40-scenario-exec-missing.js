// exec must name an exported function: a typo gets a guess.
// expect: exit 2
// expect: line options.scenarios.checkout in the script.exec: buyy is not a function the script exports \(did you mean "buy"\?\)
import http from "k6/http";

export const options = {
  scenarios: {
    checkout: { executor: "per-vu-iterations", exec: "buyy" },
  },
};

export function buy() {
  http.get(`${__ENV.BASE_URL}/ok`);
}

export default function () {}
