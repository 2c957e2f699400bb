package httpc

import (
	"errors"
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDialSetsPortRange: the sockets a client dials carry a local port
// range, so that the kernel does not prefer ports of one parity.
func TestDialSetsPortRange(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := New(Options{})
	nc, err := c.dialer.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
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
