package js

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/testcert"
)

// wsServer serves /echo (echoes; "bye" closes with 4000, "drop" drops the
// connection, "quiet" gets no answer, "notify N" sends N messages) and
// /forbidden (403). closed receives the close code of each connection that
// ends.
func wsServer(t *testing.T) (*httptest.Server, chan int) {
	closed := make(chan int, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/echo" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		up := websocket.Upgrader{Subprotocols: []string{"v1"}}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, b, err := c.ReadMessage()
			if err != nil {
				code := -1
				if ce, ok := err.(*websocket.CloseError); ok {
					code = ce.Code
				}
				closed <- code
				return
			}
			s := string(b)
			n, _ := strconv.Atoi(strings.TrimPrefix(s, "notify "))
			switch {
			case s == "bye":
				_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "done"), time.Now().Add(time.Second))
				_, _, _ = c.ReadMessage()
				return
			case s == "drop":
				return
			case s == "quiet":
			case strings.HasPrefix(s, "notify "):
				for i := 1; i <= n; i++ {
					_ = c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf("note %d", i)))
				}
			default:
				_ = c.WriteMessage(typ, b)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, closed
}

// rowsOf lists "TYPE NAME requests/failures" of a snapshot, sorted.
func rowsOf(snap *stats.Snapshot) []string {
	var out []string
	for _, r := range snap.Rows {
		out = append(out, fmt.Sprintf("%s %s %d/%d", r.Type, r.Name, r.Requests, r.Failures))
	}
	sort.Strings(out)
	return out
}

func failuresOf(snap *stats.Snapshot) []string {
	var out []string
	for _, f := range snap.Failures {
		out = append(out, fmt.Sprintf("%s %s: %s", f.Type, f.Name, f.Error))
	}
	sort.Strings(out)
	return out
}

