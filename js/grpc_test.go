package js

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/jsload/jsload/internal/grpcc"
	"github.com/jsload/jsload/internal/grpcc/grpcctest"
)

const echoProto = `syntax = "proto3";
package test.v1;
import "common.proto";
service Echo {
  rpc Say(SayRequest) returns (SayReply);
  rpc Count(SayRequest) returns (stream SayReply);
  rpc Collect(stream SayRequest) returns (SayReply);
  rpc Chat(stream SayRequest) returns (stream SayReply);
}
message SayRequest { string text = 1; int32 times = 2; }
`

const commonProto = `syntax = "proto3";
package test.v1;
message SayReply { string text = 1; int32 n = 2; }
`

var echoFiles = map[string]string{"echo.proto": echoProto, "common.proto": commonProto}

// protoFiles are the script's files plus the .proto files under protos/.
func protoFiles(script string) []string {
	return []string{"main.js", script, "protos/echo.proto", echoProto, "protos/common.proto", commonProto}
}

func TestGRPCCallsAreRecorded(t *testing.T) {
	addr := grpcctest.Start(t, grpcctest.Options{Files: echoFiles, Handler: grpcctest.Echo})
	env := testEnv("")
	env.Vars["ADDR"] = addr
	var trace strings.Builder
	env.Verbose = &trace
	s := load(t, protoFiles(`
import { task, events } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load("echo.proto", { importPaths: ["protos"] });
const seen = [];
events.request.addListener(e => seen.push(e.requestType + " " + e.name + " " + e.status + " " + (e.response && e.response.ok)));
export const t = task(() => {
  const conn = grpc.connect(__ENV.ADDR, { protos, plaintext: true, metadata: { "x-conn": "c1" } });
  const say = conn.invoke("test.v1.Echo/Say", { text: "hi" });
  const count = conn.serverStream("/test.v1.Echo/Count", { text: "c", times: 3 });
  const collect = conn.clientStream("test.v1.Echo/Collect", [{ text: "a" }, { text: "b" }]);
  const chat = conn.bidiStream("test.v1.Echo/Chat", [{ text: "x" }, { text: "y" }]);
  const md = conn.invoke("test.v1.Echo/Say", { text: "md" }, { metadata: { "x-user": "ada" } });
  const fail = conn.invoke("test.v1.Echo/Say", { text: "fail" }, { name: "say-fail" });
  const slow = conn.invoke("test.v1.Echo/Say", { text: "slow" }, { timeout: 0.05 });
  const drop = conn.serverStream("test.v1.Echo/Count", { text: "drop", times: 2 });
  const st = conn.stream("test.v1.Echo/Chat");
  st.send({ text: "p" });
  const first = st.recv();
  st.send({ text: "q" });
  const second = st.recv();
  const ended = st.end();
  conn.stream("test.v1.Echo/Chat").send({ text: "left open" });
  globalThis.out = JSON.stringify({
    say: [say.ok, say.status, say.message], count: count.messages.map(m => m.n), collect: collect.message.text,
    chat: chat.messages.map(m => m.text), md: md.message.text, fail: [fail.ok, fail.code, fail.error],
    slow: slow.status, drop: [drop.error, drop.messages.length],
    st: [first.text, second.n, ended.ok, ended.messages.length], seen: [seen.length, seen[0], seen[5]],
  });
});
`)...)
	vu := newVU(t, s, env, 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `{"say":[true,"OK",{"text":"hi","n":1}],"count":[0,1,2],"collect":"a+b","chat":["x","y"],"md":"ada,c1",` +
		`"fail":[false,5,"NOT_FOUND: no such text"],"slow":"DEADLINE_EXCEEDED","drop":["UNAVAILABLE: the server went away mid-stream",2],` +
		`"st":["p",1,true,2],"seen":[9,"gRPC /test.v1.Echo/Say 0 true","gRPC say-fail 5 false"]}`
	if got := global(vu, "out").String(); got != want {
		t.Errorf("results\n got %s\nwant %s", got, want)
	}
	snap := env.Registry.Snapshot(time.Now())
	for name, n := range map[string][2]int64{
		"/test.v1.Echo/Say": {3, 1}, "/test.v1.Echo/Count": {2, 1}, "/test.v1.Echo/Collect": {1, 0},
		"/test.v1.Echo/Chat": {2, 0}, "say-fail": {1, 1},
	} {
		r := rowOf(t, snap, "gRPC", name)
		if r.Requests != n[0] || r.Failures != n[1] {
			t.Errorf("%s: %d requests, %d failures; want %v", name, r.Requests, r.Failures, n)
		}
	}
	if r := rowOf(t, snap, "gRPC", "/test.v1.Echo/Collect"); r.TotalSize == 0 {
		t.Error("no size recorded")
	}
	vu.Close()
	if n := env.Registry.Snapshot(time.Now()).CutOff; n != 1 {
		t.Errorf("a stream left open when the user stops: %d cut off, want 1", n)
	}
	lines := strings.Count(trace.String(), "] gRPC ")
	if lines != 9 {
		t.Errorf("%d gRPC trace lines, want one per call (9):\n%s", lines, trace.String())
	}
	for _, want := range []string{"[VU 1] gRPC /test.v1.Echo/Say -> ok (", "[VU 1] gRPC say-fail -> FAILED: NOT_FOUND: no such text ("} {
		if !strings.Contains(trace.String(), want) {
			t.Errorf("trace lacks %q:\n%s", want, trace.String())
		}
	}
}

func TestGRPCMutualTLSInAUserClass(t *testing.T) {
	certs := grpcctest.NewCerts(t)
	addr := grpcctest.Start(t, grpcctest.Options{Files: echoFiles, Handler: grpcctest.Echo, TLS: certs.ServerTLS(t, true)})
	env := testEnv("")
	env.Vars["ADDR"] = addr
	files := append(protoFiles(`
import { User, task } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load(["echo.proto"], { importPaths: "protos" });
export class Registry extends User {
  onStart() {
    this.good = grpc.connect(__ENV.ADDR, { protos, tls: { cert: "certs/client.pem", key: "certs/client-key.pem", ca: "certs/ca.pem" } });
    this.nocert = grpc.connect(__ENV.ADDR, { protos, tls: { ca: "certs/ca.pem" } });
    this.untrusted = grpc.connect(__ENV.ADDR, { protos });
  }
  @task call() {
    globalThis.out = [
      this.good.invoke("test.v1.Echo/Say", { text: "tls" }).message.text,
      this.nocert.invoke("test.v1.Echo/Say", { text: "tls" }).error,
      this.untrusted.invoke("test.v1.Echo/Say", { text: "tls" }).error,
    ];
  }
}
`), "certs/client.pem", certs.ClientCert, "certs/client-key.pem", certs.ClientKey, "certs/ca.pem", certs.CA)
	s := load(t, files...)
	vu := newVU(t, s, env, 1, 0)
	vu.OnStart(context.Background())
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := global(vu, "out").Export().([]any)
	if out[0] != "tls" {
		t.Errorf("with the client certificate: %v", out[0])
	}
	if e := fmt.Sprint(out[1]); !strings.HasPrefix(e, "UNAVAILABLE: the server requires a client certificate and none was given") {
		t.Errorf("without a client certificate: %s", e)
	}
	if e := fmt.Sprint(out[2]); !strings.HasPrefix(e, "UNAVAILABLE: ") || !strings.Contains(e, "certificate signed by unknown authority") {
		t.Errorf("an untrusted server: %s", e)
	}
	r := rowOf(t, env.Registry.Snapshot(time.Now()), "gRPC", "/test.v1.Echo/Say")
	if r.Requests != 3 || r.Failures != 2 {
		t.Errorf("row %+v", r)
	}
	// The user's connections close with it.
	if len(vu.grpc.conns) != 3 {
		t.Fatalf("%d connections", len(vu.grpc.conns))
	}
	c := vu.grpc.conns[0]
	vu.Close()
	if st := c.Run(context.Background(), callOf(t, s, "test.v1.Echo/Say"), nil); st.Status.Code() != codes.Canceled {
		t.Errorf("a call on a closed user's connection: %v", st.Status)
	}
}

func TestGRPCUnreachableServer(t *testing.T) {
	env := testEnv("")
	s := load(t, protoFiles(`
import { task } from "jsload";
import grpc from "jsload/grpc";
grpc.load("protos/echo.proto", { importPaths: [".", "protos"] });
export const t = task(() => {
  globalThis.out = grpc.connect("127.0.0.1:1", { plaintext: true }).invoke("test.v1.Echo/Say", {}).error;
});
`)...)
	vu := newVU(t, s, env, 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e := global(vu, "out").String(); !strings.HasPrefix(e, "UNAVAILABLE: ") || !strings.Contains(e, "connection refused") {
		t.Errorf("error %q", e)
	}
	if f := env.Registry.Snapshot(time.Now()).Failures; len(f) != 1 || f[0].Type != "gRPC" {
		t.Errorf("failures %+v", f)
	}
}

func TestGRPCMistakesAreClear(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		{"unknown method", `conn.invoke("test.v1.Echo/Sya", {})`, `no method "test.v1.Echo/Sya" in the loaded .proto files (did you mean "test.v1.Echo/Say"?); methods: test.v1.Echo/Chat, test.v1.Echo/Collect, test.v1.Echo/Count, test.v1.Echo/Say`},
		{"unknown field", `conn.invoke("test.v1.Echo/Say", { txet: "a" })`, `grpc /test.v1.Echo/Say: test.v1.SayRequest has no field "txet"; its fields: text, times`},
		{"wrong kind", `conn.invoke("test.v1.Echo/Count", {})`, `/test.v1.Echo/Count is a server-streaming method: call it with conn.serverStream(...), not conn.invoke`},
		{"unary stream", `conn.stream("test.v1.Echo/Say")`, `/test.v1.Echo/Say is a unary method: call it with conn.invoke(...)`},
		{"bad param", `conn.invoke("test.v1.Echo/Say", {}, { timeuot: 1 })`, `unknown param "timeuot" (did you mean "timeout"?)`},
		{"bad option", `grpc.connect("127.0.0.1:1", { plaintxt: true })`, `unknown option "plaintxt" (did you mean "plaintext"?)`},
		{"plaintext and tls", `grpc.connect("127.0.0.1:1", { plaintext: true, tls: { insecureSkipVerify: true } })`, `plaintext: true and tls go apart`},
		{"bad tls", `grpc.connect("127.0.0.1:1", { tls: { crt: "x" } })`, `tls has an unknown key "crt" (did you mean "cert"?)`},
		{"not a message", `conn.invoke("test.v1.Echo/Say", "hi")`, `a message must be an object, got hi`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := testEnv("")
			s := load(t, protoFiles(`
import { task } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load("protos/echo.proto", { importPaths: [".", "protos"] });
export const t = task(() => {
  const conn = grpc.connect("127.0.0.1:1", { protos, plaintext: true });
  `+c.body+`;
});
`)...)
			vu := newVU(t, s, env, 1, 0)
			_ = vu.RunTask(context.Background())
			snap := env.Registry.Snapshot(time.Now())
			if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, c.want) {
				t.Fatalf("exceptions %+v, want one with %q", snap.Exceptions, c.want)
			}
			if !strings.HasSuffix(snap.Exceptions[0].Position, "main.js:7:") && !strings.Contains(snap.Exceptions[0].Position, "main.js:") {
				t.Errorf("position %q", snap.Exceptions[0].Position)
			}
			if len(snap.Rows) != 0 {
				t.Errorf("a mistake was recorded as a call: %+v", snap.Rows[0])
			}
		})
	}
}

