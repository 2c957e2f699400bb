package httpc

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// netDial dials addr as a Client does for a name: through net.Dialer,
// with timeout.
func netDial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAliveConfig: keepAlive, Control: dialControl}
	return d.DialContext(ctx, "tcp", addr)
}

// fullListener is the address of a listening socket whose accept queue is
// full: a connect to it waits (the kernel drops its SYN) until it gives
// up.
func fullListener(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	// Fill the queue: connections complete until one cannot.
	for range 16 {
		c, err := dialDirect(context.Background(), ap, time.Now().Add(100*time.Millisecond))
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				// A kernel told to refuse rather than drop (for one,
				// net.ipv4.tcp_abort_on_overflow) leaves no connect
				// waiting.
				t.Skipf("a full accept queue does not leave a connect waiting here: %v", err)
			}
			return ap
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Fatal("the accept queue of a listener with backlog 0 never filled")
	return ap
}

// closedPort is an address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A direct dial fails as net.Dialer's does: the same error text, the same
// error for errors.Is and net.Error, and the same failure message in the
// statistics (errText), for a refused connection, a connect that times
// out and one whose context is canceled while it waits.
func TestDialDirectErrorsAreNets(t *testing.T) {
	type outcome struct {
		err  error
		url  string
		wait time.Duration
	}
	check := func(t *testing.T, direct, std outcome) {
		t.Helper()
		if direct.err == nil || std.err == nil {
			t.Fatalf("direct: %v; net.Dialer: %v; want both to fail", direct.err, std.err)
		}
		if direct.err.Error() != std.err.Error() {
			t.Errorf("direct: %q\nnet.Dialer: %q", direct.err, std.err)
		}
		var dn, sn net.Error
		if !errors.As(direct.err, &dn) || !errors.As(std.err, &sn) || dn.Timeout() != sn.Timeout() {
			t.Errorf("net.Error: direct %v, net.Dialer %v", dn, sn)
		}
		// (A timeout is not compared with errors.Is: net.Dialer's is
		// os.ErrDeadlineExceeded or context.DeadlineExceeded, as its
		// poller or its context notices first.)
		for _, target := range []error{syscall.ECONNREFUSED, context.Canceled} {
			if errors.Is(direct.err, target) != errors.Is(std.err, target) {
				t.Errorf("errors.Is(%v): direct %v, net.Dialer %v", target, errors.Is(direct.err, target), errors.Is(std.err, target))
			}
		}
		if d, s := errText(direct.err, direct.url, direct.wait), errText(std.err, std.url, std.wait); d != s {
			t.Errorf("failure message: direct %q, net.Dialer %q", d, s)
		}
	}

	t.Run("refused", func(t *testing.T) {
		addr := closedPort(t)
		_, derr := dialDirect(context.Background(), netip.MustParseAddrPort(addr), time.Time{})
		_, serr := netDial(context.Background(), addr, time.Second)
		if !errors.Is(derr, syscall.ECONNREFUSED) {
			t.Errorf("direct: %v, want connection refused", derr)
		}
		check(t, outcome{derr, "http://" + addr + "/", time.Second}, outcome{serr, "http://" + addr + "/", time.Second})
	})

	t.Run("timeout", func(t *testing.T) {
		ap := fullListener(t)
		const wait = 50 * time.Millisecond
		_, derr := dialDirect(context.Background(), ap, time.Now().Add(wait))
		_, serr := netDial(context.Background(), ap.String(), wait)
		var ne net.Error
		if !errors.As(derr, &ne) || !ne.Timeout() {
			t.Errorf("direct: %v, want a timeout", derr)
		}
		check(t, outcome{derr, "http://" + ap.String() + "/", wait}, outcome{serr, "http://" + ap.String() + "/", wait})
	})

	t.Run("canceled", func(t *testing.T) {
		ap := fullListener(t)
		// Canceled while the connect waits, or before it began: either
		// way the dial reports the cancel, never its (distant) deadline.
		dial := func(f func(ctx context.Context) error) error {
			ctx, cancel := context.WithCancel(context.Background())
			tm := time.AfterFunc(20*time.Millisecond, cancel)
			defer tm.Stop()
			return f(ctx)
		}
		derr := dial(func(ctx context.Context) error {
			_, err := dialDirect(ctx, ap, time.Now().Add(time.Minute))
			return err
		})
		serr := dial(func(ctx context.Context) error {
			_, err := netDial(ctx, ap.String(), time.Minute)
			return err
		})
		if !errors.Is(derr, context.Canceled) || !strings.HasSuffix(derr.Error(), "operation was canceled") {
			t.Fatalf("direct: %v, want the cancel", derr)
		}
		check(t, outcome{derr, "http://" + ap.String() + "/", time.Minute}, outcome{serr, "http://" + ap.String() + "/", time.Minute})
	})
}

