package httpc

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// dropSecondServer answers the first request on each connection and
// reads the second one whole, then drops the connection without a word,
// as a server does whose keep-alive timeout passed as the request came
// in. With reset, the connection is reset (RST) rather than closed. It
// counts the requests it read by method.
type dropSecondServer struct {
	*hostileServer
	mu   sync.Mutex
	seen map[string]int
}

func newDropSecondServer(t *testing.T, reset bool) *dropSecondServer {
	s := &dropSecondServer{seen: map[string]int{}}
	s.hostileServer = newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
		for i := 0; ; i++ {
			m := readRequest(br)
			if m == "" {
				return
			}
			s.mu.Lock()
			s.seen[m]++
			s.mu.Unlock()
			if i == 1 {
				if reset {
					c.(*net.TCPConn).SetLinger(0)
				}
				return // closes c
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	return s
}

func (s *dropSecondServer) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[method]
}

// TestPostNeverSentTwice checks that a POST the server read before it
// reset a reused connection is not sent again: the server sees it once
// and the caller sees the failure.
func TestPostNeverSentTwice(t *testing.T) {
	for _, reset := range []bool{true, false} {
		srv := newDropSecondServer(t, reset)
		c := New(Options{})
		if resp := c.Do(testCtx(t), &Request{URL: srv.URL}); resp.Err != nil {
			t.Fatalf("first request: %v", resp.Err)
		}
		resp := c.Do(testCtx(t), &Request{Method: "POST", URL: srv.URL, Body: []byte("order=1")})
		if resp.Err == nil || resp.Status != 0 || resp.Canceled {
			t.Errorf("reset %v: status %d, Err %v, Canceled %v: want a failure", reset, resp.Status, resp.Err, resp.Canceled)
		}
		if resp.ErrText != "connection reset by peer" && resp.ErrText != "server closed connection (EOF)" {
			t.Errorf("reset %v: ErrText %q", reset, resp.ErrText)
		}
		if n := srv.count("POST"); n != 1 {
			t.Errorf("reset %v: the server read %d POSTs, want 1", reset, n)
		}
		c.CloseIdle()
	}
}

// TestReplayedOnStaleConnection checks that a request that may be
// replayed (GET, or with an idempotency key) is sent again, once, on a new
// connection when a reused one fails before any byte of a response.
func TestReplayedOnStaleConnection(t *testing.T) {
	for _, tc := range []struct {
		method string
		header http.Header
	}{
		{"GET", nil},
		{"HEAD", nil},
		{"POST", http.Header{"idempotency-key": {"k1"}}},
		{"PATCH", http.Header{"X-Idempotency-Key": {"k2"}}},
	} {
		t.Run(tc.method, func(t *testing.T) {
			srv := newDropSecondServer(t, true)
			c := New(Options{})
			defer c.CloseIdle()
			if resp := c.Do(testCtx(t), &Request{URL: srv.URL}); resp.Err != nil {
				t.Fatalf("first request: %v", resp.Err)
			}
			resp := c.Do(testCtx(t), &Request{Method: tc.method, URL: srv.URL, Header: tc.header})
			if resp.Err != nil || resp.Status != 200 {
				t.Fatalf("status %d, Err %v: want it replayed on a new connection", resp.Status, resp.Err)
			}
			want := map[string]int{"GET": 1}
			want[tc.method] += 2
			for m, n := range want {
				if got := srv.count(m); got != n {
					t.Errorf("the server read %d %s requests, want %d", got, m, n)
				}
			}
			if n := srv.conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2", n)
			}
		})
	}
}

// TestReplayable pins the methods that are replayed once written: those
// net/http's transport replays.
func TestReplayable(t *testing.T) {
	for _, tc := range []struct {
		method string
		header http.Header
		want   bool
	}{
		{"GET", nil, true},
		{"HEAD", nil, true},
		{"OPTIONS", nil, true},
		{"TRACE", nil, true},
		{"POST", nil, false},
		{"PATCH", nil, false},
		{"PUT", nil, false},
		{"DELETE", nil, false},
		{"POST", http.Header{"Idempotency-Key": {"a"}}, true},
		{"DELETE", http.Header{"x-idempotency-key": {}}, true},
		{"POST", http.Header{"X-Idempotency": {"a"}}, false},
	} {
		if got := replayable(tc.method, tc.header); got != tc.want {
			t.Errorf("replayable(%s, %v) = %v, want %v", tc.method, tc.header, got, tc.want)
		}
	}
}

// TestPostAvoidsClosedIdleConnection checks that a POST is not sent on an
// idle connection the server has closed (where it would fail, as it may
// not be replayed) but on a new one.
func TestPostAvoidsClosedIdleConnection(t *testing.T) {
	if !idleConnsChecked {
		t.Skip("idle connections are not looked at on this platform")
	}
	closed := make(chan struct{})
	var posts atomic.Int32
	srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
		for i := 0; ; i++ {
			m := readRequest(br)
			if m == "" {
				return
			}
			if m == "POST" {
				posts.Add(1)
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			if i == 0 && m == "GET" {
				c.Close() // as a keep-alive timeout does
				close(closed)
				return
			}
		}
	})
	c := New(Options{})
	defer c.CloseIdle()
	ctx := testCtx(t)
	if resp := c.Do(ctx, &Request{URL: srv.URL}); resp.Err != nil {
		t.Fatalf("first request: %v", resp.Err)
	}
	<-closed
	// Wait until the close has reached the idle connection's socket.
	idle := c.h1.get(mustURL(t, srv.URL))
	if idle == nil {
		t.Fatal("no idle connection")
	}
	for !idleConnBroken(idle.nc) {
		if ctx.Err() != nil {
			t.Fatal("the server's close never arrived")
		}
		runtime.Gosched()
	}
	c.h1.put(idle)
	resp := c.Do(ctx, &Request{Method: "POST", URL: srv.URL, Body: []byte("x")})
	if resp.Err != nil || resp.Status != 200 {
		t.Fatalf("status %d, Err %v: want the POST sent on a new connection", resp.Status, resp.Err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("the server read %d POSTs, want 1", n)
	}
	if n := srv.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

// TestIdleConnExpiredDeadline checks that an idle connection whose last
// deadline has passed is still reused, by a request that is not replayed
// (its check for a close by the server runs after the new deadline is
// set) as by one that is.
func TestIdleConnExpiredDeadline(t *testing.T) {
	var mu sync.Mutex
	peers := map[string]bool{}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		peers[r.RemoteAddr] = true
		mu.Unlock()
		io.WriteString(w, "ok")
	}))
	c := New(Options{})
	defer c.CloseIdle()
	ctx := testCtx(t)
	for _, method := range []string{"GET", "POST", "GET"} {
		c.h1.mu.Lock()
		for _, cn := range c.h1.idle {
			_ = cn.nc.SetDeadline(aLongTimeAgo) // as if the last exchange's deadline had passed
			cn.dl = aLongTimeAgo
		}
		c.h1.mu.Unlock()
		if resp := c.Do(ctx, &Request{Method: method, URL: srv.URL, Body: []byte("x")}); resp.Err != nil || resp.Status != 200 {
			t.Fatalf("%s: status %d, err %v", method, resp.Status, resp.Err)
		}
	}
	if len(peers) != 1 {
		t.Errorf("%d connections, want 1 reused", len(peers))
	}
}
