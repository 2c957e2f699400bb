package httpc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testCtx returns a context that bounds a test.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newServer starts an httptest server and closes it at test end.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// stall blocks a handler until the client goes away, the test ends (done is
// closed) or 5s pass, whichever comes first.
func stall(r *http.Request, done <-chan struct{}) {
	select {
	case <-r.Context().Done():
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

func TestStatusBodyHeaders(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello world")
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusNotFound)
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-UA", strings.Join(r.Header.Values("User-Agent"), "|"))
		w.Header().Set("X-Custom", r.Header.Get("X-Custom"))
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Len", strconv.FormatInt(r.ContentLength, 10))
		w.Write(b)
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip not accepted", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, strings.Repeat("compressed ", 100))
		zw.Close()
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "part%d;", i)
			w.(http.Flusher).Flush()
		}
	})
	srv := newServer(t, mux)

	tests := []struct {
		name       string
		req        Request
		opts       Options
		status     int
		statusText string
		body       string
		headers    map[string]string
	}{
		{
			name:   "get 200",
			req:    Request{URL: srv.URL + "/hello"},
			status: 200, statusText: "OK", body: "hello world",
			headers: map[string]string{"X-Test": "yes", "Content-Type": "text/plain"},
		},
		{
			name:   "404 is not an error",
			req:    Request{Method: "GET", URL: srv.URL + "/missing"},
			status: 404, statusText: "Not Found", body: "nope\n",
		},
		{
			name:   "204 empty body",
			req:    Request{URL: srv.URL + "/empty"},
			status: 204, statusText: "No Content", body: "",
		},
		{
			name: "post body and headers, default UA",
			req: Request{Method: "POST", URL: srv.URL + "/echo", Body: []byte(`{"a":1}`),
				Header: http.Header{"X-Custom": {"v1"}}},
			status: 200, statusText: "OK", body: `{"a":1}`,
			headers: map[string]string{"X-Method": "POST", "X-UA": "jsload/dev", "X-Custom": "v1", "X-Len": "7"},
		},
		{
			name:   "options user agent",
			req:    Request{URL: srv.URL + "/echo"},
			opts:   Options{UserAgent: "custom-agent"},
			status: 200, statusText: "OK",
			headers: map[string]string{"X-UA": "custom-agent"},
		},
		{
			name: "request user agent wins, non-canonical keys",
			req: Request{URL: srv.URL + "/echo",
				Header: http.Header{"user-agent": {"mine"}, "x-custom": {"lower"}}},
			status: 200, statusText: "OK",
			headers: map[string]string{"X-UA": "mine", "X-Custom": "lower"},
		},
		{
			name: "host header override",
			req: Request{URL: srv.URL + "/echo",
				Header: http.Header{"Host": {"example.test"}}},
			status: 200, statusText: "OK",
			headers: map[string]string{"X-Host": "example.test"},
		},
		{
			name:   "put empty non-nil body",
			req:    Request{Method: "PUT", URL: srv.URL + "/echo", Body: []byte{}},
			status: 200, statusText: "OK", body: "",
			headers: map[string]string{"X-Method": "PUT", "X-Len": "0"},
		},
		{
			name:   "gzip transparently decoded",
			req:    Request{URL: srv.URL + "/gzip"},
			status: 200, statusText: "OK", body: strings.Repeat("compressed ", 100),
		},
		{
			name:   "chunked body",
			req:    Request{URL: srv.URL + "/chunked"},
			status: 200, statusText: "OK", body: "part0;part1;part2;",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.opts)
			defer c.CloseIdle()
			var before http.Header
			if tc.req.Header != nil {
				before = tc.req.Header.Clone()
			}
			resp := c.Do(testCtx(t), &tc.req)
			if resp.Err != nil {
				t.Fatalf("Err = %v", resp.Err)
			}
			if resp.ErrText != "" || resp.Canceled {
				t.Fatalf("ErrText = %q, Canceled = %v", resp.ErrText, resp.Canceled)
			}
			if resp.Status != tc.status || resp.StatusText != tc.statusText {
				t.Errorf("status = %d %q, want %d %q", resp.Status, resp.StatusText, tc.status, tc.statusText)
			}
			if tc.body != "" || tc.headers == nil {
				if string(resp.Body) != tc.body {
					t.Errorf("body = %q, want %q", resp.Body, tc.body)
				}
			}
			for k, v := range tc.headers {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if resp.Proto != "HTTP/1.1" {
				t.Errorf("Proto = %q", resp.Proto)
			}
			if resp.URL != tc.req.URL {
				t.Errorf("URL = %q, want %q", resp.URL, tc.req.URL)
			}
			if before != nil && fmt.Sprint(before) != fmt.Sprint(tc.req.Header) {
				t.Errorf("request header modified: %v -> %v", before, tc.req.Header)
			}
		})
	}
}