// A directly dialled connection's errors are net's too: a read past its
// deadline, a reset by the server, a read after Close. The texts are
// compared with those of a connection net.Dialer made, with each side's
// local address put aside.
func TestDirectConnErrorsAreNets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	pair := func(t *testing.T) (map[string]net.Conn, map[string]net.Conn) {
		t.Helper()
		dc, err := dialDirect(context.Background(), netip.MustParseAddrPort(ln.Addr().String()), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		ds := <-accepted
		sc, err := netDial(context.Background(), ln.Addr().String(), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ss := <-accepted
		t.Cleanup(func() { dc.Close(); ds.Close(); sc.Close(); ss.Close() })
		return map[string]net.Conn{"direct": dc, "net.Dialer": sc}, map[string]net.Conn{"direct": ds, "net.Dialer": ss}
	}
	text := func(c net.Conn, err error) string {
		if err == nil {
			return "<nil>"
		}
		return strings.ReplaceAll(err.Error(), c.LocalAddr().String(), "LOCAL")
	}
	same := func(t *testing.T, what string, clients map[string]net.Conn, errs map[string]error, want error) {
		t.Helper()
		d, s := text(clients["direct"], errs["direct"]), text(clients["net.Dialer"], errs["net.Dialer"])
		if d != s {
			t.Errorf("%s: direct %q, net.Dialer %q", what, d, s)
		}
		if !errors.Is(errs["direct"], want) {
			t.Errorf("%s: direct %v, want %v", what, errs["direct"], want)
		}
		var oe *net.OpError
		if !errors.As(errs["direct"], &oe) {
			t.Errorf("%s: direct %T, want a *net.OpError", what, errs["direct"])
		}
	}

	t.Run("deadline", func(t *testing.T) {
		clients, _ := pair(t)
		errs := map[string]error{}
		for name, c := range clients {
			c.SetReadDeadline(time.Now().Add(-time.Second))
			_, errs[name] = c.Read(make([]byte, 10))
		}
		same(t, "read past the deadline", clients, errs, os.ErrDeadlineExceeded)
	})

	t.Run("reset", func(t *testing.T) {
		clients, servers := pair(t)
		errs := map[string]error{}
		for name, c := range clients {
			servers[name].(*net.TCPConn).SetLinger(0)
			servers[name].Close()
			_, errs[name] = io.ReadAll(c)
		}
		same(t, "read of a reset connection", clients, errs, syscall.ECONNRESET)
	})

	t.Run("closed", func(t *testing.T) {
		clients, _ := pair(t)
		errs := map[string]error{}
		for name, c := range clients {
			c.LocalAddr() // asked before the socket goes, as a Client's trace does
			c.Close()
			_, errs[name] = c.Read(make([]byte, 10))
		}
		same(t, "read after Close", clients, errs, net.ErrClosed)
	})

	t.Run("eof", func(t *testing.T) {
		clients, servers := pair(t)
		for name, c := range clients {
			servers[name].Write([]byte("bye"))
			servers[name].Close()
			b, err := io.ReadAll(c)
			if string(b) != "bye" || err != nil {
				t.Errorf("%s: read %q, %v; want \"bye\" and the end", name, b, err)
			}
		}
	})

	t.Run("addresses", func(t *testing.T) {
		clients, servers := pair(t)
		dc := clients["direct"]
		if got, want := dc.RemoteAddr().String(), ln.Addr().String(); got != want {
			t.Errorf("RemoteAddr %s, want %s", got, want)
		}
		if got, want := dc.LocalAddr().String(), servers["direct"].RemoteAddr().String(); got != want {
			t.Errorf("LocalAddr %s, want %s (the server's view)", got, want)
		}
	})
}

// A client dials an IP address directly and a name through net.Dialer;
// both carry requests alike.
func TestClientDialsAddressesDirectly(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, c := range []struct {
		host string
		conn string
	}{
		{"127.0.0.1", "*httpc.directConn"},
		{"localhost", "*net.TCPConn"},
	} {
		cl := New(Options{})
		u := "http://" + c.host + ":" + port + "/"
		resp := cl.Do(context.Background(), &Request{URL: u})
		if resp.Err != nil || string(resp.Body) != "ok" {
			t.Fatalf("%s: %v %q", u, resp.Err, resp.Body)
		}
		cl.h1.mu.Lock()
		var kinds []string
		for _, cn := range cl.h1.idle {
			kinds = append(kinds, typeName(cn.nc))
		}
		cl.h1.mu.Unlock()
		if len(kinds) != 1 || kinds[0] != c.conn {
			t.Errorf("%s: idle connections %v, want one %s", u, kinds, c.conn)
		}
		cl.CloseIdle()
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *directConn:
		return "*httpc.directConn"
	case *net.TCPConn:
		return "*net.TCPConn"
	}
	return "other"
}

// IPv6 addresses are dialled directly too, where the machine has them.
func TestDialDirectIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Write([]byte("six"))
			c.Close()
		}
	}()
	c, err := dialDirect(context.Background(), netip.MustParseAddrPort(ln.Addr().String()), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if b, err := io.ReadAll(c); string(b) != "six" || err != nil {
		t.Errorf("read %q, %v", b, err)
	}
	if got := c.RemoteAddr().String(); got != ln.Addr().String() {
		t.Errorf("RemoteAddr %s, want %s", got, ln.Addr())
	}
}

