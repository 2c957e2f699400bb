// A handleSummary that throws: the error is reported with its place, the
// default summary (jsload's tables) is printed, and the exit code says an
// output failed (6).
// expect: exit 6
// expect: line handleSummary\(\) failed: .*23-handlesummary-throws\.js:\d+:\d+: Error: no summary today; printing the default summary
// expect: row GET ok 2 0
import http from "k6/http";

export const options = { iterations: 2 };

export default function () {
  http.get(`${__ENV.BASE_URL}/ok`, { tags: { name: "ok" } });
}

export function handleSummary(data) {
  throw new Error("no summary today");
}