func TestCookiesPerClient(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: r.URL.Query().Get("v"), Path: "/"})
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Cookie"))
	})
	srv := newServer(t, mux)
	ctx := testCtx(t)

	a, b := New(Options{}), New(Options{})
	defer a.CloseIdle()
	defer b.CloseIdle()

	// One header map reused across requests must not accumulate cookies.
	hdr := http.Header{"X-Reused": {"1"}}
	steps := []struct {
		c    *Client
		name string
		url  string
		want string
	}{
		{a, "a before", "/get", ""},
		{a, "a set", "/set?v=alpha", ""},
		{a, "a after", "/get", "sid=alpha"},
		{a, "a again", "/get", "sid=alpha"},
		{b, "b isolated", "/get", ""},
		{b, "b set", "/set?v=beta", ""},
		{b, "b after", "/get", "sid=beta"},
		{a, "a unchanged", "/get", "sid=alpha"},
	}
	for _, s := range steps {
		resp := s.c.Do(ctx, &Request{URL: srv.URL + s.url, Header: hdr})
		if resp.Err != nil || resp.Status != 200 {
			t.Fatalf("%s: status %d err %v", s.name, resp.Status, resp.Err)
		}
		if got := string(resp.Body); got != s.want {
			t.Errorf("%s: Cookie = %q, want %q", s.name, got, s.want)
		}
	}
	if len(hdr) != 1 || hdr.Get("X-Reused") != "1" {
		t.Errorf("caller header modified: %v", hdr)
	}
}

// newCountingServer starts a server that counts the connections it accepts.
func newCountingServer(t *testing.T, h http.Handler) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestKeepAlive(t *testing.T) {
	srv, conns := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100))
	}))
	ctx := testCtx(t)

	tests := []struct {
		name     string
		clients  int
		requests int
		want     int64
	}{
		{"one client reuses one connection", 1, 10, 1},
		{"each client has its own connection", 3, 5, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := conns.Load()
			var cs []*Client
			for i := 0; i < tc.clients; i++ {
				cs = append(cs, New(Options{}))
			}
			for i := 0; i < tc.requests; i++ {
				for _, c := range cs {
					resp := c.Do(ctx, &Request{URL: srv.URL})
					if resp.Err != nil || resp.Status != 200 || len(resp.Body) != 100 {
						t.Fatalf("status %d err %v len %d", resp.Status, resp.Err, len(resp.Body))
					}
				}
			}
			if got := conns.Load() - start; got != tc.want {
				t.Errorf("new connections = %d, want %d", got, tc.want)
			}
			for _, c := range cs {
				c.CloseIdle()
			}
		})
	}

	t.Run("CloseIdle forces a new connection", func(t *testing.T) {
		c := New(Options{})
		defer c.CloseIdle()
		start := conns.Load()
		c.Do(ctx, &Request{URL: srv.URL})
		c.CloseIdle()
		c.Do(ctx, &Request{URL: srv.URL})
		if got := conns.Load() - start; got != 2 {
			t.Errorf("new connections = %d, want 2", got)
		}
	})
}

// TestIdleConnectionsPerHost checks the idle list: a connection is reused
// only for its own host, the most recently used first, and at most
// maxIdleConnsPerHost are kept per host.
func TestIdleConnectionsPerHost(t *testing.T) {
	var w http1Client
	conn := func(key string) *http1Conn {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return &http1Conn{nc: a, key: key}
	}
	a1, b1, a2 := conn("http://a:80"), conn("http://b:80"), conn("http://a:80")
	w.put(a1)
	w.put(b1)
	w.put(a2)
	if c := w.get(mustURL(t, "http://a:80")); c != a2 {
		t.Errorf("first get(a) is not the last a put")
	}
	if c := w.get(mustURL(t, "http://a:80")); c != a1 {
		t.Errorf("second get(a) is not the first a put")
	}
	if c := w.get(mustURL(t, "http://a:80")); c != nil {
		t.Errorf("a third get(a) returned a connection")
	}
	if c := w.get(mustURL(t, "http://b:80")); c != b1 {
		t.Errorf("get(b) is not b's connection")
	}
	for i := 0; i < maxIdleConnsPerHost+2; i++ {
		w.put(conn("http://a:80"))
	}
	w.put(conn("http://b:80"))
	if len(w.idle) != maxIdleConnsPerHost+1 {
		t.Errorf("idle = %d connections, want %d for a and 1 for b", len(w.idle), maxIdleConnsPerHost)
	}
	w.closeIdle()
	if len(w.idle) != 0 || w.get(mustURL(t, "http://b:80")) != nil {
		t.Errorf("closeIdle left connections")
	}
}

