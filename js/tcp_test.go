package js

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// respServer is a tiny RESP (Redis protocol) server on 127.0.0.1: PING, SET
// and GET, and BIG (a line longer than any read limit the tests set).
func respServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	data := map[string]string{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					args, err := readCommand(r)
					if err != nil {
						return
					}
					var reply string
					switch strings.ToUpper(args[0]) {
					case "PING":
						reply = "+PONG\r\n"
					case "SET":
						mu.Lock()
						data[args[1]] = args[2]
						mu.Unlock()
						reply = "+OK\r\n"
					case "GET":
						mu.Lock()
						v, ok := data[args[1]]
						mu.Unlock()
						reply = "$-1\r\n"
						if ok {
							reply = fmt.Sprintf("$%d\r\n%s\r\n", len(v), v)
						}
					case "BIG":
						reply = "+" + strings.Repeat("x", 5000) + "\r\n"
					case "QUIT":
						return
					default:
						reply = "-ERR unknown command '" + args[0] + "'\r\n"
					}
					if _, err := io.WriteString(c, reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad array %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if line, err = r.ReadString('\n'); err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil {
			return nil, err
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		args[i] = string(b[:size])
	}
	return args, nil
}

// TestRESPExample runs scripts/resp.js, the README's worked example,
// against the tiny RESP server: its commands are recorded as exchanges.
func TestRESPExample(t *testing.T) {
	src, err := os.ReadFile("../scripts/resp.js")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(src)) {
		t.Errorf("README.md does not show scripts/resp.js as it is")
	}
	env := testEnv("")
	env.Vars["REDIS_ADDR"] = respServer(t)
	var trace strings.Builder
	env.Verbose = &syncWriter{w: &trace}
	s := load(t, "resp.js", string(src))
	vu := newVU(t, s, env, 1, 0)
	vu.OnStart(context.Background())
	// Tasks are picked at random: 40 make both kinds all but certain
	// (each is missing with a chance under 1e-7).
	const iterations = 40
	for i := 0; i < iterations; i++ {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	vu.OnStop(context.Background())
	snap := env.Registry.Snapshot(time.Now())
	if len(snap.Exceptions) > 0 {
		t.Fatalf("exceptions: %+v", snap.Exceptions)
	}
	var sets, gets, pings int64
	for _, r := range snap.Rows {
		switch r.Type + " " + r.Name {
		case "TCP SET":
			sets = r.Requests
		case "TCP GET":
			gets = r.Requests
		case "TCP PING":
			pings = r.Requests
		case "TCP connect redis":
			if r.Requests != 1 {
				t.Errorf("connects = %d", r.Requests)
			}
		default:
			t.Errorf("unexpected row %s %s", r.Type, r.Name)
		}
		if r.Failures != 0 {
			t.Errorf("%s %s: %d failures", r.Type, r.Name, r.Failures)
		}
	}
	if sets != gets || sets+pings != iterations || sets == 0 || pings == 0 {
		t.Errorf("SET %d, GET %d, PING %d over %d tasks", sets, gets, pings, iterations)
	}
	// "$7\r\nvisit N\r\n" is 13 or 14 bytes.
	if r := rowOf(t, snap, "TCP", "GET"); r.TotalSize < gets*13 || r.TotalSize > gets*14 {
		t.Errorf("GET size %d for %d replies", r.TotalSize, gets)
	}
	for _, c := range snap.Checks {
		if c.Fails != 0 || c.Passes == 0 {
			t.Errorf("check %+v", c)
		}
	}
	if !regexp.MustCompile(`(?m)^\[VU 1\] TCP GET -> ok \(\d+\.\d ms, 1[34] B\) "visit \d+\\r\\n"$`).MatchString(trace.String()) {
		t.Errorf("trace:\n%s", trace.String())
	}
}

func TestTCPFailuresAreRecorded(t *testing.T) {
	addr := respServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	// A server that accepts and never answers.
	stall, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stall.Close() })
	go func() {
		for {
			c, err := stall.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	env := testEnv("")
	env.Vars["A"], env.Vars["DEAD"], env.Vars["STALL"] = addr, dead, stall.Addr().String()
	vu := runOnce(t, env, `
import { task } from "jsload";
import tcp from "jsload/tcp";
export const t = task(() => {
  const d = tcp.connect(__ENV.DEAD, { name: "dead" });
  globalThis.dead = [d.ok, d.error];
  const s = tcp.connect(__ENV.STALL, { name: "stall" });
  s.write("PING\r\n");
  globalThis.stalled = s.readUntil("\r\n", 0.05);
  const c = tcp.connect(__ENV.A, { name: "big", maxRead: 1000 });
  c.write("*1\r\n$3\r\nBIG\r\n");
  globalThis.big = c.readUntil("\r\n");
  globalThis.bigClosed = c.closed;
  const q = tcp.connect(__ENV.A, { name: "quit" });
  q.write("*1\r\n$4\r\nQUIT\r\n");
  globalThis.quit = q.readSome(5);
  try { tcp.connect(__ENV.A).read(2000000); } catch (e) { globalThis.tooMuch = String(e); }
  try { tcp.connect("nohost"); } catch (e) { globalThis.badAddr = String(e); }
});
`)
	if got := fmt.Sprint(vu.rt.Get("dead").Export()); got != "[false connection refused (dial tcp "+dead+")]" {
		t.Errorf("dead = %s", got)
	}
	for _, k := range []string{"stalled", "big", "quit"} {
		if !isNullish(global(vu, k)) {
			t.Errorf("%s = %v, want null", k, global(vu, k))
		}
	}
	if !global(vu, "bigClosed").ToBoolean() {
		t.Errorf("a connection over its read limit stays open")
	}
	if got := global(vu, "tooMuch").String(); !strings.Contains(got, "conn.read(2000000): more than the connection's maxRead (1048576 bytes)") {
		t.Errorf("tooMuch = %s", got)
	}
	if got := global(vu, "badAddr").String(); !strings.Contains(got, `address "nohost" must be host:port`) {
		t.Errorf("badAddr = %s", got)
	}
	snap := env.Registry.Snapshot(time.Now())
	want := []string{
		`TCP big: no "\r\n" in the first 1000 bytes (the read limit is 1000 bytes)`,
		"TCP connect dead: connection refused (dial tcp " + dead + ")",
		"TCP quit: the server closed the connection (EOF)",
		"TCP stall: read timeout after 50ms (0 bytes received)",
	}
	if got := failuresOf(snap); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStopInterruptsATCPRead(t *testing.T) {
	stall, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stall.Close() })
	go func() {
		for {
			c, err := stall.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	env := testEnv("")
	env.Vars["STALL"] = stall.Addr().String()
	s := load(t, "main.js", "import { task } from \"jsload\";\nimport tcp from \"jsload/tcp\";\nexport const t = task(() => { const c = tcp.connect(__ENV.STALL); c.write(\"x\"); c.readSome(60); globalThis.after = true; });\n")
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
		t.Fatal("the read was not interrupted")
	}
	if a := global(vu, "after"); a != nil && a.ToBoolean() {
		t.Errorf("code after the interrupted read ran")
	}
	if snap := env.Registry.Snapshot(time.Now()); len(snap.Failures) != 0 {
		t.Errorf("an interrupted read is no failure: %+v", snap.Failures)
	}
}

// TestConnectionObjectsKeys: a connection object (WebSocket or TCP) keeps
// its own properties and methods (an assignment to one has no effect),
// takes keys the script adds,
// and lists its properties and the script's keys.
func TestConnectionObjectsKeys(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	env := testEnv("")
	env.Vars["DEAD"] = dead
	vu := runOnce(t, env, `
import { task } from "jsload";
import tcp from "jsload/tcp";
import ws from "jsload/ws";
function probe(c) {
  let kept = [];
  for (const k of ["ok", "close"]) {
    try { c[k] = 1; } catch (e) { /* refused in strict code */ }
    if (c[k] !== 1) kept.push(k);
  }
  c.mine = 7;
  const withMine = Object.keys(c).join(",");
  delete c.mine;
  return [kept.join(","), withMine, Object.keys(c).join(","), typeof c.close, c.mine === undefined].join(" | ");
}
export const t = task(() => {
  globalThis.tcpKeys = probe(tcp.connect(__ENV.DEAD));
  globalThis.wsKeys = probe(ws.connect("ws://" + __ENV.DEAD + "/x"));
});
`)
	for name, want := range map[string]string{
		"tcpKeys": "ok,close | ok,error,name,address,closed,mine | ok,error,name,address,closed | function | true",
		"wsKeys":  "ok,close | ok,error,status,protocol,name,url,closed,closeCode,closeReason,mine | ok,error,status,protocol,name,url,closed,closeCode,closeReason | function | true",
	} {
		if got := global(vu, name).String(); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