// peerKnown tells a connected socket from one that is not (yet).
func TestPeerKnown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if peerKnown(fd) {
		t.Error("an unconnected socket has a peer")
	}
	ap := netip.MustParseAddrPort(ln.Addr().String())
	if err := unix.Connect(fd, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		t.Fatal(err)
	}
	if !peerKnown(fd) {
		t.Error("a connected socket has no peer")
	}
	full := fullListener(t)
	c, err := dialDirect(context.Background(), full, time.Now().Add(50*time.Millisecond))
	if err == nil {
		c.Close()
		t.Fatal("a dial to a full accept queue connected")
	}
}

// A dial on loopback, where the handshake is over when connect returns,
// takes the short way: no wait for the socket to become writable, so no
// context watch, deadline or raw-connection closure, which the
// allocations tell (5 for a dial and its close; the long way makes 9).
// The kernel may defer its network work under load, so the least of
// several dials counts.
func TestDialDirectLoopbackAsksOnce(t *testing.T) {
	ap := closingListener(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	least := -1.0
	for range 20 {
		n := testing.AllocsPerRun(1, func() {
			c, err := dialDirect(ctx, ap, time.Now().Add(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		})
		if least < 0 || n < least {
			least = n
		}
	}
	if least > 5 {
		t.Errorf("a loopback dial made at least %v allocations, want 5 or fewer: it waited for the connect", least)
	}
}

// BenchmarkDialDirect dials and closes loopback connections (the accepted
// ends are closed by a goroutine).
func BenchmarkDialDirect(b *testing.B) {
	ap := closingListener(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := dialDirect(ctx, ap, time.Now().Add(5*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// closingListener is a loopback listener that closes what it accepts,
// until the test ends.
func closingListener(tb testing.TB) netip.AddrPort {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}