func TestRedirects(t *testing.T) {
	// /r/N redirects to /r/N-1; /r/0 answers "done".
	mux := http.NewServeMux()
	mux.HandleFunc("/r/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			io.WriteString(w, "done")
			return
		}
		http.Redirect(w, r, "/r/"+strconv.Itoa(n-1), http.StatusFound)
	})
	srv := newServer(t, mux)
	ctx := testCtx(t)

	tests := []struct {
		name      string
		opts      Options
		redirects RedirectLimit
		hops      int
		status    int
		url       string
		errText   string
	}{
		{name: "default follows", redirects: ClientRedirectLimit, hops: 3, status: 200, url: "/r/0"},
		{name: "default limit 10 ok", redirects: ClientRedirectLimit, hops: 10, status: 200, url: "/r/0"},
		{name: "default limit 10 exceeded", redirects: ClientRedirectLimit, hops: 11, errText: "stopped after 10 redirects"},
		{name: "zero does not follow", redirects: 0, hops: 3, status: 302, url: "/r/3"},
		{name: "exactly N followed", redirects: 3, hops: 3, status: 200, url: "/r/0"},
		{name: "limit exceeded", redirects: 2, hops: 3, errText: "stopped after 2 redirects"},
		{name: "client NeverFollowRedirects", opts: Options{MaxRedirects: NeverFollowRedirects}, redirects: ClientRedirectLimit, hops: 2, status: 302, url: "/r/2"},
		{name: "client limit", opts: Options{MaxRedirects: 1}, redirects: ClientRedirectLimit, hops: 2, errText: "stopped after 1 redirects"},
		{name: "request overrides client NeverFollowRedirects", opts: Options{MaxRedirects: NeverFollowRedirects}, redirects: 5, hops: 2, status: 200, url: "/r/0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.opts)
			defer c.CloseIdle()
			resp := c.Do(ctx, &Request{URL: srv.URL + "/r/" + strconv.Itoa(tc.hops), Redirects: tc.redirects})
			if tc.errText != "" {
				if resp.Err == nil || resp.ErrText != tc.errText || resp.Status != 0 || resp.Canceled {
					t.Fatalf("got status %d ErrText %q Err %v Canceled %v; want ErrText %q",
						resp.Status, resp.ErrText, resp.Err, resp.Canceled, tc.errText)
				}
				if resp.Err.Error() != resp.ErrText {
					t.Errorf("Err.Error() = %q != ErrText %q", resp.Err.Error(), resp.ErrText)
				}
				return
			}
			if resp.Err != nil {
				t.Fatalf("Err = %v", resp.Err)
			}
			if resp.Status != tc.status || resp.URL != srv.URL+tc.url {
				t.Errorf("got %d %s, want %d %s", resp.Status, resp.URL, tc.status, srv.URL+tc.url)
			}
			if tc.status == 302 && resp.Header.Get("Location") == "" {
				t.Errorf("3xx response without Location header")
			}
			if tc.status == 200 && string(resp.Body) != "done" {
				t.Errorf("body = %q", resp.Body)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	mux := http.NewServeMux()
	done := make(chan struct{})
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		stall(r, done)
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.WriteHeader(200)
		io.WriteString(w, "12345")
		w.(http.Flusher).Flush()
		stall(r, done)
	})
	srv := newServer(t, mux)
	t.Cleanup(func() { close(done) }) // runs before srv.Close (LIFO)

	tests := []struct {
		name string
		opts Options
		req  Request
		want string
	}{
		{"request timeout waiting for headers", Options{}, Request{URL: srv.URL + "/slow-headers", Timeout: 50 * time.Millisecond}, "timeout after 50ms"},
		{"client timeout waiting for headers", Options{Timeout: 80 * time.Millisecond}, Request{URL: srv.URL + "/slow-headers"}, "timeout after 80ms"},
		{"request timeout overrides client", Options{Timeout: time.Hour}, Request{URL: srv.URL + "/slow-headers", Timeout: 60 * time.Millisecond}, "timeout after 60ms"},
		{"timeout while reading body", Options{}, Request{URL: srv.URL + "/slow-body", Timeout: 70 * time.Millisecond}, "timeout after 70ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(tc.opts)
			defer c.CloseIdle()
			var texts []string
			for i := 0; i < 2; i++ {
				start := time.Now()
				resp := c.Do(testCtx(t), &tc.req)
				if el := time.Since(start); el > 3*time.Second {
					t.Fatalf("took %v", el)
				}
				if resp.Canceled {
					t.Fatalf("Canceled = true for our own timeout")
				}
				if resp.Err == nil || resp.Status != 0 {
					t.Fatalf("status %d Err %v, want timeout", resp.Status, resp.Err)
				}
				if resp.Timings.Duration <= 0 {
					t.Errorf("Duration = %v", resp.Timings.Duration)
				}
				texts = append(texts, resp.ErrText)
			}
			if texts[0] != tc.want || texts[1] != tc.want {
				t.Errorf("ErrText = %q, want %q", texts, tc.want)
			}
		})
	}
}

