package httpc

import (
	"compress/gzip"
	"context"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// h2Server starts an https server offering HTTP/2 (h2 false: HTTP/1.1
// only) and counts the connections it accepts.
func h2Server(t *testing.T, h http.Handler, h2 bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = h2
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// trusting returns options that trust srv's certificate.
func trusting(t *testing.T, srv *httptest.Server, protocol string) Options {
	t.Helper()
	ca := writeFile(t, t.TempDir(), "ca.pem", pemOf(srv.Certificate().Raw))
	return Options{Protocol: protocol, TLS: TLSOptions{CAFile: ca}}
}

func TestHTTP2OverTLS(t *testing.T) {
	srv, conns := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cookie":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		case "/redirect":
			http.Redirect(w, r, "/echo?from=redirect", http.StatusFound)
			return
		case "/gzip":
			if r.Header.Get("Accept-Encoding") != "gzip" {
				http.Error(w, "no gzip asked: "+r.Header.Get("Accept-Encoding"), 400)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, "unzipped")
			zw.Close()
			return
		}
		body, _ := io.ReadAll(r.Body)
		c, _ := r.Cookie("session")
		cookie := ""
		if c != nil {
			cookie = c.Value
		}
		io.WriteString(w, r.Proto+" "+r.Method+" "+r.URL.RequestURI()+" "+string(body)+" cookie="+cookie+" ua="+r.UserAgent())
	}), true)
	c := New(trusting(t, srv, ProtocolAuto))
	defer c.CloseIdle()
	ctx := testCtx(t)
	do := func(r *Request) *Response {
		t.Helper()
		if r.Redirects == 0 {
			r.Redirects = ClientRedirectLimit
		}
		resp := c.Do(ctx, r)
		if resp.Err != nil || resp.Status != 200 || resp.Proto != "HTTP/2.0" {
			t.Fatalf("%s: status %d, proto %q, err %v", r.URL, resp.Status, resp.Proto, resp.Err)
		}
		return resp
	}
	resp := do(&Request{URL: srv.URL + "/echo"})
	if want := "HTTP/2.0 GET /echo  cookie= ua=" + DefaultUserAgent; string(resp.Body) != want {
		t.Errorf("body %q, want %q", resp.Body, want)
	}
	if resp.Timings.Waiting <= 0 || resp.Timings.Duration < resp.Timings.Waiting+resp.Timings.Receiving || resp.End.IsZero() {
		t.Errorf("timings %+v, end %v", resp.Timings, resp.End)
	}
	do(&Request{URL: srv.URL + "/cookie"})
	resp = do(&Request{Method: "POST", URL: srv.URL + "/echo", Body: []byte("payload")})
	if want := "HTTP/2.0 POST /echo payload cookie=s1 ua=" + DefaultUserAgent; string(resp.Body) != want {
		t.Errorf("body %q, want %q", resp.Body, want)
	}
	resp = do(&Request{URL: srv.URL + "/redirect"})
	if !strings.HasPrefix(string(resp.Body), "HTTP/2.0 GET /echo?from=redirect ") || resp.URL != srv.URL+"/echo?from=redirect" {
		t.Errorf("after a redirect: body %q, URL %s", resp.Body, resp.URL)
	}
	resp = c.Do(ctx, &Request{URL: srv.URL + "/redirect"}) // Redirects 0: not followed
	if resp.Status != http.StatusFound {
		t.Errorf("redirect not to be followed: status %d, err %v", resp.Status, resp.Err)
	}
	resp = do(&Request{URL: srv.URL + "/gzip"})
	if string(resp.Body) != "unzipped" || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip: body %q, Content-Encoding %q", resp.Body, resp.Header.Get("Content-Encoding"))
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("the server saw %d connections, want 1 (one multiplexed HTTP/2 connection)", n)
	}
}

