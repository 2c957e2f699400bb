//go:build linux

package main

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestResponseLength(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		err  string
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n", -1, ""},
		{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", 41, ""},
		{"HTTP/1.1 200 OK\r\ncontent-length:  3 \r\nX: y\r\n\r\nok\n", 49, ""},
		{"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 0, "status line"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "without a Content-Length"},
		{"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "bad Content-Length"},
	} {
		got, err := responseLength([]byte(c.in))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("responseLength(%q) = %d, %v; want an error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("responseLength(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// TestRun: every user dials once and reads its responses, however the
// server splits them, and the first responses and the median are
// reported.
func TestRun(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush() // the header and the body in two writes
		_, _ = w.Write([]byte("ok\n"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	r := run(config{addr: srv.Listener.Addr().String(), host: "x", users: 5, wait: time.Millisecond, duration: time.Minute, iterations: 3})
	if r.Failures != 0 || r.FirstError != "" {
		t.Fatalf("failures %d (%s)", r.Failures, r.FirstError)
	}
	if r.Requests != 15 || r.FirstAllS < 0 || r.MedianMS <= 0 {
		t.Errorf("requests %d, first_all_s %v, median_ms %v: want 15 requests, every user's first response and a median", r.Requests, r.FirstAllS, r.MedianMS)
	}
	if n := conns.Load(); n != 5 {
		t.Errorf("%d connections, want one per user", n)
	}
}

// TestRunFailure: a server that closes the connection is a failure with
// its reason, and the user stops.
func TestRunFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = bufio.NewReader(c).ReadString('\n')
			c.Close()
		}
	}()
	r := run(config{addr: ln.Addr().String(), host: "x", users: 2, wait: time.Millisecond, duration: time.Minute})
	if r.Failures != 2 || r.Requests != 0 || r.FirstAllS != -1 || !strings.Contains(r.FirstError, "closed") {
		t.Errorf("got %+v, want 2 failures (connection closed), no requests, first_all_s -1", r)
	}
}

func TestNextStart(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	pacing := config{pacing: time.Second}
	wait := config{wait: time.Second}
	for _, c := range []struct {
		name      string
		c         config
		due, done time.Time
		want      time.Time
	}{
		{"pacing, on time", pacing, at(0), at(300), at(1000)},
		{"pacing, started 400 ms late: caught up", pacing, at(0), at(500), at(1000)},
		{"pacing, ended after the next was due", pacing, at(0), at(1200), at(1200)},
		{"constant wait: from the end", wait, at(0), at(300), at(1300)},
	} {
		if got := c.c.nextStart(c.due, c.done); !got.Equal(c.want) {
			t.Errorf("%s: next at %v, want %v", c.name, got.Sub(t0), c.want.Sub(t0))
		}
	}
}
