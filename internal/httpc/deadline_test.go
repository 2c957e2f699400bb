package httpc

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// deadlineConn records the deadlines set on it.
type deadlineConn struct {
	net.Conn
	set []time.Time
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	c.set = append(c.set, t)
	return nil
}

// TestSetDeadlineSlack checks which deadlines move a connection's: one
// already set within [d, d+slack] is kept.
func TestSetDeadlineSlack(t *testing.T) {
	dc := &deadlineConn{}
	cn := &http1Conn{nc: dc}
	t0 := time.Unix(1000, 0)
	const slack = 100 * time.Millisecond
	const keep = time.Duration(-1 << 63) // the deadline is not moved
	steps := []struct {
		d    time.Duration // the deadline needed, after t0
		want time.Duration // the deadline then set, after t0 (keep: none)
	}{
		{0, 100 * time.Millisecond},                                          // none known: set, with the slack
		{50 * time.Millisecond, keep},                                        // within [d, d+slack]
		{100 * time.Millisecond, keep},                                       // the one set, exactly
		{101 * time.Millisecond, 201 * time.Millisecond},                     // later than the one set
		{90 * time.Millisecond, 190 * time.Millisecond},                      // earlier by more than the slack
		{-time.Second, -900 * time.Millisecond},                              // much earlier (a shorter timeout)
		{-900 * time.Millisecond, keep},                                      // the one set
		{time.Hour, time.Hour + 100*time.Millisecond},                        // much later
		{time.Hour + 99*time.Millisecond, keep},                              // within
		{time.Hour + 101*time.Millisecond, time.Hour + 201*time.Millisecond}, // past it
	}
	for i, s := range steps {
		n := len(dc.set)
		cn.setDeadline(t0.Add(s.d), slack)
		switch {
		case s.want == keep && len(dc.set) != n:
			t.Errorf("step %d (d %v): deadline moved to %v, want it kept", i, s.d, dc.set[n].Sub(t0))
		case s.want != keep && len(dc.set) != n+1:
			t.Errorf("step %d (d %v): deadline kept, want %v", i, s.d, s.want)
		case s.want != keep && !dc.set[n].Equal(t0.Add(s.want)):
			t.Errorf("step %d (d %v): deadline %v, want %v", i, s.d, dc.set[n].Sub(t0), s.want)
		}
	}
	cn.dl = time.Time{} // unknown (an interrupt moved it): set again
	n := len(dc.set)
	cn.setDeadline(t0.Add(time.Hour+150*time.Millisecond), slack)
	if len(dc.set) != n+1 {
		t.Errorf("an unknown deadline was not set")
	}
	if got := deadlineSlack(60 * time.Second); got != 100*time.Millisecond {
		t.Errorf("deadlineSlack(60s) = %v", got)
	}
	if got := deadlineSlack(640 * time.Millisecond); got != 10*time.Millisecond {
		t.Errorf("deadlineSlack(640ms) = %v", got)
	}
}

// TestTimeoutOnKeptAliveConnection checks that a request times out, not
// before its timeout, on a connection whose deadline the requests before
// it left in place, and that a canceled request does not leave its
// interrupt's deadline to the next one on the client.
func TestTimeoutOnKeptAliveConnection(t *testing.T) {
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) { stall(r, done) })
	srv := newServer(t, mux)
	t.Cleanup(func() { close(done) })

	const timeout = 300 * time.Millisecond
	c := New(Options{Timeout: timeout})
	defer c.CloseIdle()
	ctx := testCtx(t)
	for i := 0; i < 20; i++ {
		if resp := c.Do(ctx, &Request{URL: srv.URL + "/fast"}); resp.Err != nil {
			t.Fatalf("request %d: %v", i, resp.Err)
		}
	}
	start := time.Now()
	resp := c.Do(ctx, &Request{URL: srv.URL + "/stall"})
	el := time.Since(start)
	if resp.ErrText != "timeout after 300ms" {
		t.Fatalf("status %d, Err %v (%q), want a timeout", resp.Status, resp.Err, resp.ErrText)
	}
	if el < timeout || el > 3*time.Second {
		t.Errorf("timed out after %v, want at least %v", el, timeout)
	}
	// Back to a working connection, then an interrupt on it.
	if resp := c.Do(ctx, &Request{URL: srv.URL + "/fast"}); resp.Err != nil {
		t.Fatal(resp.Err)
	}
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel)
	if resp := c.Do(cctx, &Request{URL: srv.URL + "/stall"}); !resp.Canceled {
		t.Fatalf("Err %v, want canceled", resp.Err)
	}
	for i := 0; i < 3; i++ {
		if resp := c.Do(ctx, &Request{URL: srv.URL + "/fast"}); resp.Err != nil || resp.Status != 200 {
			t.Fatalf("after the cancel, request %d: status %d, %v", i, resp.Status, resp.Err)
		}
	}
}
