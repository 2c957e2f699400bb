// Expected statuses decide what is a failure: setResponseCallback sets the
// default for every request, params.responseCallback one request's, and
// null makes no status a failure.
// expect: row GET notfound-expected 3 0
// expect: row GET created-unexpected 3 3
// expect: row GET per-request 3 0
// expect: row GET no-callback 3 0
// expect: row GET refused 3 3
// expect: exit 1
// expect: line 201 Created: status not expected \(expected: 200, 400-404\)
import http from "k6/http";

export const options = { iterations: 3 };

const BASE = __ENV.BASE_URL;

http.setResponseCallback(http.expectedStatuses(200, { min: 400, max: 404 }));

export default function () {
  http.get(`${BASE}/status/404`, { tags: { name: "notfound-expected" } });
  http.get(`${BASE}/status/201`, { tags: { name: "created-unexpected" } });
  http.get(`${BASE}/status/500`, { tags: { name: "per-request" }, responseCallback: http.expectedStatuses(500) });
  http.get(`${BASE}/status/503`, { tags: { name: "no-callback" }, responseCallback: null });
  // a transport error is a failure whatever the callback
  http.get("http://127.0.0.1:1/", { tags: { name: "refused" }, responseCallback: null });
}