func TestCallerCancel(t *testing.T) {
	done := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stall(r, done)
	}))
	t.Cleanup(func() { close(done) }) // runs before srv.Close (LIFO)

	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"canceled during request", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}},
		{"canceled before request", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
		{"caller deadline shorter than request timeout", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(Options{Timeout: 5 * time.Second})
			defer c.CloseIdle()
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			resp := c.Do(ctx, &Request{URL: srv.URL})
			if el := time.Since(start); el > 3*time.Second {
				t.Fatalf("took %v", el)
			}
			if !resp.Canceled || resp.Err == nil || resp.Status != 0 {
				t.Fatalf("Canceled %v Err %v Status %d, want canceled", resp.Canceled, resp.Err, resp.Status)
			}
			if resp.ErrText != "canceled" {
				t.Errorf("ErrText = %q", resp.ErrText)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	c := New(Options{})
	defer c.CloseIdle()
	want := "connection refused (dial tcp " + addr + ")"
	for i := 0; i < 3; i++ {
		resp := c.Do(testCtx(t), &Request{URL: "http://" + addr + "/x?i=" + strconv.Itoa(i)})
		if resp.Err == nil || resp.Status != 0 || resp.Canceled {
			t.Fatalf("status %d Err %v Canceled %v", resp.Status, resp.Err, resp.Canceled)
		}
		if resp.ErrText != want {
			t.Errorf("ErrText = %q, want %q", resp.ErrText, want)
		}
		if !errors.Is(resp.Err, syscall.ECONNREFUSED) {
			t.Errorf("errors.Is(Err, ECONNREFUSED) = false for %v", resp.Err)
		}
	}
}

func TestConnectionReset(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}))
	c := New(Options{})
	defer c.CloseIdle()
	var texts []string
	for i := 0; i < 2; i++ {
		resp := c.Do(testCtx(t), &Request{URL: srv.URL})
		if resp.Err == nil || resp.Status != 0 || resp.Canceled {
			t.Fatalf("status %d Err %v Canceled %v", resp.Status, resp.Err, resp.Canceled)
		}
		texts = append(texts, resp.ErrText)
	}
	if texts[0] != "connection reset by peer" && texts[0] != "server closed connection (EOF)" {
		t.Errorf("ErrText = %q", texts[0])
	}
	t.Logf("reset ErrText: %q", texts)
	if texts[0] != texts[1] {
		t.Errorf("ErrText not stable: %q vs %q", texts[0], texts[1])
	}
}

func TestServerClosesMidBody(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
		bw.Flush()
		conn.Close()
	}))
	c := New(Options{})
	defer c.CloseIdle()
	resp := c.Do(testCtx(t), &Request{URL: srv.URL})
	if resp.Err == nil || resp.Status != 0 {
		t.Fatalf("status %d Err %v", resp.Status, resp.Err)
	}
	if resp.ErrText != "server closed connection (unexpected EOF)" {
		t.Errorf("ErrText = %q", resp.ErrText)
	}
}

func TestBadURLs(t *testing.T) {
	tests := []struct {
		url  string
		want string
	}{
		{"://nohost", `invalid URL "://nohost": missing protocol scheme`},
		{"http://[::1", `invalid URL "http://[::1": missing ']' in host`},
		{"ftp://example.test/file", `invalid URL "ftp://example.test/file": unsupported protocol scheme "ftp"`},
		{"example.test/path", `invalid URL "example.test/path": no scheme (http:// or https://)`},
		{"http:///path", `invalid URL "http:///path": no host`},
	}
	c := New(Options{})
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			resp := c.Do(testCtx(t), &Request{URL: tc.url})
			if resp.Err == nil || resp.Status != 0 || resp.Canceled {
				t.Fatalf("status %d Err %v Canceled %v", resp.Status, resp.Err, resp.Canceled)
			}
			if resp.ErrText != tc.want {
				t.Errorf("ErrText = %q, want %q", resp.ErrText, tc.want)
			}
		})
	}
}