func TestWebSocketModuleRecordsEachKindOfSample(t *testing.T) {
	srv, closed := wsServer(t)
	env := testEnv(srv.URL)
	var trace strings.Builder
	env.Verbose = &syncWriter{w: &trace}
	vu := runOnce(t, env, `
import { task } from "jsload";
import ws from "jsload/ws";
export const t = task(() => {
  const conn = ws.connect("/echo", { subprotocols: ["v1"], headers: { "X-Test": "1" } });
  globalThis.proto = conn.protocol;
  globalThis.reply = conn.request("hello");
  const bin = conn.request(new Uint8Array([1, 2, 3]).buffer);
  globalThis.binLen = bin.byteLength;
  conn.send("notify 4");
  globalThis.notes = [];
  conn.on("message", (data) => { globalThis.notes.push(data); return globalThis.notes.length < 2; });
  conn.wait(5); // until the handler returns false
  conn.on("message", (data) => { globalThis.notes.push(data); if (globalThis.notes.length === 4) conn.close(4001, "enough"); });
  conn.wait(5);
  globalThis.closed = conn.closed;
  globalThis.ping = conn.ping === undefined;
});
`)
	if got := global(vu, "reply").String(); got != "hello" {
		t.Errorf("reply = %q", got)
	}
	if got := global(vu, "binLen").ToInteger(); got != 3 {
		t.Errorf("binary reply length = %d", got)
	}
	if got := global(vu, "proto").String(); got != "v1" {
		t.Errorf("protocol = %q", got)
	}
	if got := vu.rt.Get("notes").Export(); fmt.Sprint(got) != "[note 1 note 2 note 3 note 4]" {
		t.Errorf("handler messages = %v", got)
	}
	if !global(vu, "closed").ToBoolean() {
		t.Errorf("conn.closed is false after close()")
	}
	select {
	case code := <-closed:
		if code != 4001 {
			t.Errorf("the server saw close code %d, want 4001", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the server saw no close")
	}
	snap := env.Registry.Snapshot(time.Now())
	want := []string{"WS /echo 2/0", "WS close /echo 1/0", "WS connect /echo 1/0", "WS recv /echo 4/0"}
	if got := rowsOf(snap); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if r := rowOf(t, snap, "WS", "recv /echo"); r.TotalSize != int64(4*len("note 1")) {
		t.Errorf("recv size = %d", r.TotalSize)
	}
	lines := strings.Split(strings.TrimSpace(trace.String()), "\n")
	var ws []string
	for _, l := range lines {
		if strings.Contains(l, "] WS ") {
			ws = append(ws, l)
		}
	}
	if len(ws) != 8 || !strings.HasPrefix(ws[0], "[VU 1] WS connect /echo -> ok (") || !strings.Contains(ws[1], `WS /echo -> ok (`) || !strings.HasSuffix(ws[1], `5 B) "hello"`) ||
		!strings.HasSuffix(ws[2], "<3 bytes binary>") || !strings.HasSuffix(ws[3], `"note 1"`) || !strings.HasSuffix(ws[7], "code 4001") {
		t.Errorf("trace:\n%s", strings.Join(ws, "\n"))
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestWebSocketFailuresAreRecorded(t *testing.T) {
	srv, _ := wsServer(t)
	env := testEnv(srv.URL)
	vu := runOnce(t, env, `
import { task } from "jsload";
import ws from "jsload/ws";
export const t = task(() => {
  const refused = ws.connect("/forbidden", { name: "refused" });
  globalThis.refused = [refused.ok, refused.status, refused.error];
  const c = ws.connect("/echo");
  globalThis.timedOut = c.receive(0.05);     // nothing comes: a failure, the connection stays
  globalThis.after = c.request("still here", { timeout: 5, name: "again" });
  globalThis.gone = c.request("drop", { timeout: 5 }); // the server drops it mid-stream
  globalThis.sendAfter = c.send("x");
  const d = ws.connect("/echo");
  globalThis.bye = d.request("bye", { timeout: 5 });
  globalThis.code = [d.closeCode, d.closeReason];
  try { refused.send("x"); } catch (e) { globalThis.misuse = String(e); }
});
`)
	if got := fmt.Sprint(vu.rt.Get("refused").Export()); got != "[false 403 handshake refused: 403 Forbidden]" {
		t.Errorf("refused = %s", got)
	}
	if !isNullish(global(vu, "timedOut")) || global(vu, "after").String() != "still here" || !isNullish(global(vu, "gone")) {
		t.Errorf("timedOut, after, gone = %v, %v, %v", global(vu, "timedOut"), global(vu, "after"), global(vu, "gone"))
	}
	if global(vu, "sendAfter").ToBoolean() {
		t.Errorf("send on a dropped connection returned true")
	}
	if got := fmt.Sprint(vu.rt.Get("code").Export()); got != "[4000 done]" {
		t.Errorf("close code = %s", got)
	}
	if got := global(vu, "misuse").String(); !strings.Contains(got, "conn.send(): the connection to ws://") || !strings.Contains(got, "check conn.ok") {
		t.Errorf("misuse = %s", got)
	}
	snap := env.Registry.Snapshot(time.Now())
	want := []string{
		"WS /echo: the server closed the connection without a close frame (EOF)",
		"WS /echo: the server closed the connection: 4000 (done)",
		"WS close /echo: the server closed the connection without a close frame (EOF)",
		"WS close /echo: the server closed the connection: 4000 (done)",
		"WS connect refused: handshake refused: 403 Forbidden",
		"WS recv /echo: no message within 50ms",
	}
	if got := failuresOf(snap); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	rowOf(t, snap, "WS", "again")
}

func TestWebSocketHeldAcrossTasksClassStyleAndClosedWhenTheUserStops(t *testing.T) {
	srv, closed := wsServer(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `
import { User, task } from "jsload";
import { connect } from "jsload/ws";
export class Chatter extends User {
  onStart() { this.conn = connect("/echo", { name: "chat" }); }
  @task talk() { globalThis.n = (globalThis.n || 0) + 1; this.conn.request("m" + globalThis.n); }
}
`)
	vu := newVU(t, s, env, 1, 0)
	vu.OnStart(context.Background())
	for i := 0; i < 3; i++ {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := vu.openWS(); n != 1 {
		t.Fatalf("open connections = %d", n)
	}
	vu.Close()
	select {
	case code := <-closed:
		if code != -1 { // no close frame: the user is gone
			t.Logf("close code %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connection was not closed when the user stopped")
	}
	snap := env.Registry.Snapshot(time.Now())
	if got := fmt.Sprint(rowsOf(snap)); got != "[WS chat 3/0 WS connect chat 1/0]" {
		t.Errorf("rows = %s", got)
	}
}

func TestStopInterruptsAWebSocketWait(t *testing.T) {
	srv, _ := wsServer(t)
	env := testEnv(srv.URL)
	for _, body := range []string{"c.wait()", "c.receive(60)", "c.request('quiet', 60)"} {
		t.Run(body, func(t *testing.T) {
			s := load(t, "main.js", "import { task } from \"jsload\";\nimport ws from \"jsload/ws\";\nexport const t = task(() => { const c = ws.connect(\"/echo\"); "+body+"; globalThis.after = true; });\n")
			vu := newVU(t, s, env, 1, 0)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				_ = vu.RunTask(ctx)
				close(done)
			}()
			time.Sleep(100 * time.Millisecond)
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("the wait was not interrupted")
			}
			if a := global(vu, "after"); a != nil && a.ToBoolean() {
				t.Errorf("code after the interrupted call ran")
			}
		})
	}
}

func TestWebSocketBadArguments(t *testing.T) {
	srv, _ := wsServer(t)
	for src, want := range map[string]string{
		`ws.connect("/echo", { timout: 1 })`:         `unknown option "timout" (did you mean "timeout"?)`,
		`ws.connect("ftp://x/")`:                     "the scheme must be ws, wss, http or https",
		`ws.connect("/echo", { tls: { cert: 1 } })`:  "tls.cert",
		`ws.connect("/echo").close(1005)`:            "code must be 1000, 1001 or from 3000 to 4999, got 1005",
		`ws.connect("/echo").send({})`:               "data must be a string, an ArrayBuffer or a Uint8Array",
		`ws.connect("/echo").on("mesage", () => {})`: `did you mean "message"`,
	} {
		env := testEnv(srv.URL)
		vu := runOnce(t, env, "import { task } from \"jsload\";\nimport ws from \"jsload/ws\";\nexport const t = task(() => { "+src+"; });\n")
		_ = vu
		snap := env.Registry.Snapshot(time.Now())
		if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, want) || !strings.HasPrefix(snap.Exceptions[0].Position, "main.js:") && !strings.Contains(snap.Exceptions[0].Position, "main.js:3:") {
			t.Errorf("%s: exceptions = %+v, want %q", src, snap.Exceptions, want)
		}
	}
}

func TestWebSocketHandlerExceptionsAreTheScripts(t *testing.T) {
	srv, _ := wsServer(t)
	env := testEnv(srv.URL)
	runOnce(t, env, `
import { task } from "jsload";
import ws from "jsload/ws";
export const t = task(() => {
  const c = ws.connect("/echo");
  c.on("message", (m) => {
    throw new Error("boom " + m);
  });
  c.send("notify 1");
  c.wait(5);
  globalThis.after = true;
});
`)
	snap := env.Registry.Snapshot(time.Now())
	if len(snap.Exceptions) != 1 || snap.Exceptions[0].Message != "Error: boom note 1" || !strings.HasSuffix(snap.Exceptions[0].Position, "main.js:7:11") {
		t.Errorf("exceptions = %+v", snap.Exceptions)
	}
}

func TestWebSocketURLsCookiesAndTLS(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/base/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc", Path: "/"})
	})
	mux.HandleFunc("/base/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.WriteMessage(websocket.TextMessage, []byte("cookie="+r.Header.Get("Cookie")))
		_, _, _ = c.ReadMessage()
	})
	srv := httptest.NewTLSServer(mux)
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake is expected

	env := testEnv(srv.URL + "/base")
	vu := newVU(t, load(t, "main.js", "import { task } from \"jsload\";\nexport const t = task(() => {});\n"), env, 1, 0)
	for raw, want := range map[string]string{
		"/ws?x=1":           "wss://" + srv.Listener.Addr().String() + "/base/ws?x=1 /ws",
		"http://h:1/a?b":    "ws://h:1/a?b ws://h:1/a",
		"wss://h/chat#frag": "wss://h/chat#frag wss://h/chat",
	} {
		full, name, err := vu.wsURL(raw)
		if err != nil || full+" "+name != want {
			t.Errorf("wsURL(%q) = %q %q %v, want %q", raw, full, name, err, want)
		}
	}

	// The run trusts the server; a connection with another CA does not.
	env.HTTP.TLS.CAPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	other, _ := testcert.SelfSigned(t)
	env.Vars["OTHER_CA"] = string(other)
	vu = runOnce(t, env, `
import { task, http } from "jsload";
import ws from "jsload/ws";
export const t = task(() => {
  const bad = ws.connect("/ws", { name: "untrusted", tls: { ca: __ENV.OTHER_CA } });
  globalThis.bad = bad.error;
  http.post("/login");
  const c = ws.connect("/ws");
  globalThis.cookie = c.receive(5);
  c.close();
});
`)
	if got := global(vu, "bad").String(); !strings.Contains(got, "x509: certificate signed by unknown authority") {
		t.Errorf("untrusted = %s", got)
	}
	if got := global(vu, "cookie").String(); got != "cookie=session=abc" {
		t.Errorf("handshake cookie = %q", got)
	}
}

// openWS is the number of a VU's open WebSocket connections.
func (vu *VU) openWS() int {
	if vu.sockets == nil {
		return 0
	}
	return len(vu.sockets.ws)
}