// TestHTTP2CookiesReachHTTP1 checks that a cookie set over HTTP/2 is sent
// over HTTP/1.1 and the other way round: a Client has one jar.
func TestHTTP2CookiesReachHTTP1(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v := r.URL.Query().Get("set"); v != "" {
			http.SetCookie(w, &http.Cookie{Name: v, Value: "1", Path: "/"})
		}
		var names []string
		for _, c := range r.Cookies() {
			names = append(names, c.Name)
		}
		io.WriteString(w, strings.Join(names, ","))
	})
	h2srv, _ := h2Server(t, h, true)
	plain := newServer(t, h)
	o := trusting(t, h2srv, ProtocolAuto)
	c := New(o)
	defer c.CloseIdle()
	ctx := testCtx(t)
	// Both servers are 127.0.0.1: cookies do not depend on the port.
	c.Do(ctx, &Request{URL: h2srv.URL + "/?set=overh2"})
	resp := c.Do(ctx, &Request{URL: plain.URL + "/?set=overh1"})
	if string(resp.Body) != "overh2" {
		t.Errorf("over HTTP/1.1 the cookies were %q, want overh2", resp.Body)
	}
	resp = c.Do(ctx, &Request{URL: h2srv.URL + "/"})
	if string(resp.Body) != "overh2,overh1" && string(resp.Body) != "overh1,overh2" || resp.Proto != "HTTP/2.0" {
		t.Errorf("over HTTP/2 the cookies were %q (%s), want overh2 and overh1", resp.Body, resp.Proto)
	}
}

func TestForceHTTP1(t *testing.T) {
	srv, _ := h2Server(t, okHandler, true)
	resp := New(trusting(t, srv, ProtocolHTTP1)).Do(testCtx(t), &Request{URL: srv.URL})
	if resp.Err != nil || resp.Proto != "HTTP/1.1" || string(resp.Body) != "ok HTTP/1.1" {
		t.Errorf("status %d, proto %q, body %q, err %v", resp.Status, resp.Proto, resp.Body, resp.Err)
	}
}

// TestAutoAgainstHTTP1Server checks that a TLS server that does not offer
// HTTP/2 is served over HTTP/1.1 on the connection made to find out.
func TestAutoAgainstHTTP1Server(t *testing.T) {
	srv, conns := h2Server(t, okHandler, false)
	c := New(trusting(t, srv, ProtocolAuto))
	defer c.CloseIdle()
	for range 3 {
		resp := c.Do(testCtx(t), &Request{URL: srv.URL})
		if resp.Err != nil || resp.Proto != "HTTP/1.1" || string(resp.Body) != "ok HTTP/1.1" {
			t.Fatalf("status %d, proto %q, body %q, err %v", resp.Status, resp.Proto, resp.Body, resp.Err)
		}
		if resp.Timings.Waiting <= 0 || resp.Timings.Duration < resp.Timings.Waiting {
			t.Errorf("timings %+v", resp.Timings)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("the server saw %d connections, want 1", n)
	}
}

func TestProtocolH2Required(t *testing.T) {
	srv, _ := h2Server(t, okHandler, false)
	c := New(trusting(t, srv, ProtocolH2))
	resp := c.Do(testCtx(t), &Request{URL: srv.URL})
	if want := `the server does not speak HTTP/2 (protocol "h2" requires it)`; resp.Status != 0 || resp.ErrText != want {
		t.Errorf("HTTP/1.1 server: status %d, err %q, want %q", resp.Status, resp.ErrText, want)
	}
	resp = c.Do(testCtx(t), &Request{URL: "http://127.0.0.1:1/"})
	if want := `protocol "h2" needs https URLs (use "h2c" for HTTP/2 over cleartext)`; resp.Status != 0 || resp.ErrText != want {
		t.Errorf("http URL: status %d, err %q, want %q", resp.Status, resp.ErrText, want)
	}
	srv2, _ := h2Server(t, okHandler, true)
	resp = New(trusting(t, srv2, ProtocolH2)).Do(testCtx(t), &Request{URL: srv2.URL})
	if resp.Err != nil || resp.Proto != "HTTP/2.0" || string(resp.Body) != "ok HTTP/2.0" {
		t.Errorf("HTTP/2 server: status %d, proto %q, body %q, err %v", resp.Status, resp.Proto, resp.Body, resp.Err)
	}
}

func TestH2C(t *testing.T) {
	srv := httptest.NewUnstartedServer(okHandler)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	c := New(Options{Protocol: ProtocolH2C})
	defer c.CloseIdle()
	for range 2 {
		resp := c.Do(testCtx(t), &Request{URL: srv.URL + "/"})
		if resp.Err != nil || resp.Proto != "HTTP/2.0" || string(resp.Body) != "ok HTTP/2.0" {
			t.Errorf("h2c: status %d, proto %q, body %q, err %v", resp.Status, resp.Proto, resp.Body, resp.Err)
		}
	}
	resp := New(Options{}).Do(testCtx(t), &Request{URL: srv.URL + "/"})
	if resp.Err != nil || resp.Proto != "HTTP/1.1" {
		t.Errorf("auto over cleartext: status %d, proto %q, err %v", resp.Status, resp.Proto, resp.Err)
	}
}

// TestHTTP2RedirectToHTTP1 checks a redirect from an HTTP/2 server to a
// plain http one.
func TestHTTP2RedirectToHTTP1(t *testing.T) {
	plain := newServer(t, okHandler)
	srv, _ := h2Server(t, http.RedirectHandler(plain.URL+"/there", http.StatusFound), true)
	resp := New(trusting(t, srv, ProtocolAuto)).Do(testCtx(t), &Request{URL: srv.URL, Redirects: ClientRedirectLimit})
	if resp.Err != nil || resp.Proto != "HTTP/1.1" || string(resp.Body) != "ok HTTP/1.1" || resp.URL != plain.URL+"/there" {
		t.Errorf("status %d, proto %q, body %q, URL %s, err %v", resp.Status, resp.Proto, resp.Body, resp.URL, resp.Err)
	}
}

func TestHTTP2TimeoutAndCancel(t *testing.T) {
	done := make(chan struct{})
	srv, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stall(r, done)
	}), true)
	defer close(done)
	c := New(trusting(t, srv, ProtocolAuto))
	defer c.CloseIdle()
	resp := c.Do(testCtx(t), &Request{URL: srv.URL, Timeout: 200 * time.Millisecond})
	if resp.Status != 0 || resp.ErrText != "timeout after 200ms" || resp.Canceled {
		t.Errorf("timeout: status %d, err %q, canceled %v", resp.Status, resp.ErrText, resp.Canceled)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	time.AfterFunc(50*time.Millisecond, cancel)
	resp = c.Do(ctx, &Request{URL: srv.URL})
	if !resp.Canceled || resp.Status != 0 {
		t.Errorf("cancel: status %d, err %q, canceled %v", resp.Status, resp.ErrText, resp.Canceled)
	}
}

