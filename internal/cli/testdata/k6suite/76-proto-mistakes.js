// A k6 protocol script with a mistake is refused before the test starts,
// naming the file, line and column: here an export k6/websockets has
// and jsload does not (Blob).
// expect: exit 2
// expect: line 76-proto-mistakes\.js:7:21: "k6/websockets" has no export named "Blob"
// expect: served /ws 0
import { WebSocket, Blob } from "k6/websockets";

export default function () {
  const socket = new WebSocket(`${__ENV.BASE_URL.replace("http://", "ws://")}/ws`);
  socket.onopen = () => socket.send(new Blob(["hello"]));
}
