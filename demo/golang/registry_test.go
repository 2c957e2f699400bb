package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/jsload/jsload/internal/grpcc"
)

// The gRPC registry answers over mutual TLS with the certificates the
// server wrote, and refuses a client without one.
func TestGRPCRegistry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	certDir := filepath.Join(t.TempDir(), "certs")
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-quiet", "-latency-scale", "0", "-cert-dir", certDir}, pw, io.Discard)
		pw.Close()
	}()
	br := bufio.NewReader(pr)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^example_server grpc registry on (127\.0\.0\.1:\d+) \(mutual TLS; client certificate in (.+)\)\n$`).FindStringSubmatch(line)
	if m == nil || m[2] != certDir {
		t.Fatalf("second line %q", line)
	}
	go io.Copy(io.Discard, br)

	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(certDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(read("ca.pem"))
	pair, err := tls.X509KeyPair(read("client.pem"), read("client-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	protos, err := grpcc.Compile(ctx, []string{"registry.proto"}, nil, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	call := func(c *grpcc.Conn, method, js string) *grpcc.Result {
		md, ok := protos.Method("registry.v1.ModelRegistry/" + method)
		if !ok {
			t.Fatalf("no method %s", method)
		}
		in, err := grpcc.Decode(md.Input(), []byte(js))
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		return c.Run(cctx, grpcc.Call{Method: md}, []proto.Message{in})
	}
	text := func(r *grpcc.Result, i int) string {
		b, _ := grpcc.Encode(r.Messages[i])
		return strings.ReplaceAll(string(b), " ", "")
	}
	conn, err := grpcc.Dial(m[1], grpcc.Options{TLS: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if r := call(conn, "GetModel", `{"name":"bert-base"}`); r.Err() != "" || text(r, 0) != `{"name":"bert-base","version":"1.0.2","size":"440473133"}` {
		t.Errorf("GetModel: %q %v", r.Err(), r.Messages)
	}
	if r := call(conn, "GetModel", `{"name":"nope"}`); r.Err() != `NOT_FOUND: model "nope" not found` {
		t.Errorf("GetModel of an unknown model: %q", r.Err())
	}
	if r := call(conn, "RegisterModel", `{"name":"mine","version":"2.0"}`); r.Err() != "" {
		t.Errorf("RegisterModel: %q", r.Err())
	}
	if r := call(conn, "ListModels", `{}`); r.Err() != "" || len(r.Messages) != len(seedModels)+1 || !strings.Contains(text(r, 1), `"mine"`) {
		t.Errorf("ListModels: %q, %d models", r.Err(), len(r.Messages))
	}
	if r := call(conn, "RegisterModel", `{"name":""}`); !strings.HasPrefix(r.Err(), "INVALID_ARGUMENT: ") {
		t.Errorf("RegisterModel without a name: %q", r.Err())
	}

	refl, err := conn.Reflect(ctx)
	if err != nil || strings.Join(refl.Methods(), " ") != "registry.v1.ModelRegistry/GetModel registry.v1.ModelRegistry/ListModels registry.v1.ModelRegistry/RegisterModel" {
		t.Errorf("server reflection: %v %v", err, refl)
	}

	anon, err := grpcc.Dial(m[1], grpcc.Options{TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	if r := call(anon, "GetModel", `{"name":"bert-base"}`); !strings.Contains(r.Err(), "requires a client certificate") {
		t.Errorf("without a client certificate: %q", r.Err())
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
}
