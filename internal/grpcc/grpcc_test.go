package grpcc_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/jsload/jsload/internal/grpcc"
	"github.com/jsload/jsload/internal/grpcc/grpcctest"
)

// EchoProto is the service the tests call: one method of each kind.
const echoProto = `syntax = "proto3";
package test.v1;
import "common.proto";
service Echo {
  rpc Say(SayRequest) returns (SayReply);
  rpc Count(SayRequest) returns (stream SayReply);
  rpc Collect(stream SayRequest) returns (SayReply);
  rpc Chat(stream SayRequest) returns (stream SayReply);
}
message SayRequest { string text = 1; int32 times = 2; Tag tag = 3; }
`

const commonProto = `syntax = "proto3";
package test.v1;
message Tag { string label = 1; }
message SayReply { string text = 1; int32 n = 2; }
`

var files = map[string]string{"echo.proto": echoProto, "common.proto": commonProto}

func compile(t testing.TB) *grpcc.Protos {
	t.Helper()
	p, err := grpcc.Compile(context.Background(), []string{"echo.proto"}, nil, grpcctest.MapReader(files))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func method(t testing.TB, p *grpcc.Protos, name string) grpcc.Call {
	t.Helper()
	m, ok := p.Method(name)
	if !ok {
		t.Fatalf("no method %s in %v", name, p.Methods())
	}
	return grpcc.Call{Method: m}
}

func reply(t testing.TB, r *grpcc.Result, i int) string {
	t.Helper()
	if i >= len(r.Messages) {
		t.Fatalf("only %d messages", len(r.Messages))
	}
	b, err := grpcc.Encode(r.Messages[i])
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), " ", "")
}

