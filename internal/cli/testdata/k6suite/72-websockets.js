// k6/websockets: the browser-like WebSocket. The iteration goes on after
// the default function returns, until the socket has closed (k6's event
// loop): the checks in the close listener run in the same iteration.
// expect: row WS "connect chat" 4 0
// expect: row WS "recv chat" 8 0
// expect: row WS "close chat" 4 0
// expect: check "open before messages" 4 0
// expect: check "text and binary echoed" 4 0
// expect: check "closed cleanly" 4 0
// expect: served /ws 4
import { WebSocket } from "k6/websockets";
import { check } from "k6";

export const options = { vus: 2, iterations: 4 };

export default function () {
  const socket = new WebSocket(`${__ENV.BASE_URL.replace("http://", "ws://")}/ws`, "echo", { tags: { name: "chat" } });
  socket.binaryType = "arraybuffer";
  const got = [];
  let stateAtOpen = -1;
  socket.onopen = () => {
    stateAtOpen = socket.readyState;
    socket.send("hello");
    socket.send(new Uint8Array([1, 2, 3, 4]).buffer);
  };
  socket.onmessage = (event) => {
    got.push(typeof event.data === "string" ? event.data : event.data.byteLength);
    if (got.length === 2) socket.close();
  };
  socket.addEventListener("close", (event) => {
    check(stateAtOpen, { "open before messages": (s) => s === WebSocket.OPEN && socket.protocol === "echo" });
    check(got, { "text and binary echoed": (g) => g[0] === "hello" && g[1] === 4 });
    check(event, { "closed cleanly": (e) => e.code === 1000 && e.wasClean && socket.readyState === socket.CLOSED });
  });
}
