package main

import (
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/grpcc/grpcctest"
)

// Workers get the .proto files with the bundle: they run in a folder of
// their own, where the script's relative paths find nothing, and their
// calls reach the server.
func TestClusterGRPCProtos(t *testing.T) {
	t.Parallel()
	const proto = `syntax = "proto3";
package ping;
import "msg.proto";
service Ping { rpc Ping(Msg) returns (Msg); }
`
	const msg = `syntax = "proto3";
package ping;
message Msg { string text = 1; }
`
	var served atomic.Int64
	addr := grpcctest.Start(t, grpcctest.Options{Files: map[string]string{"ping.proto": proto, "msg.proto": msg}, Handler: func(s *grpcctest.Stream) error {
		req, err := s.Recv()
		if err != nil {
			return err
		}
		served.Add(1)
		return s.Send(req)
	}})
	dir := t.TempDir()
	for name, src := range map[string]string{
		"ping.js": `import { task, constant } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load("ping.proto", { importPaths: "protos" });
export const options = { waitTime: constant(0.05) };
export function onStart() { globalThis.conn = grpc.connect(__ENV.PING, { protos, plaintext: true }); }
export const ping = task(() => { conn.invoke("ping.Ping/Ping", { text: "hi" }); });
`,
		"protos/ping.proto": proto, "protos/msg.proto": msg,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := strconv.Itoa(freePort(t))
	env := []string{"PING=" + addr}
	var workers []*proc
	for i := 0; i < 2; i++ {
		workers = append(workers, startInEnv(t, t.TempDir(), env, "run", "--worker", "--master-port", port, "--run-id", "grpc"))
	}
	out := filepath.Join(t.TempDir(), "summary.json")
	master := startInEnv(t, dir, env, "run", "ping.js", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
		"--run-id", "grpc", "--expect-workers", "2", "--expect-workers-max-wait", "60s", "--headless", "-u", "4", "-r", "100",
		"-t", "3s", "--stop-timeout", "10s", "--json", out, "--only-summary")
	if code := master.wait(t, 90*time.Second); code != 0 {
		t.Fatalf("master exit code %d:\n%s", code, master.output())
	}
	for i, w := range workers {
		if code := w.wait(t, 15*time.Second); code != 0 {
			t.Errorf("worker %d exit code %d:\n%s", i, code, w.output())
		}
	}
	s := readSummary(t, out)
	// A call cut off by the stop may or may not have reached the server's
	// handler: the server answered the counted calls and at most the
	// cut-off ones besides.
	if n := served.Load(); s.Aggregated.Requests == 0 || s.Aggregated.Failures != 0 || n < s.Aggregated.Requests || n > s.Aggregated.Requests+s.CutOff {
		t.Errorf("master counted %d calls (%d failed, %d cut off), the server answered %d\n%s", s.Aggregated.Requests, s.Aggregated.Failures, s.CutOff, n, master.output())
	}
	if len(s.Stats) != 1 || s.Stats[0].Name != "/ping.Ping/Ping" {
		t.Errorf("rows %+v", s.Stats)
	}
}
