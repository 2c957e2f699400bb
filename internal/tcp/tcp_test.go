package tcp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/testcert"
)

// serve accepts connections on 127.0.0.1 and runs handle on each.
func serve(t *testing.T, cfg *tls.Config, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// lines answers each line: "+OK <line>\r\n"; "big" sends 300 bytes without
// a newline; "quit" closes.
func lines(c net.Conn) {
	buf := make([]byte, 0, 256)
	one := make([]byte, 1)
	for {
		if _, err := c.Read(one); err != nil {
			return
		}
		if one[0] != '\n' {
			buf = append(buf, one[0])
			continue
		}
		line := strings.TrimSuffix(string(buf), "\r")
		buf = buf[:0]
		switch line {
		case "quit":
			return
		case "big":
			_, _ = c.Write([]byte(strings.Repeat("x", 300)))
		case "stall":
		case "split":
			_, _ = c.Write([]byte("ab"))
			time.Sleep(20 * time.Millisecond)
			_, _ = c.Write([]byte("cd\r\n"))
		default:
			_, _ = io.WriteString(c, "+OK "+line+"\r\n")
		}
	}
}

func TestReadsOfEachKind(t *testing.T) {
	ctx := bounded(t)
	addr := serve(t, nil, lines)
	c, err := Dial(ctx, addr, Options{MaxRead: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Write(ctx, []byte("PING\r\nsplit\r\n"), time.Second); err != nil {
		t.Fatal(err)
	}
	b, err := c.ReadUntil(ctx, []byte("\r\n"), 5*time.Second)
	if err != nil || string(b) != "+OK PING\r\n" {
		t.Fatalf("ReadUntil = %q, %v", b, err)
	}
	b, err = c.ReadN(ctx, 3, 5*time.Second)
	if err != nil || string(b) != "abc" {
		t.Fatalf("ReadN across two segments = %q, %v", b, err)
	}
	b, err = c.ReadSome(ctx, 5*time.Second)
	if err != nil || string(b) != "d\r\n" {
		t.Fatalf("ReadSome = %q, %v", b, err)
	}
	if c.buf != nil {
		t.Errorf("an idle connection holds a buffer of %d bytes", cap(c.buf))
	}

	// A stalled server against the timeout: the connection stays usable.
	_ = c.Write(ctx, []byte("stall\r\n"), time.Second)
	_, err = c.ReadUntil(ctx, []byte("\r\n"), 50*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) || err.Error() != "read timeout after 50ms (0 bytes received)" {
		t.Fatalf("stalled read = %v", err)
	}
	_ = c.Write(ctx, []byte("again\r\n"), time.Second)
	if b, err := c.ReadUntil(ctx, []byte("\r\n"), 5*time.Second); err != nil || string(b) != "+OK again\r\n" {
		t.Fatalf("after a timeout: %q %v", b, err)
	}

	// Oversize: no delimiter within the limit, and a read larger than it.
	_ = c.Write(ctx, []byte("big\r\n"), time.Second)
	_, err = c.ReadUntil(ctx, []byte("\r\n"), 5*time.Second)
	var le *LimitError
	if !errors.As(err, &le) || err.Error() != `no "\r\n" in the first 100 bytes (the read limit is 100 bytes)` {
		t.Fatalf("oversize line = %v", err)
	}
	if _, err := c.ReadN(ctx, 101, time.Second); !errors.As(err, &le) {
		t.Fatalf("ReadN over the limit = %v", err)
	}

	// The server closing mid-stream.
	c.Close()
	if _, err := c.ReadSome(ctx, time.Second); err != ErrClosed {
		t.Errorf("read after close = %v", err)
	}
	c, err = Dial(ctx, addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.Write(ctx, []byte("quit\r\n"), time.Second)
	_, err = c.ReadUntil(ctx, []byte("\r\n"), 5*time.Second)
	if err == nil || err.Error() != "the server closed the connection (EOF)" {
		t.Fatalf("closed mid-stream = %v", err)
	}
}

func TestContextEndsARead(t *testing.T) {
	ctx := bounded(t)
	addr := serve(t, nil, lines)
	c, err := Dial(ctx, addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := c.ReadSome(cctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with an ended context = %v", err)
	}
}

func TestDialFailuresAndTLS(t *testing.T) {
	ctx := bounded(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Dial(ctx, addr, Options{}); err == nil || err.Error() != "connection refused (dial tcp "+addr+")" {
		t.Errorf("unreachable = %v", err)
	}

	// httptest's certificate is for 127.0.0.1.
	hs := httptest.NewUnstartedServer(nil)
	hs.StartTLS()
	pair := hs.TLS.Certificates[0]
	serverCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
	hs.Close()
	clientCert, clientKey := testcert.SelfSigned(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(clientCert)
	taddr := serve(t, &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}, lines)

	if _, err := Dial(ctx, taddr, Options{TLS: &httpc.TLSOptions{}}); err == nil || !strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
		t.Errorf("untrusted = %v", err)
	}
	trusted := httpc.TLSOptions{CAPEM: string(serverCert)}
	c, err := Dial(ctx, taddr, Options{TLS: &trusted})
	if err == nil {
		// TLS 1.3 reports a missing client certificate at the first read.
		_ = c.Write(ctx, []byte("PING\r\n"), time.Second)
		_, err = c.ReadSome(ctx, 5*time.Second)
		c.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Errorf("no client certificate = %v", err)
	}
	trusted.CertPEM, trusted.KeyPEM = string(clientCert), string(clientKey)
	c, err = Dial(ctx, taddr, Options{TLS: &trusted})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.Write(ctx, []byte("PING\r\n"), time.Second)
	if b, err := c.ReadUntil(ctx, []byte("\r\n"), 5*time.Second); err != nil || string(b) != "+OK PING\r\n" {
		t.Fatalf("over mutual TLS: %q %v", b, err)
	}
}
