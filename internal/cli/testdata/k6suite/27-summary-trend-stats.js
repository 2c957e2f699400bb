// options.summaryTrendStats chooses the trend statistics of the k6
// summary (in that order) and of handleSummary's data, and summaryTimeUnit
// their unit, as in k6 (local requests take well under a second: "0s" or
// "0.01s").
// expect: args --summary k6
// expect: line ^\s+http_req_duration\.+: avg=0(\.\d+)?s +min=0(\.\d+)?s +p\(99\)=0(\.\d+)?s +p\(99\.9\)=0(\.\d+)?s +count=4$
// expect: no-line med=
import http from "k6/http";

export const options = {
  vus: 1,
  iterations: 4,
  summaryTrendStats: ["avg", "min", "p(99)", "p(99.9)", "count"],
  summaryTimeUnit: "s",
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
}