// TestErrText checks the mapping of errors that are hard to provoke against
// loopback (DNS, dial timeouts) and the removal of unstable details.
func TestErrText(t *testing.T) {
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 54321}
	remote := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 8080}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "dns not found",
			err: &url.Error{Op: "Get", URL: "http://nx.invalid/", Err: &net.OpError{Op: "dial", Net: "tcp",
				Err: &net.DNSError{Err: "no such host", Name: "nx.invalid", Server: "127.0.0.53:53", IsNotFound: true}}},
			want: "lookup nx.invalid: no such host",
		},
		{
			name: "reset with addresses",
			err: &url.Error{Op: "Post", URL: "http://10.0.0.2:8080/", Err: &net.OpError{Op: "read", Net: "tcp",
				Source: local, Addr: remote, Err: os.NewSyscallError("read", syscall.ECONNRESET)}},
			want: "connection reset by peer",
		},
		{
			name: "refused without addr uses URL",
			err:  &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
			want: "connection refused (dial tcp example.test:80)",
		},
		{
			name: "dial timeout",
			err:  &net.OpError{Op: "dial", Net: "tcp", Addr: remote, Err: timeoutErr{}},
			want: "connect timeout after 10s (dial tcp 10.0.0.2:8080)",
		},
		{
			name: "other error strips local address",
			err: &net.OpError{Op: "read", Net: "tcp", Source: local, Addr: remote,
				Err: errors.New("some failure")},
			want: "read tcp 10.0.0.2:8080: some failure",
		},
		{
			name: "ipv6 local address",
			err:  errors.New("write tcp [::1]:40000->[::1]:80: weird"),
			want: "write tcp [::1]:80: weird",
		},
		{
			name: "arrow that is not an address is kept",
			err:  errors.New(`malformed HTTP response "a->b"`),
			want: `malformed HTTP response "a->b"`,
		},
		{
			name: "pointer values",
			err:  errors.New("bad thing at 0xc000123456"),
			want: "bad thing at 0x?",
		},
		{
			name: "eof",
			err:  &url.Error{Op: "Get", URL: "http://example.test/", Err: io.EOF},
			want: "server closed connection (EOF)",
		},
		{
			name: "too many redirects",
			err:  &url.Error{Op: "Get", URL: "http://example.test/", Err: &errTooManyRedirects{n: 4}},
			want: "stopped after 4 redirects",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errText(tc.err, "http://example.test/x", 10*time.Second); got != tc.want {
				t.Errorf("errText = %q, want %q", got, tc.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTimings(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		time.Sleep(30 * time.Millisecond)
		io.WriteString(w, "body")
	}))
	c := New(Options{})
	defer c.CloseIdle()
	resp := c.Do(testCtx(t), &Request{URL: srv.URL})
	if resp.Err != nil || string(resp.Body) != "body" {
		t.Fatalf("Err %v body %q", resp.Err, resp.Body)
	}
	tm := resp.Timings
	if tm.Waiting > tm.Duration || tm.Receiving > tm.Duration {
		t.Errorf("parts exceed Duration: %+v", tm)
	}
	if tm.Waiting+tm.Receiving != tm.Duration {
		t.Errorf("Waiting+Receiving != Duration: %+v", tm)
	}
	if tm.Waiting < 30*time.Millisecond {
		t.Errorf("Waiting = %v, want >= 30ms", tm.Waiting)
	}
	if tm.Receiving < 15*time.Millisecond {
		t.Errorf("Receiving = %v, want >= ~30ms", tm.Receiving)
	}
}

// TestConcurrentUse exercises one Client from several goroutines under the
// race detector.
func TestConcurrentUse(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "n", Value: r.URL.Query().Get("n")})
		io.WriteString(w, "ok")
	}))
	c := New(Options{})
	defer c.CloseIdle()
	ctx := testCtx(t)
	hdr := http.Header{"X-Shared": {"1"}}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				resp := c.Do(ctx, &Request{URL: srv.URL + "/?n=" + strconv.Itoa(i), Header: hdr})
				if resp.Err != nil || resp.Status != 200 {
					t.Errorf("status %d err %v", resp.Status, resp.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestClientIsCheap checks that an idle Client stays within a few KB.
func TestClientIsCheap(t *testing.T) {
	const n = 1000
	clients := make([]*Client, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range clients {
		clients[i] = New(Options{})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("idle Client: ~%d bytes", per)
	if per > 8<<10 {
		t.Errorf("idle Client uses %d bytes, want <= 8KB", per)
	}
	runtime.KeepAlive(clients)
}

func TestBodyLargeKnownLength(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 100_000) // 1MB
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		w.Write(payload)
	}))
	c := New(Options{})
	defer c.CloseIdle()
	resp := c.Do(testCtx(t), &Request{URL: srv.URL, Header: http.Header{"Accept-Encoding": {"identity"}}})
	if resp.Err != nil || !bytes.Equal(resp.Body, payload) {
		t.Fatalf("Err %v, len %d", resp.Err, len(resp.Body))
	}
}

