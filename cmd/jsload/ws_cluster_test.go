package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A distributed run of a WebSocket script: two workers in folders of their
// own hold connections across tasks, and the master counts exactly the
// round trips the server answered (the stop timeout lets every one finish).
func TestClusterWebSocket(t *testing.T) {
	t.Parallel()
	var echoed, conns atomic.Int64
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		conns.Add(1)
		for {
			kind, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(kind, msg); err != nil {
				return
			}
			echoed.Add(1)
		}
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	src := `import { task, constant } from "jsload";
import ws from "jsload/ws";
export const options = { waitTime: constant(0.05) };
let conn;
export const echo = task(() => {
  if (!conn) conn = ws.connect("/echo");
  conn.request("hi");
});
`
	if err := os.WriteFile(filepath.Join(dir, "ws.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(freePort(t))
	var workers []*proc
	for i := 0; i < 2; i++ {
		workers = append(workers, startInEnv(t, t.TempDir(), nil, "run", "--worker", "--master-port", port, "--run-id", "ws"))
	}
	out := filepath.Join(t.TempDir(), "summary.json")
	master := startInEnv(t, dir, nil, "run", "ws.js", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
		"--run-id", "ws", "--expect-workers", "2", "--expect-workers-max-wait", "60s", "--headless", "-u", "4", "-r", "100",
		"-t", "3s", "--stop-timeout", "10s", "-H", srv.URL, "--json", out, "--only-summary")
	if code := master.wait(t, 90*time.Second); code != 0 {
		t.Fatalf("master exit code %d:\n%s", code, master.output())
	}
	for i, w := range workers {
		if code := w.wait(t, 15*time.Second); code != 0 {
			t.Errorf("worker %d exit code %d:\n%s", i, code, w.output())
		}
	}
	s := readSummary(t, out)
	rows := map[string]int64{}
	for _, r := range s.Stats {
		rows[r.Name] = r.Requests
	}
	if s.Aggregated.Failures != 0 || rows["/echo"] == 0 || rows["/echo"] != echoed.Load() {
		t.Errorf("master counted %d round trips (%d failures in all), the server echoed %d\n%s", rows["/echo"], s.Aggregated.Failures, echoed.Load(), master.output())
	}
	if rows["connect /echo"] != conns.Load() || conns.Load() != 4 {
		t.Errorf("master counted %d connects, the server accepted %d, want 4 (one per user, held across tasks)", rows["connect /echo"], conns.Load())
	}
}
