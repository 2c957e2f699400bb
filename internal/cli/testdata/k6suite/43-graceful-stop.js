// gracefulStop: at the end of its 1s, the scenario gives running
// iterations 0s: both VUs are in their long sleep, so both iterations
// are interrupted (and teardown still runs).
// expect: row GET /ok 2 0
// expect: served /ok 2
// expect: line scenario slow: 2 iterations were interrupted at its end \(gracefulStop 0s\)
// expect: line teardown after the stop
import http from "k6/http";
import { sleep } from "k6";

export const options = {
  scenarios: {
    slow: { executor: "constant-vus", vus: 2, duration: "1s", gracefulStop: "0s" },
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "/ok" } });
  sleep(30);
}

export function teardown() {
  console.log("teardown after the stop");
}
