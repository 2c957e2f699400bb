package httpc

import (
	"net"
	"syscall"
)

// Sending a request and waiting for its response in one step (Linux,
// plain TCP): Go's net.Conn.Read tries the read system call before it
// waits for the socket to become readable, so a read right after a write
// usually fails with EAGAIN first (the server has not answered yet) and
// costs a system call for nothing. Here the request is written from
// inside syscall.RawConn.Read, whose readiness state is reset before the
// write, so that the wait that follows cannot miss the response and the
// read that follows (bufio, through net.Conn.Read) finds it there.

// fused is the state of one send-and-wait on a connection.
type fused struct {
	checked bool            // raw and step are set (or cannot be)
	raw     syscall.RawConn // the connection's, or nil: not a plain TCP connection
	step    func(fd uintptr) bool
	p       []byte // what remains to write
	sent    bool   // all of the request was written
	tr      *Trace
}

// initFused prepares c for sendAndWait when its connection is plain TCP.
func (c *http1Conn) initFused() {
	c.fu.checked = true
	tc, ok := c.nc.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	c.fu.raw = raw
	c.fu.step = c.fusedStep
}

// canFuse reports whether the request written into c.bw can be sent by
// sendAndWait: all of it is still in the buffer.
func (c *http1Conn) canFuse() bool {
	if !c.fu.checked {
		c.initFused()
	}
	return c.fu.raw != nil && c.out.n == 0 && c.bw.Buffered() > 0
}

// sendAndWait writes the request buffered in c.bw and waits until a
// response may be read (or the connection's read deadline passes). Errors
// of the wait are left to the read that follows, which meets them again
// and reports them as net.Conn.Read does.
func (c *http1Conn) sendAndWait(tr *Trace) error {
	c.out.hold = true
	_ = c.bw.Flush() // hands the buffer to c.out.held: it cannot fail
	c.out.hold = false
	c.fu.p, c.out.held = c.out.held, nil
	c.fu.sent, c.fu.tr = false, tr
	_ = c.fu.raw.Read(c.fu.step)
	p, sent := c.fu.p, c.fu.sent
	c.fu.p, c.fu.tr = nil, nil
	if sent {
		return nil
	}
	// Not all written (a full socket buffer, an error, a deadline): the
	// rest goes the usual way, which waits or reports the error.
	if _, err := c.out.Write(p); err != nil {
		return err
	}
	if tr != nil {
		tr.sent()
	}
	return nil
}

// fusedStep is called by RawConn.Read: first it writes the request (then
// it reports false, to wait for the socket to be readable), then, once
// readable, it reports true.
func (c *http1Conn) fusedStep(fd uintptr) bool {
	if c.fu.sent {
		return true
	}
	for len(c.fu.p) > 0 {
		n, err := syscall.Write(int(fd), c.fu.p)
		if n > 0 {
			c.out.n += int64(n)
			c.fu.p = c.fu.p[n:]
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil || n <= 0:
			return true // the caller writes the rest
		}
	}
	c.fu.sent = true
	if c.fu.tr != nil {
		c.fu.tr.sent()
	}
	return false
}
