// options.summaryTrendStats chooses the trend statistics of the k6
// summary and of handleSummary's data, as in k6.
// expect: args --summary k6
// expect: line ^\s+http_req_duration\.+: avg=\S+ +min=\S+ +count=4 +p\(99\)=\S+ +p\(99\.9\)=\S+$
// expect: no-line med=
import http from "k6/http";

export const options = {
  vus: 1,
  iterations: 4,
  summaryTrendStats: ["avg", "min", "p(99)", "p(99.9)", "count"],
};

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`);
}