func TestGRPCLoadErrors(t *testing.T) {
	for _, c := range []struct{ name, proto, load, want string }{
		{"syntax", "syntax = \"proto3\";\npackage x;\nmessage M {\n  strin name = 1;\n}\n", `grpc.load("bad.proto", { importPaths: "protos" })`,
			filepath.Join("protos", "bad.proto") + `:4:3: `},
		{"missing file", "", `grpc.load("none.proto")`, `none.proto`},
		{"missing import", "syntax = \"proto3\";\nimport \"gone.proto\";\n", `grpc.load("protos/bad.proto")`, `gone.proto`},
		{"bad files", "", `grpc.load(42)`, `files must be a .proto file name or an array of them, got 42`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeScript(t, "main.js", `
import { task } from "jsload";
import grpc from "jsload/grpc";
`+c.load+`;
export const t = task(() => {});
`, "protos/bad.proto", c.proto)
			_, err := Load(context.Background(), path, LoadOptions{})
			var se *ScriptError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, c.want) || se.Line != 4 {
				t.Fatalf("error %v (%#v), want one at line 4 with %q", err, err, c.want)
			}
		})
	}
}

// callOf finds a method of the script's loaded protos, for tests that
// call it from Go.
func callOf(t *testing.T, s *Script, name string) grpcc.Call {
	t.Helper()
	for _, r := range s.protos.compiled {
		if r.p == nil {
			continue
		}
		if m, ok := r.p.Method(name); ok {
			return grpcc.Call{Method: m}
		}
	}
	t.Fatalf("no method %s", name)
	return grpcc.Call{}
}

