package httpc

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Dialing an IP address directly (Linux). For a URL whose host is an IP
// address the client makes the socket itself instead of through
// net.Dialer, with the same options (dialControl's, TCP_NODELAY and
// keepAlive's) and errors of the same types and texts, in fewer steps.
// net.Dialer parses the address, derives a context with the dial's
// deadline, registers every connect with its context, and after the
// connect asks the kernel for the socket's error and both ends'
// addresses: in scripts/bench users10k (10,000 first requests at once
// against nginx, perf) the dial was half of the generator core's time and
// those steps a quarter of the dial. Here a connect that completes at
// once (on loopback, almost always: the call says it is in progress, but
// one getpeername finds the socket connected) needs none of them, the
// addresses are asked for when used, and only a connect that has to wait
// watches the context. Names are dialled by net.Dialer as before: they
// need its resolver and its fallbacks from one address to the next.

// canDialDirect tells whether dialDirect exists on this platform.
const canDialDirect = true

// dialDirect connects to ap as net.Dialer.DialContext does, giving up at
// deadline (none when zero) or when ctx ends.
func dialDirect(ctx context.Context, ap netip.AddrPort, deadline time.Time) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, dialError(ap, ctxError(err))
	}
	family := unix.AF_INET6
	var sa unix.Sockaddr
	if ap.Addr().Is4() {
		family = unix.AF_INET
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	} else {
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, dialError(ap, os.NewSyscallError("socket", err))
	}
	setDialOptions(fd)
	// As net.Dialer's: keepAlive's probes and no Nagle delay.
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, int(keepAlive.Idle/time.Second))
	connected := false
	switch err := unix.Connect(fd, sa); err {
	case nil, unix.EISCONN:
		connected = true
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		// On loopback the handshake is done by the time connect returns
		// (the peer's answer is processed as the call releases the
		// socket), yet a non-blocking connect still says it is in
		// progress: one question tells, with no wait to set up.
		connected = peerKnown(fd)
	default:
		unix.Close(fd)
		return nil, dialError(ap, os.NewSyscallError("connect", err))
	}
	// A non-blocking descriptor: os.NewFile registers it with the
	// runtime's poller, as net does its sockets.
	c := &directConn{f: os.NewFile(uintptr(fd), ""), ap: ap}
	if !connected {
		if err := c.awaitConnect(ctx, deadline); err != nil {
			c.f.Close()
			return nil, err
		}
	}
	return c, nil
}

// awaitConnect waits until c's connect completes, deadline passes or ctx
// ends.
func (c *directConn) awaitConnect(ctx context.Context, deadline time.Time) error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return dialError(c.ap, err)
	}
	if !deadline.IsZero() {
		_ = c.f.SetWriteDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.f.SetWriteDeadline(aLongTimeAgo) })
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		v, gerr := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch e := syscall.Errno(v); {
		case gerr != nil:
			serr = os.NewSyscallError("getsockopt", gerr)
		case e == unix.EINPROGRESS || e == unix.EALREADY || e == unix.EINTR:
			return false
		case e != 0:
			serr = os.NewSyscallError("connect", e)
		default:
			// Writable with no error: as net does, make sure that the
			// socket is connected, not spuriously woken.
			if !peerKnown(int(fd)) {
				return false
			}
		}
		return true
	})
	if !stop() || ctx.Err() != nil {
		// ctx ended (its AfterFunc ran or will): the connection, if
		// any, may have a deadline in the past.
		return dialError(c.ap, ctxError(ctx.Err()))
	}
	_ = c.f.SetWriteDeadline(time.Time{})
	if err == nil {
		err = serr
	} else if errors.Is(err, os.ErrDeadlineExceeded) {
		err = errDialTimeout{}
	}
	if err != nil {
		return dialError(c.ap, err)
	}
	return nil
}

// peerKnown tells whether the socket fd is connected: getpeername
// succeeds only then. It asks in one system call; x/sys/unix's
// Getpeername makes a second one, for the socket's protocol, to tell an
// L2TP socket's address from an IPv4 one.
func peerKnown(fd int) bool {
	var sa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	_, _, e := unix.RawSyscall(unix.SYS_GETPEERNAME, uintptr(fd), uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&n)))
	return e == 0
}

