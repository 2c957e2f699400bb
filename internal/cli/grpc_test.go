package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jsload/jsload/internal/grpcc/grpcctest"
)

const kvProto = `syntax = "proto3";
package kv;
service Store {
  rpc Get(Key) returns (Value);
  rpc Scan(Key) returns (stream Value);
}
message Key { string key = 1; }
message Value { string value = 1; }
`

// kvServer answers Get with the key upper-cased (NOT_FOUND for "none")
// and Scan with two values.
func kvServer(t *testing.T) string {
	return grpcctest.Start(t, grpcctest.Options{Files: map[string]string{"kv.proto": kvProto}, Handler: func(s *grpcctest.Stream) error {
		req, err := s.Recv()
		if err != nil {
			return err
		}
		k, _ := req["key"].(string)
		if k == "none" {
			return status.Error(codes.NotFound, "no key none")
		}
		if s.Method == "/kv.Store/Scan" {
			if err := s.Send(map[string]any{"value": k + "1"}); err != nil {
				return err
			}
		}
		return s.Send(map[string]any{"value": strings.ToUpper(k)})
	}})
}

// grpcScript writes a script and kv.proto beside it.
func grpcScript(t *testing.T, src, proto string) string {
	t.Helper()
	p := script(t, src)
	if err := os.WriteFile(filepath.Join(filepath.Dir(p), "kv.proto"), []byte(proto), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const kvScript = `import { task } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load("kv.proto");
export const get = task(() => {
  const conn = grpc.connect(__ENV.KV, { protos, plaintext: true });
  conn.invoke("kv.Store/Get", { key: "a" });
  conn.invoke("kv.Store/Get", { key: "none" });
  conn.serverStream("kv.Store/Scan", { key: "s" });
});
`

func TestGRPCSingleUserTraceAndTable(t *testing.T) {
	t.Setenv("KV", kvServer(t)) // __ENV is the process environment
	r := run(t, nil, nil, "run", grpcScript(t, kvScript, kvProto), "--single-user")
	if r.code != ExitOnError {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "[VU 1] gRPC") {
			lines = append(lines, l)
		}
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\[VU 1\] gRPC /kv.Store/Get -> ok \(\d+\.\d ms, 3 B\)$`),
		regexp.MustCompile(`^\[VU 1\] gRPC /kv.Store/Get -> FAILED: NOT_FOUND: no key none \(\d+\.\d ms, 0 B\)$`),
		regexp.MustCompile(`^\[VU 1\] gRPC /kv.Store/Scan -> ok \(\d+\.\d ms, 7 B\)$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d gRPC lines, want %d:\n%s", len(lines), len(want), r.stderr)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i, lines[i], re)
		}
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`gRPC\s+/kv.Store/Get\s+2\s+1\(50\.00%\)`),
		regexp.MustCompile(`gRPC\s+/kv.Store/Scan\s+1\s+0\(0\.00%\)`),
		regexp.MustCompile(`1\s+gRPC /kv.Store/Get: NOT_FOUND: no key none`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("stdout lacks %s:\n%s", want, r.stdout)
		}
	}
}

func TestGRPCInspectAndLoadErrors(t *testing.T) {
	r := run(t, nil, nil, "inspect", grpcScript(t, kvScript, kvProto))
	if r.code != 0 || !strings.Contains(r.stdout, "gRPC methods (grpc.load):\n  kv.Store/Get\n  kv.Store/Scan\n") {
		t.Errorf("inspect: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, nil, "inspect", "--json", grpcScript(t, kvScript, kvProto))
	if !strings.Contains(r.stdout, `"grpcMethods": [`) {
		t.Errorf("inspect --json:\n%s", r.stdout)
	}
	bad := strings.Replace(kvProto, "string key = 1;", "strin key = 1;", 1)
	p := grpcScript(t, kvScript, bad)
	r = run(t, nil, nil, "run", p, "--headless", "-t", "1s")
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "main.js:3:") || !strings.Contains(r.stderr, filepath.Join(filepath.Dir(p), "kv.proto")+":7:15: ") {
		t.Errorf("a .proto that does not compile: exit %d\n%s", r.code, r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 2 {
		t.Errorf("the load error takes more than a line or two:\n%s", r.stderr)
	}
}