func TestGRPCBundleCarriesTheProtos(t *testing.T) {
	addr := grpcctest.Start(t, grpcctest.Options{Files: echoFiles, Handler: grpcctest.Echo})
	path := writeScript(t, protoFiles(`
import { task } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.load("echo.proto", { importPaths: ["protos"] });
export const t = task(() => {
  globalThis.out = grpc.connect(__ENV.ADDR, { protos, plaintext: true }).invoke("test.v1.Echo/Say", { text: "w" }).message.text;
});
`)...)
	s, err := Load(context.Background(), path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Files); n < 3 || !strings.HasSuffix(s.Files[n-1], "common.proto") && !strings.HasSuffix(s.Files[n-2], "common.proto") {
		t.Errorf("Files (what --watch watches) lack the .proto files: %v", s.Files)
	}
	b := s.Bundle()
	if len(b.Protos) != 2 || b.Protos["protos/echo.proto"] != echoProto || b.Protos["protos/common.proto"] != commonProto {
		t.Fatalf("bundle protos %v", b.Protos)
	}
	// A worker has no copy of the files.
	if err := os.RemoveAll(filepath.Join(filepath.Dir(path), "protos")); err != nil {
		t.Fatal(err)
	}
	w, err := LoadBundle(context.Background(), b, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv("")
	env.Vars["ADDR"] = addr
	vu := newVU(t, w, env, 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := global(vu, "out"); got == nil || got.String() != "w" {
		t.Errorf("worker call: %v", got)
	}
	b.Protos = nil
	if _, err := LoadBundle(context.Background(), b, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "echo.proto") {
		t.Errorf("a bundle without its protos: %v", err)
	}
}

func TestGRPCNamedImports(t *testing.T) {
	s := load(t, protoFiles(`
import { task } from "jsload";
import { load, connect } from "jsload/grpc";
const protos = load("protos/echo.proto", { importPaths: [".", "protos"] });
export const t = task(() => { globalThis.ok = typeof connect === "function" && protos.methods.length === 4; });
`)...)
	vu := newVU(t, s, testEnv(""), 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !global(vu, "ok").ToBoolean() {
		t.Error("named imports of jsload/grpc")
	}
	path := writeScript(t, "main.js", `
import { task } from "jsload";
import { lod } from "jsload/grpc";
export const t = task(() => lod);
`)
	if _, err := Load(context.Background(), path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), `"jsload/grpc" has no export named "lod" (did you mean "load"?)`) {
		t.Errorf("a name jsload/grpc does not export: %v", err)
	}
}

// A stop during a call ends it at once: it is counted as cut off, not as
// a failure, and no more of the task runs.
func TestGRPCStopInterruptsACall(t *testing.T) {
	arrived := make(chan struct{}, 1)
	addr := grpcctest.Start(t, grpcctest.Options{Files: echoFiles, Handler: func(s *grpcctest.Stream) error {
		arrived <- struct{}{}
		<-s.Context().Done()
		return s.Context().Err()
	}})
	env := testEnv("")
	env.Vars["ADDR"] = addr
	s := load(t, protoFiles(`
import { task } from "jsload";
import grpc from "jsload/grpc";
grpc.load("protos/echo.proto", { importPaths: [".", "protos"] });
export const t = task(() => {
  grpc.connect(__ENV.ADDR, { plaintext: true }).invoke("test.v1.Echo/Say", { text: "x" });
  globalThis.after = true;
});
`)...)
	vu := newVU(t, s, env, 1, 0)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = vu.RunTask(ctx)
		close(done)
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the call never reached the server")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the call was not interrupted")
	}
	snap := env.Registry.Snapshot(time.Now())
	if snap.Total.Requests != 0 || snap.CutOff != 1 || len(snap.Exceptions) != 0 {
		t.Errorf("requests %d, cut off %d, exceptions %+v", snap.Total.Requests, snap.CutOff, snap.Exceptions)
	}
	if a := global(vu, "after"); a != nil && a.ToBoolean() {
		t.Error("code after the interrupted call ran")
	}
}