// TestTLSVerification checks that an https server's certificate is
// verified unless Options.InsecureSkipVerify is set, for each Client alike.
func TestTLSVerification(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "secret")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ctx := testCtx(t)
	for range 2 { // a second round: each Client keeps its own setting
		insecure := New(Options{TLS: TLSOptions{InsecureSkipVerify: true}}).Do(ctx, &Request{URL: srv.URL + "/"})
		if insecure.Err != nil || insecure.Status != 200 || string(insecure.Body) != "secret" {
			t.Errorf("insecure: status %d, body %q, err %v", insecure.Status, insecure.Body, insecure.Err)
		}
		verified := New(Options{}).Do(ctx, &Request{URL: srv.URL + "/"})
		var unknown x509.UnknownAuthorityError
		if verified.Status != 0 || !errors.As(verified.Err, &unknown) {
			t.Errorf("verified: status %d, err %v; want an unknown authority error", verified.Status, verified.Err)
		}
	}
}

func BenchmarkDo(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := New(Options{})
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
}

// waitingServer answers "ok" at once, except on /wait: it then sends the
// query on arrived and answers once release gives or closes, or, when the
// client goes away first, sends the query on left (if there is room) and
// returns. A handler whose client is gone but which has not noticed yet
// still takes a release: wait for left before releasing another.
func waitingServer(t *testing.T) (srv *httptest.Server, arrived <-chan string, release chan struct{}, left <-chan string) {
	arrivedc := make(chan string, 4)
	leftc := make(chan string, 16)
	release = make(chan struct{})
	srv = newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			arrivedc <- r.URL.RawQuery
			select {
			case <-release:
			case <-r.Context().Done():
				select {
				case leftc <- r.URL.RawQuery:
				default:
				}
				return
			}
		}
		io.WriteString(w, "ok")
	}))
	return srv, arrivedc, release, leftc
}

// TestCancelWatch checks the one context watch a Client keeps for its
// exchanges: it follows the context of each request (a cancel interrupts
// the request in flight under it, a context no longer used interrupts
// nothing), and requests that overlap are each interrupted by their own.
func TestCancelWatch(t *testing.T) {
	srv, arrived, release, left := waitingServer(t)
	c := New(Options{Timeout: 5 * time.Second})
	defer c.CloseIdle()
	base := testCtx(t)
	ok := func(ctx context.Context, path string) {
		t.Helper()
		if resp := c.Do(ctx, &Request{URL: srv.URL + path}); resp.Err != nil || resp.Status != 200 {
			t.Fatalf("%s: status %d, err %v", path, resp.Status, resp.Err)
		}
	}
	ctx1, cancel1 := context.WithCancel(base)
	defer cancel1()
	ok(ctx1, "/")

	// A second context, canceled while its request waits.
	ctx2, cancel2 := context.WithCancel(base)
	go func() { <-arrived; cancel2() }()
	if resp := c.Do(ctx2, &Request{URL: srv.URL + "/wait?2"}); !resp.Canceled {
		t.Fatalf("request under a canceled context: Canceled false, status %d, err %v", resp.Status, resp.Err)
	}
	// Its handler must have seen the client go, or it could take the
	// release meant for /wait?1 below.
	select {
	case q := <-left:
		if q != "2" {
			t.Fatalf("the handler of /wait?%s saw its client go, want /wait?2's", q)
		}
	case <-base.Done():
		t.Fatal("the server never saw the canceled /wait?2's client go")
	}

	// Back to the first: canceling the second again, or another context
	// no longer used, does not touch it.
	ctx3, cancel3 := context.WithCancel(base)
	ok(ctx3, "/")
	go func() { <-arrived; cancel2(); cancel3(); release <- struct{}{} }()
	ok(ctx1, "/wait?1")

	// Two requests at once, both canceled: each is interrupted.
	ctx4, cancel4 := context.WithCancel(base)
	results := make(chan *Response, 2)
	for range 2 {
		go func() { results <- c.Do(ctx4, &Request{URL: srv.URL + "/wait?4"}) }()
	}
	<-arrived
	<-arrived
	cancel4()
	for range 2 {
		if resp := <-results; !resp.Canceled {
			t.Errorf("overlapping request: Canceled false, status %d, err %v", resp.Status, resp.Err)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestKeyIs checks keyIs against connKey, which builds the key.
func TestKeyIs(t *testing.T) {
	urls := []string{"http://a", "http://a:80", "http://a:8080/x", "https://a", "https://a:443", "http://a:443",
		"http://[::1]", "http://[::1]:80", "https://[::1]", "http://h:/", "http://[fe80::1%25eth0]/", "https://A.example/",
		"http://a.b", "http://ab", "http://127.0.0.1", "http://127.0.0.1:80"}
	for _, a := range urls {
		ua := mustURL(t, a)
		for _, b := range urls {
			ub := mustURL(t, b)
			key := connKey(ua)
			if got, want := keyIs(key, ub), key == connKey(ub); got != want {
				t.Errorf("keyIs(%q, %s) = %v, want %v (connKey %q)", key, b, got, want, connKey(ub))
			}
		}
	}
}

// FuzzURLIs holds urlIs to URL.String: it may say false for a URL it
// does not know, never a wrong true.
func FuzzURLIs(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/status/200", "http://h", "http://h/", "HTTP://h/x", "http://H/x?a=1",
		"http://h/a b", "http://h/a%2Fb", "http://h/x?", "http://h/x#f", "http://u@h/", "https://[::1]:443/x?y=%zz", "http://h/é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		if urlIs(u, s) && u.String() != s {
			t.Fatalf("urlIs(%q) is true, but String() is %q", s, u.String())
		}
	})
}

