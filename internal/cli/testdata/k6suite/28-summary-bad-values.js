// A trend statistic k6 does not have is refused before the test, naming
// the option; so is an unknown --summary layout (see the unit tests).
// expect: exit 2
// expect: line summaryTrendStats.*"p95" is not a trend statistic \(use avg, min, med, max, count or p\(N\)
// expect: served /ok 0
import http from "k6/http";

export const options = { iterations: 1, summaryTrendStats: ["avg", "p95"] };

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
}
