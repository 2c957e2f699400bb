// A handleSummary that returns nothing leaves the default summary in
// place (jsload's tables; k6 prints its own default there).
// expect: row GET json 3 0
// expect: line ^Response time percentiles
import http from "k6/http";

export const options = { vus: 1, iterations: 3 };

export default function () {
  http.get(`${__ENV.BASE_URL}/json`, { tags: { name: "json" } });
}

export function handleSummary(data) {
  if (data.metrics.http_reqs.values.count !== 3) {
    throw new Error("unexpected count " + data.metrics.http_reqs.values.count);
  }
  return undefined;
}
