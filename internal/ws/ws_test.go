package ws

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/testcert"
)

// echoHandler upgrades and echoes every message; "close:CODE" makes it
// close with that code, "later" answers after the client's next message.
func echoHandler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/forbidden" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		up := websocket.Upgrader{Subprotocols: []string{"chat.v1"}}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if r.URL.Path == "/greet" {
			_ = c.WriteMessage(websocket.TextMessage, []byte("hello "+r.Header.Get("X-User")))
		}
		for {
			typ, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			switch s := string(b); {
			case s == "close":
				_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4001, "bye now"), time.Now().Add(time.Second))
				_, _, _ = c.ReadMessage() // the client's answer
				return
			case s == "drop":
				return // Close: no close frame
			case s == "silent":
				continue
			default:
				if err := c.WriteMessage(typ, b); err != nil {
					return
				}
			}
		}
	}
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

func TestEchoTextBinarySubprotocolAndHeaders(t *testing.T) {
	srv := httptest.NewServer(echoHandler(t))
	defer srv.Close()
	ctx := bounded(t)
	c, err := Dial(ctx, wsURL(srv, "/greet"), Options{Header: http.Header{"X-User": {"ada"}}, Subprotocols: []string{"chat.v1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol != "chat.v1" {
		t.Errorf("subprotocol = %q", c.Subprotocol)
	}
	m, err := c.Receive(ctx, 5*time.Second)
	if err != nil || string(m.Data) != "hello ada" || m.Binary {
		t.Fatalf("greeting = %+v, %v", m, err)
	}
	if err := c.Send(ctx, true, []byte{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	m, err = c.Receive(ctx, 5*time.Second)
	if err != nil || !m.Binary || string(m.Data) != "\x00\x01\x02" {
		t.Fatalf("binary echo = %+v, %v", m, err)
	}
	rtt, err := c.Ping(ctx, 5*time.Second)
	if err != nil || rtt <= 0 {
		t.Fatalf("ping = %v, %v", rtt, err)
	}
	c.Close(1000, "")
	if e := c.Err(); e == nil || !e.Local {
		t.Errorf("after Close, Err = %v", e)
	}
	if err := c.Send(ctx, false, []byte("x")); err == nil || err.Error() != "the connection is closed" {
		t.Errorf("send after close = %v", err)
	}
}

func TestTimeoutKeepsTheConnectionAndPeerCloseIsReported(t *testing.T) {
	srv := httptest.NewServer(echoHandler(t))
	defer srv.Close()
	ctx := bounded(t)
	c, err := Dial(ctx, wsURL(srv, "/"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// A stalled server: the message is never answered.
	if err := c.Send(ctx, false, []byte("silent")); err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(ctx, 50*time.Millisecond)
	var te *TimeoutError
	if !errors.As(err, &te) || err.Error() != "no message within 50ms" {
		t.Fatalf("receive from a stalled server = %v", err)
	}
	// The connection still works.
	if err := c.Send(ctx, false, []byte("again")); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Receive(ctx, 5*time.Second); err != nil || string(m.Data) != "again" {
		t.Fatalf("after a timeout: %+v, %v", m, err)
	}
	// The server closes with a code and a reason.
	if err := c.Send(ctx, false, []byte("close")); err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(ctx, 5*time.Second)
	var ce *ClosedError
	if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "bye now" || ce.Normal() {
		t.Fatalf("receive after the server's close = %#v", err)
	}
	if want := "the server closed the connection: 4001 (bye now)"; err.Error() != want {
		t.Errorf("text = %q, want %q", err, want)
	}
}

func TestServerDroppingMidStreamAndContextEnd(t *testing.T) {
	srv := httptest.NewServer(echoHandler(t))
	defer srv.Close()
	ctx := bounded(t)
	c, err := Dial(ctx, wsURL(srv, "/"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, false, []byte("drop")); err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(ctx, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "without a close frame") {
		t.Fatalf("dropped connection = %v", err)
	}

	c2, err := Dial(ctx, wsURL(srv, "/"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := c2.Receive(cctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("receive with an ended context = %v", err)
	}
}

func TestHandshakeFailures(t *testing.T) {
	srv := httptest.NewServer(echoHandler(t))
	defer srv.Close()
	ctx := bounded(t)

	_, err := Dial(ctx, wsURL(srv, "/forbidden"), Options{})
	var he *HandshakeError
	if !errors.As(err, &he) || he.Status != 403 || err.Error() != "handshake refused: 403 Forbidden" {
		t.Errorf("refused handshake = %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(ctx, "ws://"+addr+"/", Options{})
	if err == nil || err.Error() != "connection refused (dial tcp "+addr+")" {
		t.Errorf("unreachable = %v", err)
	}

	// A server that accepts the connection and never answers.
	stall, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stall.Close()
	go func() {
		for {
			c, err := stall.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, err = Dial(ctx, "ws://"+stall.Addr().String()+"/", Options{HandshakeTimeout: 100 * time.Millisecond})
	if err == nil || err.Error() != "handshake timeout after 100ms ("+stall.Addr().String()+")" {
		t.Errorf("stalled handshake = %v", err)
	}
}

func TestTLSUntrustedTrustedAndClientCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(echoHandler(t))
	clientCert, clientKey := testcert.SelfSigned(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(clientCert)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	ctx := bounded(t)
	url := wsURL(srv, "/")
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	_, err := Dial(ctx, url, Options{})
	if err == nil || !strings.Contains(err.Error(), "x509: certificate signed by unknown authority") {
		t.Errorf("untrusted server = %v", err)
	}
	_, err = Dial(ctx, url, Options{TLS: httpc.TLSOptions{CAPEM: ca}})
	if err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Errorf("no client certificate = %v", err)
	}
	c, err := Dial(ctx, url, Options{TLS: httpc.TLSOptions{CAPEM: ca, CertPEM: string(clientCert), KeyPEM: string(clientKey), CertFile: "client.pem"}})
	if err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}
	defer c.CloseNow()
	if err := c.Send(ctx, false, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Receive(ctx, 5*time.Second); err != nil || string(m.Data) != "hi" {
		t.Fatalf("echo over wss: %+v %v", m, err)
	}
}

// rawServer accepts one WebSocket handshake by hand and then writes raw
// bytes, for frames coder/websocket's server would never send.
func rawServer(t *testing.T, after []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		req, err := http.ReadRequest(bufio.NewReader(nc))
		if err != nil {
			return
		}
		h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		_, _ = nc.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			base64.StdEncoding.EncodeToString(h[:]) + "\r\n\r\n"))
		_, _ = nc.Write(after)
		time.Sleep(2 * time.Second) // keep the connection until the client gives up
	}()
	return "ws://" + ln.Addr().String() + "/"
}

func TestMalformedFrameAndOversizeMessage(t *testing.T) {
	ctx := bounded(t)
	// Opcode 0x3 is reserved.
	c, err := Dial(ctx, rawServer(t, []byte{0x83, 0x01, 'x'}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(ctx, 5*time.Second)
	if err == nil || err.Error() != "protocol error: bad opcode 3" {
		t.Errorf("reserved opcode = %v", err)
	}
	c.CloseNow()

	// A 200-byte text message against a limit of 100.
	msg := append([]byte{0x81, 126, 0, 200}, make([]byte, 200)...)
	c, err = Dial(ctx, rawServer(t, msg), Options{MaxMessageBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, err = c.Receive(ctx, 5*time.Second)
	if err == nil || err.Error() != "a message is larger than the limit of 100 bytes (maxMessageSize)" {
		t.Errorf("oversize message = %v", err)
	}
}

func TestValidCloseCode(t *testing.T) {
	for code, want := range map[int]bool{1000: true, 1001: true, 1005: false, 1006: false, 2999: false, 3000: true, 4999: true, 5000: false} {
		if ValidCloseCode(code) != want {
			t.Errorf("ValidCloseCode(%d) != %v", code, want)
		}
	}
}
