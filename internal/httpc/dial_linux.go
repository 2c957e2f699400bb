package httpc

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// dialControl gives every socket the client dials its own local port range
// (IP_LOCAL_PORT_RANGE, Linux 6.3 and later) equal to the system's: with
// one, the kernel picks a connection's ephemeral port among all the ports
// of the range in turn. Without one it tries ports of one parity first, so
// once about half the range is in use (some 14,000 connections to one
// server, counting those in TIME-WAIT) every connect() walks that half
// before trying the other: on this 2-core machine a dial went from about
// 55 us of CPU to 210-970 us past 12,000 connections. A kernel without the
// option refuses it, and the socket is dialled as before.
func dialControl(network, _ string, rc syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return nil
	}
	return rc.Control(func(fd uintptr) { setDialOptions(int(fd)) })
}

// setDialOptions sets the options of the sockets a client dials on fd
// (dialControl, dialDirect).
func setDialOptions(fd int) {
	// The range given is clamped to the system's; any range set turns
	// the parity preference off.
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_LOCAL_PORT_RANGE, 65535<<16|1)
	// The kernel's receive time of what each read returns, for the
	// response times (fused_linux.go's rxTime).
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
}