func dial(t testing.TB, addr string) *grpcc.Conn {
	t.Helper()
	c, err := grpcc.Dial(addr, grpcc.Options{Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCompileMethods(t *testing.T) {
	p := compile(t)
	want := "test.v1.Echo/Chat test.v1.Echo/Collect test.v1.Echo/Count test.v1.Echo/Say"
	if got := strings.Join(p.Methods(), " "); got != want {
		t.Errorf("methods %q, want %q", got, want)
	}
	kinds := map[string]grpcc.Kind{"Say": grpcc.Unary, "Count": grpcc.ServerStream, "Collect": grpcc.ClientStream, "Chat": grpcc.BidiStream}
	for n, k := range kinds {
		m, ok := p.Method("/test.v1.Echo/" + n)
		if !ok || grpcc.KindOf(m) != k {
			t.Errorf("%s: kind %v, want %v", n, grpcc.KindOf(m), k)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	bad := map[string]string{
		"bad.proto":     "syntax = \"proto3\";\npackage x;\nmessage M {\n  strin name = 1;\n}\n",
		"syntax.proto":  "syntax = \"proto3\";\nmessage M { string name = 1 }\n",
		"missing.proto": "syntax = \"proto3\";\nimport \"nowhere.proto\";\n",
	}
	for name, want := range map[string]string{
		"bad.proto":     `protos/bad.proto:4:3: `,
		"syntax.proto":  `protos/syntax.proto:2:29: syntax error`,
		"missing.proto": `nowhere.proto`,
	} {
		read := func(p string) ([]byte, error) {
			return grpcctest.MapReader(bad)(strings.TrimPrefix(p, "protos/"))
		}
		_, err := grpcc.Compile(context.Background(), []string{name}, []string{"protos"}, read)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, want)
		}
	}
	_, err := grpcc.Compile(context.Background(), []string{"none.proto"}, nil, grpcctest.MapReader(files))
	if err == nil || !strings.Contains(err.Error(), "none.proto") {
		t.Errorf("a missing file: %v", err)
	}
}

func TestDecodeUnknownField(t *testing.T) {
	p := compile(t)
	m, _ := p.Method("test.v1.Echo/Say")
	if _, err := grpcc.Decode(m.Input(), []byte(`{"text":"a","times":2,"tag":{"label":"x"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := grpcc.Decode(m.Input(), []byte(`{"txet":"a"}`)); err == nil ||
		err.Error() != `test.v1.SayRequest has no field "txet"; its fields: text, times, tag` {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := grpcc.Decode(m.Input(), []byte(`{"tag":{"lable":"x"}}`)); err == nil ||
		err.Error() != `test.v1.Tag has no field "lable" (at tag); its fields: label` {
		t.Errorf("unknown nested field: %v", err)
	}
	if _, err := grpcc.Decode(m.Input(), []byte(`{"times":"many"}`)); err == nil || !strings.HasPrefix(err.Error(), "test.v1.SayRequest: ") {
		t.Errorf("a wrong type: %v", err)
	}
}

func in(t testing.TB, c grpcc.Call, js ...string) []proto.Message {
	t.Helper()
	var out []proto.Message
	for _, j := range js {
		m, err := grpcc.Decode(c.Method.Input(), []byte(j))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestCallKinds(t *testing.T) {
	p := compile(t)
	addr := grpcctest.Start(t, grpcctest.Options{Files: files, Handler: grpcctest.Echo})
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	say := method(t, p, "test.v1.Echo/Say")
	r := c.Run(ctx, say, in(t, say, `{"text":"hi"}`))
	if r.Err() != "" || reply(t, r, 0) != `{"text":"hi","n":1}` || r.Size == 0 {
		t.Errorf("unary: %q %v size %d", r.Err(), r.Messages, r.Size)
	}

	count := method(t, p, "test.v1.Echo/Count")
	r = c.Run(ctx, count, in(t, count, `{"text":"c","times":3}`))
	if r.Err() != "" || len(r.Messages) != 3 || reply(t, r, 2) != `{"text":"c","n":2}` {
		t.Errorf("server stream: %q %d messages", r.Err(), len(r.Messages))
	}

	collect := method(t, p, "test.v1.Echo/Collect")
	r = c.Run(ctx, collect, in(t, collect, `{"text":"a"}`, `{"text":"b"}`))
	if r.Err() != "" || reply(t, r, 0) != `{"text":"a+b","n":2}` {
		t.Errorf("client stream: %q %v", r.Err(), r.Messages)
	}

	chat := method(t, p, "test.v1.Echo/Chat")
	s, err := c.Stream(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	for i, txt := range []string{"x", "y"} {
		if err := s.Send(in(t, chat, `{"text":"`+txt+`"}`)[0]); err != nil {
			t.Fatal(err)
		}
		m, err := s.Recv()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := grpcc.Encode(m)
		if want := fmt.Sprintf(`{"text":"%s","n":%d}`, txt, i); strings.ReplaceAll(string(b), " ", "") != want {
			t.Errorf("bidi reply %d: %s, want %s", i, b, want)
		}
	}
	_ = s.CloseSend()
	if _, err := s.Recv(); err != io.EOF {
		t.Errorf("bidi end: %v", err)
	}
	if !s.Done() || s.Result().Err() != "" || len(s.Result().Messages) != 2 {
		t.Errorf("bidi result: %+v", s.Result())
	}
}

func TestStatusMetadataDeadline(t *testing.T) {
	p := compile(t)
	addr := grpcctest.Start(t, grpcctest.Options{Files: files, Handler: grpcctest.Echo})
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	say := method(t, p, "test.v1.Echo/Say")

	r := c.Run(ctx, say, in(t, say, `{"text":"fail"}`))
	if r.Err() != "NOT_FOUND: no such text" {
		t.Errorf("status text %q", r.Err())
	}

	md := say
	md.Metadata = metadata.Pairs("x-user", "ada")
	r = c.Run(ctx, md, in(t, say, `{"text":"md"}`))
	if r.Err() != "" || reply(t, r, 0) != `{"text":"ada","n":0}` {
		t.Errorf("metadata: %q %v", r.Err(), r.Messages)
	}

	slow := say
	slow.Timeout = 50 * time.Millisecond
	r = c.Run(ctx, slow, in(t, say, `{"text":"slow"}`))
	if !strings.HasPrefix(r.Err(), "DEADLINE_EXCEEDED") {
		t.Errorf("deadline: %q", r.Err())
	}

	count := method(t, p, "test.v1.Echo/Count")
	r = c.Run(ctx, count, in(t, count, `{"text":"drop","times":2}`))
	if r.Err() != "UNAVAILABLE: the server went away mid-stream" || len(r.Messages) != 2 {
		t.Errorf("mid-stream: %q after %d messages", r.Err(), len(r.Messages))
	}
}

func TestUnreachable(t *testing.T) {
	p := compile(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	say := method(t, p, "test.v1.Echo/Say")
	r := c.Run(ctx, say, in(t, say, `{"text":"hi"}`))
	if !strings.HasPrefix(r.Err(), "UNAVAILABLE: ") || !strings.Contains(r.Err(), "connection refused") {
		t.Errorf("unreachable: %q", r.Err())
	}
	if _, err := grpcc.Dial("http://"+addr, grpcc.Options{}); err == nil {
		t.Error("a target with a scheme is accepted")
	}
}

func TestMutualTLS(t *testing.T) {
	p := compile(t)
	certs := grpcctest.NewCerts(t)
	addr := grpcctest.Start(t, grpcctest.Options{Files: files, Handler: grpcctest.Echo, TLS: certs.ServerTLS(t, true)})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM([]byte(certs.CA))
	pair, err := tls.X509KeyPair([]byte(certs.ClientCert), []byte(certs.ClientKey))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	say := method(t, p, "test.v1.Echo/Say")
	call := func(cfg *tls.Config) string {
		c, err := grpcc.Dial(addr, grpcc.Options{TLS: cfg})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Run(ctx, say, in(t, say, `{"text":"hi"}`)).Err()
	}
	if e := call(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}); e != "" {
		t.Errorf("with the client certificate: %s", e)
	}
	if e := call(&tls.Config{RootCAs: pool}); !strings.HasPrefix(e, "UNAVAILABLE: the server requires a client certificate and none was given") {
		t.Errorf("without a client certificate: %q", e)
	}
	if e := call(&tls.Config{}); !strings.HasPrefix(e, "UNAVAILABLE: ") || !strings.Contains(e, "certificate") {
		t.Errorf("an untrusted server: %q", e)
	}
}

func TestStreamSendAfterServerEnd(t *testing.T) {
	p := compile(t)
	addr := grpcctest.Start(t, grpcctest.Options{Files: files, Handler: func(s *grpcctest.Stream) error {
		return status.Error(codes.PermissionDenied, "go away")
	}})
	c := dial(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	chat := method(t, p, "test.v1.Echo/Chat")
	s, err := c.Stream(ctx, chat)
	if err != nil {
		t.Fatal(err)
	}
	var sendErr error
	for i := 0; i < 100 && sendErr == nil && !s.Done(); i++ {
		sendErr = s.Send(in(t, chat, `{"text":"x"}`)[0])
	}
	if !s.Done() {
		if _, err := s.Recv(); err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("recv after the server ended: %v", err)
		}
	}
	if e := s.Result().Err(); e != "PERMISSION_DENIED: go away" {
		t.Errorf("status %q", e)
	}
}

// BenchmarkUnary is the client's cost of one unary call (encode, send,
// receive, decode) against an in-process server on the loopback.
func BenchmarkUnary(b *testing.B) {
	p := compile(b)
	addr := grpcctest.Start(b, grpcctest.Options{Files: files, Handler: grpcctest.Echo})
	c := dial(b, addr)
	say := method(b, p, "test.v1.Echo/Say")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := grpcc.Decode(say.Method.Input(), []byte(`{"text":"hi"}`))
		if err != nil {
			b.Fatal(err)
		}
		r := c.Unary(ctx, say, m)
		if r.Err() != "" {
			b.Fatal(r.Err())
		}
		if _, err := grpcc.Encode(r.Messages[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReflect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr := grpcctest.Start(t, grpcctest.Options{Files: files, Handler: grpcctest.Echo, Reflection: true})
	c := dial(t, addr)
	p, err := c.Reflect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Methods(), " "); got != "test.v1.Echo/Chat test.v1.Echo/Collect test.v1.Echo/Count test.v1.Echo/Say" {
		t.Errorf("methods %q", got)
	}
	say := method(t, p, "test.v1.Echo/Say")
	if r := c.Run(ctx, say, in(t, say, `{"text":"r","tag":{"label":"x"}}`)); r.Err() != "" || reply(t, r, 0) != `{"text":"r","n":1}` {
		t.Errorf("a call with reflected descriptors: %q", r.Err())
	}
	// A server without reflection says so.
	plain := dial(t, grpcctest.Start(t, grpcctest.Options{Files: files, Handler: grpcctest.Echo}))
	if _, err := plain.Reflect(ctx); err == nil || !strings.Contains(err.Error(), "server reflection: ") {
		t.Errorf("no reflection: %v", err)
	}
}

// FuzzDecode: any JSON text gives a message or an error, never a panic; an
// unknown-field error always names a field the message lacks.
func FuzzDecode(f *testing.F) {
	p := compile(f)
	m, _ := p.Method("test.v1.Echo/Say")
	for _, s := range []string{`{"text":"a"}`, `{"tag":{"lable":1}}`, `{"times":"x"}`, `[]`, `{"text":null}`, `{"tag":[{}]}`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, js string) {
		_, err := grpcc.Decode(m.Input(), []byte(js))
		var u *grpcc.UnknownFieldError
		if errors.As(err, &u) {
			for _, k := range u.Known {
				if k == u.Field {
					t.Fatalf("%q is reported unknown but is a field: %v", u.Field, err)
				}
			}
		}
	})
}
