//go:build unix

package js

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/grpcc/grpcctest"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGRPCInvoke is what one unary call costs a user: a JS task
// calling conn.invoke (the message to JSON and to protobuf, the call, the
// reply back to a JS object, the sample recorded). It reports the
// process's CPU time per call (cpu-ns/call). With JSLOAD_BENCH_GRPC set to
// the demo server's registry (host:port) and JSLOAD_BENCH_GRPC_CERTS to its
// certificate folder, it calls GetModel over mutual TLS there, and the CPU
// is the client's alone (scripts/bench-grpc runs it so, the server pinned
// to the other core); otherwise it calls an in-process plaintext server,
// whose CPU is counted too.
func BenchmarkGRPCInvoke(b *testing.B) {
	addr, certs := os.Getenv("JSLOAD_BENCH_GRPC"), os.Getenv("JSLOAD_BENCH_GRPC_CERTS")
	files := []string{"main.js", `
import { task } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load("echo.proto", { importPaths: ["protos"] });
const conn = grpc.connect(__ENV.ADDR, { protos, plaintext: true });
export const t = task(() => { conn.invoke("test.v1.Echo/Say", { text: "hi" }); });
`, "protos/echo.proto", echoProto, "protos/common.proto", commonProto}
	name := "/test.v1.Echo/Say"
	if addr != "" {
		files = []string{"main.js", `
import { task } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load("registry.proto", { importPaths: [__ENV.PROTO_DIR] });
const conn = grpc.connect(__ENV.ADDR, { protos, tls: { cert: __ENV.CERTS + "/client.pem", key: __ENV.CERTS + "/client-key.pem", ca: __ENV.CERTS + "/ca.pem" } });
export const t = task(() => { conn.invoke("registry.v1.ModelRegistry/GetModel", { name: "bert-base" }); });
`}
		name = "/registry.v1.ModelRegistry/GetModel"
	} else {
		addr = grpcctest.Start(b, grpcctest.Options{Files: echoFiles, Handler: grpcctest.Echo})
	}
	wd, _ := os.Getwd()
	// The top level runs at load too, with the process's environment.
	b.Setenv("ADDR", addr)
	b.Setenv("CERTS", certs)
	b.Setenv("PROTO_DIR", filepath.Join(wd, "..", "demo", "golang"))
	env := testEnv("")
	env.Vars = nil
	dir := b.TempDir()
	path := writeFilesIn(b, dir, files...)
	s, err := Load(context.Background(), path, LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	vu, err := s.NewVU(context.Background(), env, 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer vu.Close()
	ctx := context.Background()
	if err := vu.RunTask(ctx); err != nil { // connects
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := vu.RunTask(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/call")
	b.StopTimer()
	for _, r := range env.Registry.Snapshot(time.Now()).Rows {
		if r.Name == name && r.Failures > 0 {
			b.Fatalf("%d of %d calls failed", r.Failures, r.Requests)
		}
	}
}

// writeFilesIn writes files (name -> source) into dir and returns the path
// of the first.
func writeFilesIn(tb testing.TB, dir string, files ...string) string {
	tb.Helper()
	for i := 0; i+1 < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, files[0])
}
