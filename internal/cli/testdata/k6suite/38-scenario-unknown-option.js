// An unknown scenario option is refused before the test, with a guess.
// expect: exit 2
// expect: line options.scenarios.load in the script: unknown option "iteration" for the shared-iterations executor \(did you mean "iterations"\?\)
// expect: served /ok 0
import http from "k6/http";

export const options = {
  scenarios: {
    load: { executor: "shared-iterations", vus: 1, iteration: 5 },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
}
