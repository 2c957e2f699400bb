// k6/ws: binary messages, socket.ping() and its pong, the server's ping, a
// close by the server, and a connection the server drops (error event).
// expect: row WS "recv bin" 6 0
// expect: row WS "ping bin" 3 0
// expect: row WS "close bin" 3 0
// expect: row WS "close drop" 3 3
// expect: check "all events seen" 3 0
// expect: check "server closed with 1000" 3 0
// expect: check "error event on a drop" 3 0
// expect: served /ws 6
// expect: exit 1
import ws from "k6/ws";
import { check } from "k6";

export const options = { vus: 1, iterations: 3 };

const url = `${__ENV.BASE_URL.replace("http://", "ws://")}/ws`;

export default function () {
  const seen = { bytes: 0, pong: 0, ping: 0, text: 0 };
  let closeCode = 0;
  ws.connect(url, { tags: { name: "bin" } }, (socket) => {
    const maybeDone = () => {
      if (seen.bytes === 3 && seen.pong === 1 && seen.ping === 1 && seen.text === 1) socket.send("close");
    };
    socket.on("open", () => {
      socket.sendBinary(new Uint8Array([1, 2, 3]).buffer);
      socket.ping();
      socket.send("ping-me");
    });
    socket.on("binaryMessage", (data) => { seen.bytes += data.byteLength; maybeDone(); });
    socket.on("message", (data) => { if (data === "ping-me") seen.text++; maybeDone(); });
    socket.on("pong", () => { seen.pong++; maybeDone(); });
    socket.on("ping", () => { seen.ping++; maybeDone(); });
    socket.on("close", (code) => { closeCode = code; });
    socket.setTimeout(() => socket.close(), 5000);
  });
  check(seen, { "all events seen": (s) => s.bytes === 3 && s.pong === 1 && s.ping === 1 && s.text === 1 });
  check(closeCode, { "server closed with 1000": (c) => c === 1000 });

  let errorText = "";
  ws.connect(url, { tags: { name: "drop" } }, (socket) => {
    socket.on("open", () => socket.send("drop"));
    socket.on("error", (e) => { errorText = e.error(); });
  });
  check(errorText, { "error event on a drop": (t) => t.length > 0 });
}