// TestHTTP2CloseIdle checks that CloseIdle closes the HTTP/2 connection
// and that the Client makes a new one afterwards.
func TestHTTP2CloseIdle(t *testing.T) {
	closed := make(chan struct{}, 4)
	srv := httptest.NewUnstartedServer(okHandler)
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c := New(trusting(t, srv, ProtocolAuto))
	for range 2 {
		resp := c.Do(testCtx(t), &Request{URL: srv.URL})
		if resp.Err != nil || resp.Proto != "HTTP/2.0" {
			t.Fatalf("status %d, proto %q, err %v", resp.Status, resp.Proto, resp.Err)
		}
		c.CloseIdle()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("the server did not see the connection closed after CloseIdle")
		}
	}
}

// TestHTTP2ConnectionLost checks that a request on an HTTP/2 connection
// that the server has closed goes on a new one.
func TestHTTP2ConnectionLost(t *testing.T) {
	srv, conns := h2Server(t, okHandler, true)
	c := New(trusting(t, srv, ProtocolAuto))
	defer c.CloseIdle()
	if resp := c.Do(testCtx(t), &Request{URL: srv.URL}); resp.Err != nil {
		t.Fatal(resp.Err)
	}
	srv.CloseClientConnections()
	resp := c.Do(testCtx(t), &Request{URL: srv.URL})
	if resp.Err != nil || resp.Proto != "HTTP/2.0" {
		t.Errorf("after the server closed the connection: status %d, err %v", resp.Status, resp.Err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("the server saw %d connections, want 2", n)
	}
}

// TestProxyFromEnvironment checks that requests go through the proxy named
// by HTTP_PROXY and HTTPS_PROXY. net/http reads these variables once per
// process and never proxies loopback addresses, so the requests run in a
// child process (this test binary again) to a host name that only the
// proxy knows: the test proxy answers for it itself, or tunnels CONNECT
// to a loopback https server.
func TestProxyFromEnvironment(t *testing.T) {
	if os.Getenv("HTTPC_PROXY_CHILD") != "" {
		proxyChild(t)
		return
	}
	target, _ := h2Server(t, okHandler, true)
	var seen atomic.Int64
	proxy := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		if r.Method != http.MethodConnect {
			io.WriteString(w, "proxied "+r.URL.String())
			return
		}
		if r.Host != "secure.jsload.test:443" {
			http.Error(w, "unknown host "+r.Host, http.StatusBadGateway)
			return
		}
		up, err := net.Dial("tcp", target.Listener.Addr().String())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		w.WriteHeader(http.StatusOK)
		down, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer down.Close()
		// Read through buf: the server may already hold the first bytes of
		// the client's TLS handshake there (its background read).
		go io.Copy(up, buf)
		io.Copy(down, up)
	}))
	ctx := testCtx(t)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestProxyFromEnvironment$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HTTPC_PROXY_CHILD=1", "HTTP_PROXY="+proxy.URL, "HTTPS_PROXY="+proxy.URL, "NO_PROXY=",
		"HTTPC_PROXY_CA="+writeFile(t, t.TempDir(), "ca.pem", pemOf(target.Certificate().Raw)))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if seen.Load() < 2 {
		t.Errorf("the proxy saw %d requests, want 2\n%s", seen.Load(), out)
	}
}

