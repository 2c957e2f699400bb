// k6/ws: connect blocks until the socket closes; open, message and close
// handlers, socket.setInterval and setTimeout, the handshake's response.
// expect: row WS "connect echo" 4 0
// expect: row WS "recv echo" 12 0
// expect: row WS "close echo" 4 0
// expect: check "status is 101" 4 0
// expect: check "got 3 echoes" 4 0
// expect: check "closed by the script" 4 0
// expect: served /ws 4
import ws from "k6/ws";
import { check } from "k6";

export const options = { vus: 2, iterations: 4 };

export default function () {
  const url = __ENV.BASE_URL.replace("http://", "ws://") + "/ws";
  let echoes = 0;
  let closeCode = 0;
  const res = ws.connect(url, { tags: { name: "echo" } }, function (socket) {
    socket.on("open", function () {
      let sent = 0;
      socket.setInterval(function () {
        if (sent < 3) {
          sent++;
          socket.send(`message ${sent}`);
        }
      }, 2);
    });
    socket.on("message", function (data) {
      if (data.startsWith("message ")) echoes++;
      if (echoes === 3) socket.close();
    });
    socket.on("close", function (code) {
      closeCode = code;
    });
    socket.setTimeout(function () {
      socket.close(); // a guard: the test never waits long
    }, 5000);
  });
  check(res, { "status is 101": (r) => r && r.status === 101 && r.headers["X-Served-By"] === "suite" });
  check(echoes, { "got 3 echoes": (n) => n === 3 });
  check(closeCode, { "closed by the script": (c) => c === 1000 });
}
