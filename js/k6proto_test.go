package js

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

func TestK6ProtoModulesImport(t *testing.T) {
	s := load(t, "main.js", `
import ws, { connect } from "k6/ws";
import websockets, { WebSocket } from "k6/websockets";
import timers, { setTimeout, setInterval, clearTimeout, clearInterval } from "k6/timers";
import grpc, { Client, Stream, StatusOK, StatusUnauthenticated, HealthCheckServing } from "k6/net/grpc";
export default function () {
  return [ws, connect, websockets, WebSocket, timers, setTimeout, setInterval, clearTimeout, clearInterval,
    grpc, Client, Stream, StatusOK, StatusUnauthenticated, HealthCheckServing];
}
`)
	if !s.K6 {
		t.Fatal("a script importing k6/ws is a k6 script")
	}
	_, err := Load(context.Background(), writeScript(t, "main.js", "import { Blob } from \"k6/websockets\";\nexport default function () { new Blob([]); }\n"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), `"k6/websockets" has no export named "Blob"`) {
		t.Errorf("Blob import: %v", err)
	}
}

// TestK6ProtoMistakesThrowClearly runs scripts that misuse the modules:
// each throws one exception naming the problem.
func TestK6ProtoMistakesThrowClearly(t *testing.T) {
	srv, _ := wsServer(t)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/echo"
	cases := []struct{ name, body, want string }{
		{"event name", `ws.connect(U, (s) => { s.on("mesage", () => {}); });`, `socket.on(event, callback): there is no event "mesage" (did you mean "message"?)`},
		{"no callback", `ws.connect(U, {});`, `ws.connect(url, params, callback): callback must be a function`},
		{"jar", `ws.connect(U, { jar: {} }, () => {});`, `params.jar is not supported by jsload yet`},
		{"param name", `ws.connect(U, { tag: {} }, () => {});`, `unknown param "tag" (did you mean "tags"?)`},
		{"close code", `ws.connect(U, (s) => { s.on("open", () => s.close(1006)); });`, `code must be 1000, 1001 or from 3000 to 4999, got 1006`},
		{"blob", `const w = new WebSocket(U); w.binaryType = "blob";`, `binaryType "blob" is not supported by jsload: use "arraybuffer"`},
		{"send before open", `const w = new WebSocket(U); w.send("x");`, `InvalidStateError: WebSocket.send(): the socket to ` + wsURL + ` is still connecting (send from onopen)`},
		{"listener", `const w = new WebSocket(U); w.addEventListener("mesage", () => {});`, `there is no event "mesage" (did you mean "message"?)`},
		{"timer fn", `setTimeout("code", 1);`, `setTimeout(fn, ms): fn must be a function, got code`},
		{"stream", `new grpc.Stream(null, "x");`, `grpc.Stream is not supported by jsload yet`},
		{"protoset", `new grpc.Client().loadProtoset("x.protoset");`, `client.loadProtoset is not supported by jsload yet`},
		{"not loaded", `new grpc.Client().connect("127.0.0.1:1", { plaintext: true });`, `client.connect(127.0.0.1:1): no .proto files loaded`},
		{"not connected", `new grpc.Client().invoke("a.B/C", {});`, `client.invoke(a.B/C): the client is not connected`},
		{"grpc param", `new grpc.Client().connect("127.0.0.1:1", { plaintxt: true });`, `unknown param "plaintxt" (did you mean "plaintext"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := testEnv(srv.URL)
			vu := runOnce(t, env, `
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
import grpc from "k6/net/grpc";
const U = "`+wsURL+`";
export default function () { `+c.body+` }
`)
			vu.Close()
			snap := env.Registry.Snapshot(time.Now())
			if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, c.want) {
				t.Fatalf("exceptions = %+v, want one with %q", snap.Exceptions, c.want)
			}
		})
	}
}

func TestK6WSRefusedHandshake(t *testing.T) {
	srv, _ := wsServer(t)
	env := testEnv(srv.URL)
	vu := runOnce(t, env, `
import ws from "k6/ws";
import { WebSocket } from "k6/websockets";
const U = "ws`+strings.TrimPrefix(srv.URL, "http")+`/forbidden";
export default function () {
  let called = false;
  const res = ws.connect(U, { tags: { name: "old" } }, () => { called = true; });
  globalThis.old = [res.status, res.error, called].join("|");
  const w = new WebSocket(U, null, { tags: { name: "new" } });
  const events = [];
  w.onerror = (e) => events.push("error:" + e.error);
  w.onopen = () => events.push("open");
  w.addEventListener("close", (e) => { events.push("close:" + e.code + ":" + e.wasClean + ":" + w.readyState); globalThis.events = events.join(","); });
}
`)
	if got := global(vu, "old").String(); got != "403|handshake refused: 403 Forbidden|false" {
		t.Errorf("k6/ws refused connect: %s", got)
	}
	if got := global(vu, "events").String(); got != "error:handshake refused: 403 Forbidden,close:1006:false:3" {
		t.Errorf("k6/websockets refused connect: events %s", got)
	}
	snap := env.Registry.Snapshot(time.Now())
	for _, n := range []string{"connect old", "connect new"} {
		if r := rowOf(t, snap, "WS", n); r.Requests != 1 || r.Failures != 1 {
			t.Errorf("%s: %d requests, %d failures", n, r.Requests, r.Failures)
		}
	}
}

// TestK6LoopEndsWithTheTest: a socket the script never closes keeps the
// iteration going (k6's event loop) until the test stops; then the socket
// is closed.
func TestK6LoopEndsWithTheTest(t *testing.T) {
	srv, closed := wsServer(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `
import { WebSocket } from "k6/websockets";
export default function () {
  const w = new WebSocket("ws`+strings.TrimPrefix(srv.URL, "http")+`/echo");
  w.onopen = () => w.send("hello");
  w.onmessage = (e) => { globalThis.got = e.data; };
}
`)
	vu := newVU(t, s, env, 1, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- vu.RunTask(ctx) }()
	// The echo is received (a sample), then the test stops.
	deadline := time.After(10 * time.Second)
	for {
		if r := env.Registry.Snapshot(time.Now()); len(r.Rows) > 0 && hasRow(r.Rows, "WS", "recv") {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the iteration ended (%v) with the socket open", err)
		case <-deadline:
			t.Fatal("no message in 10 s")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the iteration did not end with the test")
	}
	vu.Close()
	select {
	case code := <-closed:
		if code != -1 && code != 1006 {
			t.Errorf("server saw close code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the socket was not closed when the user stopped")
	}
	if got := global(vu, "got").String(); got != "hello" {
		t.Errorf("got = %q", got)
	}
}

func hasRow(rows []*stats.Row, typ, prefix string) bool {
	for _, r := range rows {
		if r.Type == typ && strings.HasPrefix(r.Name, prefix) {
			return true
		}
	}
	return false
}
