package js

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestWSBenchServer is the WebSocket echo server of BenchmarkIdleWebSocket,
// run in a process of its own so that its memory is not counted: it runs
// only when JSLOAD_WS_BENCH_SERVER is set, prints its address and serves
// until its standard input closes.
func TestWSBenchServer(t *testing.T) {
	if os.Getenv("JSLOAD_WS_BENCH_SERVER") == "" {
		t.Skip("the benchmark's server process")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, b, err := c.ReadMessage()
			if err != nil || c.WriteMessage(typ, b) != nil {
				return
			}
		}
	}))
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

// BenchmarkIdleWebSocket reports what an open, idle WebSocket connection
// costs a user: 5,000 users that each connected and made one round trip,
// against 5,000 users of the same script that did not connect; heap and
// goroutine stacks in use after a GC, per connection (ws-B/conn). The
// server runs in another process (TestWSBenchServer).
func BenchmarkIdleWebSocket(b *testing.B) {
	const n = 5000
	cmd := exec.Command(os.Args[0], "-test.run=^TestWSBenchServer$")
	cmd.Env = append(os.Environ(), "JSLOAD_WS_BENCH_SERVER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	host := "http://" + strings.TrimSpace(addr)
	script := filepath.Join(b.TempDir(), "idle.js")
	if err := os.WriteFile(script, []byte(`
import { task, constant } from "jsload";
import ws from "jsload/ws";
export const options = { waitTime: constant(1) };
let conn;
export const t = task(() => {
  if (__ENV.CONNECT && !conn) {
    conn = ws.connect("/ws");
    if (conn.request("hi") !== "hi") throw new Error("no echo");
  }
});
`), 0o644); err != nil {
		b.Fatal(err)
	}
	s, err := Load(context.Background(), script, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var stack int64
	inUse := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		stack = int64(m.StackInuse)
		return int64(m.HeapInuse + m.StackInuse)
	}
	users := func(connect bool) []*VU {
		env := testEnv(host)
		if connect {
			env.Vars["CONNECT"] = "1"
		}
		vus := make([]*VU, n)
		for i := range vus {
			vu, err := s.NewVU(context.Background(), env, i+1, 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := vu.RunTask(context.Background()); err != nil {
				b.Fatal(err)
			}
			vus[i] = vu
		}
		if snap := env.Registry.Snapshot(time.Now()); len(snap.Exceptions) > 0 || snap.Total.Failures > 0 {
			b.Fatalf("exceptions %+v, %d failures", snap.Exceptions, snap.Total.Failures)
		}
		return vus
	}
	for i := 0; i < b.N; i++ {
		m0 := inUse()
		plain := users(false)
		m1 := inUse()
		s1 := stack
		connected := users(true)
		m2 := inUse()
		b.ReportMetric(float64(stack-s1)/n, "stack-B/conn")
		user, withWS := float64(m1-m0)/n, float64(m2-m1)/n
		b.ReportMetric(user, "user-B")
		b.ReportMetric(withWS, "user+ws-B")
		b.ReportMetric(withWS-user, "ws-B/conn")
		for _, vu := range append(plain, connected...) {
			vu.Close()
		}
	}
}
