//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package httpc

import (
	"crypto/tls"
	"net"
	"syscall"
)

// idleConnsChecked tells whether idleConnBroken looks at connections on
// this platform.
const idleConnsChecked = true

// idleConnBroken reports whether the server has closed idle connection nc
// or sent on it unasked (then it is no use either): a look at the socket
// that neither waits nor consumes anything. It is asked before an idle
// connection carries a request that may not be replayed, which would
// otherwise fail there, as net/http's transport learns from its reading
// goroutine. A connection whose socket cannot be looked at is taken as
// sound.
func idleConnBroken(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	broken := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if err == syscall.EINTR {
			return false // look again
		}
		// Nothing to read is a sound idle connection; a byte, the end
		// of the stream (no error) or an error is not.
		broken = err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
		return true
	})
	return broken || err != nil
}
