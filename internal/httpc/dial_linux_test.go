package httpc

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// dialedSockets are sockets a Client dials (to a listener of the test's,
// all closed at its end), by the way they were dialled: through
// net.Dialer (names) and directly (IP addresses, dialDirect).
func dialedSockets(t *testing.T) map[string]syscall.RawConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	nc, err := New(Options{}).dialer.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	dc, err := dialDirect(context.Background(), netip.MustParseAddrPort(ln.Addr().String()), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	socks := map[string]syscall.RawConn{}
	for name, c := range map[string]syscall.Conn{"net.Dialer": nc.(*net.TCPConn), "dialDirect": dc.(*directConn)} {
		rc, err := c.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		socks[name] = rc
	}
	return socks
}

// TestDialSetsPortRange: the sockets a client dials carry a local port
// range, so that the kernel does not prefer ports of one parity.
func TestDialSetsPortRange(t *testing.T) {
	for name, rc := range dialedSockets(t) {
		var v int
		var gerr error
		if err := rc.Control(func(fd uintptr) {
			v, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_LOCAL_PORT_RANGE)
		}); err != nil {
			t.Fatal(err)
		}
		if errors.Is(gerr, unix.ENOPROTOOPT) {
			t.Skip("this kernel has no IP_LOCAL_PORT_RANGE (Linux 6.3 and later)")
		}
		if gerr != nil || v == 0 {
			t.Errorf("%s: IP_LOCAL_PORT_RANGE is %#x (%v), want a range", name, v, gerr)
		}
	}
}

// TestDialSocketOptions: a dialed socket has TCP keep-alive on, with 30 s
// of idleness before the first probe and the system's interval and count
// (not set: two system calls fewer per dial), the kernel's receive stamps
// and Nagle's algorithm off.
func TestDialSocketOptions(t *testing.T) {
	sys := func(name string) int {
		b, err := os.ReadFile("/proc/sys/net/ipv4/" + name)
		if err != nil {
			t.Skipf("the system's keep-alive settings: %v", err)
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	socks := dialedSockets(t)
	for _, o := range []struct {
		name       string
		level, opt int
		want       int
	}{
		{"SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1},
		{"TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, 30},
		{"TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, sys("tcp_keepalive_intvl")},
		{"TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, sys("tcp_keepalive_probes")},
		{"SO_TIMESTAMPNS", unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1},
		{"TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1},
	} {
		for name, rc := range socks {
			var v int
			var gerr error
			if err := rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), o.level, o.opt) }); err != nil {
				t.Fatal(err)
			}
			if gerr != nil || v != o.want {
				t.Errorf("%s: %s is %d (%v), want %d", name, o.name, v, gerr, o.want)
			}
		}
	}
}