// proxyChild runs the requests of TestProxyFromEnvironment in the child.
func proxyChild(t *testing.T) {
	ctx := testCtx(t)
	resp := New(Options{}).Do(ctx, &Request{URL: "http://plain.jsload.test/path"})
	if resp.Err != nil || string(resp.Body) != "proxied http://plain.jsload.test/path" {
		t.Errorf("http through the proxy: status %d, body %q, err %v", resp.Status, resp.Body, resp.Err)
	}
	o := Options{TLS: TLSOptions{CAFile: os.Getenv("HTTPC_PROXY_CA"), ServerName: "example.com"}}
	resp = New(o).Do(ctx, &Request{URL: "https://secure.jsload.test/"})
	if resp.Err != nil || resp.Proto != "HTTP/2.0" || string(resp.Body) != "ok HTTP/2.0" {
		t.Errorf("https through the proxy: status %d, proto %q, body %q, err %v", resp.Status, resp.Proto, resp.Body, resp.Err)
	}
}

// pemOf encodes a DER certificate as PEM.
func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// BenchmarkDoTLS measures requests over one keep-alive TLS connection,
// with HTTP/1.1 and with HTTP/2.
func BenchmarkDoTLS(b *testing.B) {
	for _, p := range []string{ProtocolHTTP1, ProtocolH2} {
		b.Run("protocol="+p, func(b *testing.B) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "ok")
			}))
			srv.EnableHTTP2 = true
			srv.StartTLS()
			defer srv.Close()
			c := New(Options{Protocol: p, TLS: TLSOptions{InsecureSkipVerify: true}})
			defer c.CloseIdle()
			ctx := context.Background()
			req := &Request{URL: srv.URL + "/bench", Redirects: ClientRedirectLimit}
			b.ReportAllocs()
			for b.Loop() {
				resp := c.Do(ctx, req)
				if resp.Err != nil || resp.Status != 200 {
					b.Fatalf("status %d err %v", resp.Status, resp.Err)
				}
			}
		})
	}
}

// TestHTTP2MaxHeaderBytes checks that HTTP/2 responses are held to the
// same header limit as HTTP/1.1 ones.
func TestHTTP2MaxHeaderBytes(t *testing.T) {
	srv, _ := h2Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 2000
		if r.URL.Path == "/small" {
			n = 3
		}
		for i := 0; i < n; i++ {
			w.Header().Add("X-Flood-"+strconv.Itoa(i), strings.Repeat("f", 1000))
		}
		w.Write([]byte("ok"))
	}), true)
	c := New(trusting(t, srv, ProtocolH2))
	t.Cleanup(c.CloseIdle)
	// Far past the limit, net/http's HTTP/2 client closes the connection
	// without saying why ("connection error: PROTOCOL_ERROR"); it must
	// fail, and not hold the 2 MB of headers.
	if resp := c.Do(testCtx(t), &Request{URL: srv.URL + "/"}); resp.Err == nil || resp.Status != 0 {
		t.Errorf("2 MB of headers over HTTP/2: status %d, Err %v; want a failure", resp.Status, resp.Err)
	}
	o := trusting(t, srv, ProtocolH2)
	o.MaxHeaderBytes = 2048
	small := New(o)
	t.Cleanup(small.CloseIdle)
	wantFailure(t, small.Do(testCtx(t), &Request{URL: srv.URL + "/small"}), "response headers exceed 2048 bytes (the client's limit)")
	if ok := c.Do(testCtx(t), &Request{URL: srv.URL + "/small"}); ok.Err != nil || string(ok.Body) != "ok" || ok.Proto != "HTTP/2.0" {
		t.Errorf("headers within the limit: Err %v, body %q, proto %s", ok.Err, ok.Body, ok.Proto)
	}
}