// TestURLIs checks that the usual URLs are known to urlIs.
func TestURLIs(t *testing.T) {
	for _, s := range []string{"http://127.0.0.1:8080/status/200", "http://h", "http://h/", "http://H/x?a=1", "https://[::1]:443/x?y=%zz"} {
		if !urlIs(mustURL(t, s), s) {
			t.Errorf("urlIs(%q) = false", s)
		}
	}
	for _, s := range []string{"HTTP://h/x", "http://h/a b", "http://h/x?", "http://h/x#f"} {
		if urlIs(mustURL(t, s), s) {
			t.Errorf("urlIs(%q) = true", s)
		}
	}
}

// TestWriteRequestURI holds writeRequestURI to URL.RequestURI.
func TestWriteRequestURI(t *testing.T) {
	for _, s := range []string{"http://h", "http://h/", "http://h/a b?c=d", "http://h/x?", "http://h/a%2Fb?q", "http:opaque?x", "http://h?q=1"} {
		u := mustURL(t, s)
		var b bytes.Buffer
		bw := bufio.NewWriter(&b)
		writeRequestURI(bw, u)
		bw.Flush()
		if b.String() != u.RequestURI() {
			t.Errorf("%s: wrote %q, want %q", s, b.String(), u.RequestURI())
		}
	}
}

// TestURLCache checks that the parsed URLs a Client remembers are those
// of their text, that failures are not remembered, and that it keeps
// working past its size.
func TestURLCache(t *testing.T) {
	var uc urlCache
	urls := []string{"http://a/1", "http://b/2?x", "http://c/3", "http://a/1", "https://d:8443/"}
	for round := 0; round < 3; round++ {
		for _, s := range urls {
			u, err := uc.parse(s)
			if err != nil || u.String() != s {
				t.Fatalf("parse(%q) = %v, %v", s, u, err)
			}
		}
		for _, bad := range []string{"ftp://x/", "/relative", "http://%zz/"} {
			if _, err := uc.parse(bad); err == nil {
				t.Errorf("parse(%q) did not fail", bad)
			}
		}
	}
	if a, _ := uc.parse("http://x/"); a != must(uc.parse("http://x/")) {
		t.Errorf("a URL parsed twice in a row is not remembered")
	}
}

func must(u *url.URL, err error) *url.URL {
	if err != nil {
		panic(err)
	}
	return u
}

// TestReadHeaderFast holds readHeaderFast to textproto's ReadMIMEHeader
// and checks which sections it leaves to textproto.
func TestReadHeaderFast(t *testing.T) {
	var hc headerCache
	for in, fast := range map[string]bool{
		"\r\n": true,
		"Date: x\r\nContent-Length: 11\r\ncontent-type:  text/plain \t\r\n\r\nbody": true,
		"A: 1\r\na: 2\r\nX-Odd: \xff:\"v\"\r\nEmpty:\r\n\r\n":                       true,
		"A: 1\r\n folded\r\n\r\n": false, "A: 1\nB: 2\n\n": false, "A : 1\r\n\r\n": false,
		"A: 1\r\nno colon\r\n\r\n": false, "A: \x01\r\n\r\n": false, "A: 1\r\n": false, ": 1\r\n\r\n": false,
	} {
		for pass := 0; pass < 2; pass++ { // the second with the section in hc
			br := bufio.NewReader(strings.NewReader(in))
			br.Peek(1) // as after the status line: the buffer is filled
			h, ok := readHeaderFast(br, &hc)
			if ok != fast {
				t.Errorf("%q: fast %v, want %v", in, ok, fast)
			}
			if !ok {
				continue
			}
			want, err := textproto.NewReader(bufio.NewReader(strings.NewReader(in))).ReadMIMEHeader()
			if err != nil || !reflect.DeepEqual(h, http.Header(want)) {
				t.Errorf("%q (pass %d): %v, textproto %v (%v)", in, pass, h, want, err)
			}
			_, wantRest, _ := strings.Cut(in, "\r\n\r\n")
			if in == "\r\n" {
				wantRest = ""
			}
			if rest, _ := io.ReadAll(br); string(rest) != wantRest {
				t.Errorf("%q (pass %d): %q left, want %q", in, pass, rest, wantRest)
			}
		}
	}
}

