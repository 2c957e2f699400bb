package httpc

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// dialedSocket is a socket a Client dialed (to a listener of the test's,
// both closed at its end).
func dialedSocket(t *testing.T) syscall.RawConn {
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
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

// TestDialSetsPortRange: the sockets a client dials carry a local port
// range, so that the kernel does not prefer ports of one parity.
func TestDialSetsPortRange(t *testing.T) {
	rc := dialedSocket(t)
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
		t.Errorf("IP_LOCAL_PORT_RANGE is %#x (%v), want a range", v, gerr)
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
	rc := dialedSocket(t)
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
		var v int
		var gerr error
		if err := rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), o.level, o.opt) }); err != nil {
			t.Fatal(err)
		}
		if gerr != nil || v != o.want {
			t.Errorf("%s is %d (%v), want %d", o.name, v, gerr, o.want)
		}
	}
}