func TestGRPCReflect(t *testing.T) {
	addr := grpcctest.Start(t, grpcctest.Options{Files: echoFiles, Handler: grpcctest.Echo, Reflection: true})
	noRefl := grpcctest.Start(t, grpcctest.Options{Files: echoFiles, Handler: grpcctest.Echo})
	t.Setenv("ADDR", addr) // the top level runs at load too
	t.Setenv("NOREFL", noRefl)
	s := load(t, "main.js", `
import { task } from "jsload";
import grpc from "jsload/grpc";
const protos = grpc.reflect(__ENV.ADDR, { plaintext: true });
export const t = task(() => {
  const conn = grpc.connect(__ENV.ADDR, { protos, plaintext: true });
  globalThis.out = [protos.methods.join(" "), conn.invoke("test.v1.Echo/Say", { text: "refl" }).message.text];
});
`)
	if got := strings.Join(s.GRPCMethods(), " "); got != "test.v1.Echo/Chat test.v1.Echo/Collect test.v1.Echo/Count test.v1.Echo/Say" {
		t.Errorf("GRPCMethods %q", got)
	}
	env := testEnv("")
	env.Vars = nil
	vu := newVU(t, s, env, 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(global(vu, "out").Export()); got != "[test.v1.Echo/Chat test.v1.Echo/Collect test.v1.Echo/Count test.v1.Echo/Say refl]" {
		t.Errorf("out %s", got)
	}
	path := writeScript(t, "main.js", `
import { task } from "jsload";
import grpc from "jsload/grpc";
grpc.reflect(__ENV.NOREFL, { plaintext: true });
export const t = task(() => {});
`)
	if _, err := Load(context.Background(), path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "main.js:4:") || !strings.Contains(err.Error(), "grpc.reflect("+noRefl+"): server reflection: UNIMPLEMENTED") {
		t.Errorf("a server without reflection: %v", err)
	}
}