// TestWatchedContext: under a context the caller watches (Watched), an
// exchange registers nothing on the context, its end alone does not
// interrupt the exchange, and the caller's Interrupt does; other
// contexts, and overlapping exchanges, still watch their own.
func TestWatchedContext(t *testing.T) {
	srv, arrived, release, _ := waitingServer(t)
	c := New(Options{Timeout: 5 * time.Second})
	defer c.CloseIdle()
	base := testCtx(t)

	ctx, cancel := context.WithCancel(base)
	defer cancel()
	c.Watched(ctx)
	if resp := c.Do(ctx, &Request{URL: srv.URL + "/"}); resp.Err != nil || resp.Status != 200 {
		t.Fatalf("status %d, err %v", resp.Status, resp.Err)
	}
	c.watch.mu.Lock()
	stop, watched := c.watch.stop, c.watch.ctx
	c.watch.mu.Unlock()
	if stop != nil || watched != ctx {
		t.Fatalf("an exchange under the watched context registered a context.AfterFunc (stop %v, ctx %v)", stop != nil, watched == ctx)
	}

	// The end of the watched context is the caller's to report: its
	// Interrupt ends the exchange.
	done := make(chan *Response, 1)
	go func() { done <- c.Do(ctx, &Request{URL: srv.URL + "/wait?w"}) }()
	<-arrived
	c.Interrupt()
	cancel()
	c.Interrupt()
	select {
	case resp := <-done:
		if !resp.Canceled {
			t.Errorf("interrupted exchange: Canceled false, status %d, err %v", resp.Status, resp.Err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Interrupt did not end the exchange")
	}
	c.Interrupt() // late or repeated: nothing in flight, nothing happens

	// Another context watches itself.
	ctx2, cancel2 := context.WithCancel(base)
	go func() { <-arrived; cancel2() }()
	if resp := c.Do(ctx2, &Request{URL: srv.URL + "/wait?2"}); !resp.Canceled {
		t.Fatalf("request under an unwatched context: Canceled false, status %d, err %v", resp.Status, resp.Err)
	}

	// Overlapping exchanges under a watched context: the first is the
	// caller's to interrupt, the second watches its own.
	ctx3, cancel3 := context.WithCancel(base)
	c.Watched(ctx3)
	results := make(chan *Response, 2)
	for range 2 {
		go func() { results <- c.Do(ctx3, &Request{URL: srv.URL + "/wait?3"}) }()
	}
	<-arrived
	<-arrived
	cancel3()
	c.Interrupt()
	for range 2 {
		select {
		case resp := <-results:
			if !resp.Canceled {
				t.Errorf("overlapping request: Canceled false, status %d, err %v", resp.Status, resp.Err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an overlapping request was not interrupted")
		}
	}
	close(release)
}

// TestClientsShareParsedURLs: Clients requesting the same URL keep one
// parsed copy of it; an invalid URL is not kept; past maxSharedURLs, URLs
// are parsed for each Client and requests go on as before.
func TestClientsShareParsedURLs(t *testing.T) {
	reset := func() { sharedURLs.Clear(); nSharedURLs.Store(0) }
	reset()
	t.Cleanup(reset)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.URL.Path) }))
	ctx := testCtx(t)
	a, b := New(Options{}), New(Options{})
	defer a.CloseIdle()
	defer b.CloseIdle()
	get := func(c *Client, path string) {
		t.Helper()
		if resp := c.Do(ctx, &Request{URL: srv.URL + path}); resp.Err != nil || string(resp.Body) != path {
			t.Fatalf("%s: body %q, err %v", path, resp.Body, resp.Err)
		}
	}
	get(a, "/shared")
	get(b, "/shared")
	if a.urls.e[0].u == nil || a.urls.e[0].u != b.urls.e[0].u {
		t.Fatalf("two clients parsed %s/shared apart", srv.URL)
	}
	if resp := a.Do(ctx, &Request{URL: "http://[::1"}); resp.Err == nil {
		t.Fatal("an invalid URL was accepted")
	}
	if _, ok := sharedURLs.Load("http://[::1"); ok {
		t.Error("an invalid URL was kept")
	}
	for i := 0; nSharedURLs.Load() < maxSharedURLs; i++ {
		if _, err := sharedURL(fmt.Sprintf("http://fill.invalid/%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	get(a, "/past-the-limit")
	get(b, "/past-the-limit")
	if a.urls.e[1].u == b.urls.e[1].u {
		t.Error("a URL past the limit was shared")
	}
	if _, ok := sharedURLs.Load(srv.URL + "/past-the-limit"); ok || nSharedURLs.Load() != maxSharedURLs {
		t.Errorf("the shared URLs grew past the limit: %d", nSharedURLs.Load())
	}
}
