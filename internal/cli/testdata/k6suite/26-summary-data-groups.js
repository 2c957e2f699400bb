// handleSummary's data holds setup()'s data, the groups by path, the
// checks with their passes and fails, and k6/ws's metrics; stderr takes
// text too.
// expect: line ^groups: outer\[::outer\] > inner\[::outer::inner\]$
// expect: line ^setup: \{"token":"abc","n":2\}$
// expect: line ^checks: is ok=4/0$
// expect: line ^group_duration: trend time avg,max,med,min,p\(90\),p\(95\)$
// expect: line ^to stderr$
// expect: line ^ws: sessions=4 received=4 connecting=trend$
import http from "k6/http";
import { check, group } from "k6";
import ws from "k6/ws";

export const options = { vus: 2, iterations: 4 };

export function setup() {
  return { token: "abc", n: 2 };
}

export default function (data) {
  group("outer", () => {
    group("inner", () => {
      const res = http.get(`${__ENV.BASE_URL}/ok`);
      check(res, { "is ok": (r) => r.status === 200 });
    });
  });
  const url = __ENV.BASE_URL.replace("http://", "ws://") + "/ws";
  ws.connect(url, { tags: { name: "echo" } }, (socket) => {
    socket.on("open", () => socket.send("hello"));
    socket.on("message", () => socket.close());
  });
}

export function handleSummary(data) {
  const outer = data.root_group.groups[0];
  const inner = outer.groups[0];
  const checks = data.root_group.checks.map((c) => `${c.name}=${c.passes}/${c.fails}`);
  const gd = data.metrics.group_duration;
  return {
    stdout: [
      `groups: ${outer.name}[${outer.path}] > ${inner.name}[${inner.path}]`,
      `setup: ${JSON.stringify(data.setup_data)}`,
      `checks: ${checks.join(",")}`,
      `group_duration: ${gd.type} ${gd.contains} ${Object.keys(gd.values).join(",")}`,
      `ws: sessions=${data.metrics.ws_sessions.values.count} received=${data.metrics.ws_msgs_received.values.count} connecting=${data.metrics.ws_connecting.type}`,
      "",
    ].join("\n"),
    stderr: "to stderr\n",
  };
}