// dialError is the error net.Dialer gives for a dial to ap that failed
// with err.
func dialError(ap netip.AddrPort, err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: err}
}

// ctxError is the error net gives for a dial whose context ended with
// err.
func ctxError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errDialTimeout{}
	}
	return errDialCanceled{}
}

// errDialCanceled is net's error for a dial canceled by its context:
// "operation was canceled", which is context.Canceled.
type errDialCanceled struct{}

func (errDialCanceled) Error() string        { return "operation was canceled" }
func (errDialCanceled) Is(target error) bool { return target == context.Canceled }

// errDialTimeout is net's error for a dial past its deadline: "i/o
// timeout", a Timeout(), which is context.DeadlineExceeded.
type errDialTimeout struct{}

func (errDialTimeout) Error() string        { return "i/o timeout" }
func (errDialTimeout) Timeout() bool        { return true }
func (errDialTimeout) Temporary() bool      { return true }
func (errDialTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

// directConn is a TCP connection that dialDirect made: an *os.File on
// the runtime's poller, whose errors are net's (*net.OpError, with
// net.ErrClosed and os.ErrDeadlineExceeded as net has them).
type directConn struct {
	f     *os.File
	ap    netip.AddrPort
	raddr atomic.Pointer[net.TCPAddr]
	laddr atomic.Pointer[net.TCPAddr]
}

var _ syscall.Conn = (*directConn)(nil)

func (c *directConn) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err != nil && err != io.EOF {
		err = c.opError("read", err)
	}
	return n, err
}

func (c *directConn) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	if err != nil {
		err = c.opError("write", err)
	}
	return n, err
}

func (c *directConn) Close() error {
	if err := c.f.Close(); err != nil {
		return c.opError("close", err)
	}
	return nil
}

// RemoteAddr is the address dialled (a *net.TCPAddr).
func (c *directConn) RemoteAddr() net.Addr {
	a := c.raddr.Load()
	if a == nil {
		a = net.TCPAddrFromAddrPort(c.ap)
		c.raddr.Store(a)
	}
	return a
}

// LocalAddr is the connection's local address (a *net.TCPAddr), asked of
// the kernel on first use; nil when it cannot tell.
func (c *directConn) LocalAddr() net.Addr {
	if a := c.laddr.Load(); a != nil {
		return a
	}
	rc, err := c.f.SyscallConn()
	if err != nil {
		return nil
	}
	var sa unix.Sockaddr
	_ = rc.Control(func(fd uintptr) { sa, _ = unix.Getsockname(int(fd)) })
	var a *net.TCPAddr
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		a = net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)))
	case *unix.SockaddrInet6:
		a = net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)))
	default:
		return nil
	}
	c.laddr.Store(a)
	return a
}

func (c *directConn) SetDeadline(t time.Time) error      { return c.setErr(c.f.SetDeadline(t)) }
func (c *directConn) SetReadDeadline(t time.Time) error  { return c.setErr(c.f.SetReadDeadline(t)) }
func (c *directConn) SetWriteDeadline(t time.Time) error { return c.setErr(c.f.SetWriteDeadline(t)) }

// SyscallConn gives the raw connection, as *net.TCPConn's does.
func (c *directConn) SyscallConn() (syscall.RawConn, error) {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return nil, c.opError("raw-conn", err)
	}
	return rc, nil
}

func (c *directConn) setErr(err error) error {
	if err != nil {
		return c.opError("set", err)
	}
	return nil
}

// opError turns an error of c.f's into the one net would give for the
// operation op on a TCP connection.
func (c *directConn) opError(op string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, os.ErrClosed):
		err = net.ErrClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = os.ErrDeadlineExceeded
	default:
		var errno syscall.Errno
		if errors.As(err, &errno) {
			err = os.NewSyscallError(op, errno)
		}
	}
	oe := &net.OpError{Op: op, Net: "tcp", Addr: c.RemoteAddr(), Err: err}
	if la := c.LocalAddr(); la != nil {
		oe.Source = la
	}
	return oe
}
