// exec.test.abort(): the 3rd iteration aborts the test; the run stops as
// failed (exit 1, jsload's code for a failed run; k6 exits 108), and
// teardown still runs. One VU, so exactly 3 requests were made.
// expect: exit 1
// expect: row GET /ok 3 0
// expect: served /ok 3
// expect: line test aborted: enough seen \(exec.test.abort\(\)\): stopping the test as failed
// expect: line teardown ran
import http from "k6/http";
import exec from "k6/execution";

export const options = {
  scenarios: {
    once: { executor: "shared-iterations", vus: 1, iterations: 100 },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  if (exec.scenario.iterationInTest === 2) {
    exec.test.abort("enough seen");
  }
}

export function teardown() {
  console.log("teardown ran");
}
