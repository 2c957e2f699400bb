package httpc

import (
	"io"
	"net"
	"os"
	"syscall"
)

// Sending a request and reading its response in one step (Linux, plain
// TCP): Go's net.Conn.Read tries the read system call before it waits for
// the socket to become readable, so a read right after a write usually
// fails with EAGAIN first (the server has not answered yet) and costs a
// system call for nothing. Here the request is written from inside
// syscall.RawConn.Read, whose readiness state is reset before the write,
// so that the wait that follows cannot miss the response (awaitResponse,
// before the connection gets its read buffer), and the response is then
// read the same way, into the buffer of the read that asked.

// fused is the state of a connection's raw reads.
type fused struct {
	checked bool            // raw and step are set (or cannot be)
	raw     syscall.RawConn // the connection's, or nil: not a plain TCP connection
	step    func(fd uintptr) bool
	await   func(fd uintptr) bool
	p       []byte // the request, or what remains of it, to write before reading
	tr      *Trace
	rp      []byte        // the buffer of the read in progress
	rn      int           // what the read returned
	rerr    syscall.Errno // and its error
	rdone   bool          // the read was made

	// The receive time of the last read (see lastRx), and the recvmsg
	// arguments that fetch it, kept here so that a read allocates
	// nothing.
	rx   int64 // Unix ns, the kernel's clock; 0: unknown
	msg  syscall.Msghdr
	iov  syscall.Iovec
	ctrl [syscall.SizeofCmsghdr + 16]byte // one SCM_TIMESTAMPNS
}

// lastRx is the kernel's receive time of the bytes c's last read
// returned (Unix ns); 0 when not known: c is nil, not a plain TCP
// connection, the read did not go through the raw path, a race build
// (rawio_race_linux.go), or a kernel that gave none.
func (c *http1Conn) lastRx() int64 {
	if c == nil {
		return 0
	}
	return c.fu.rx
}

// testBeforeRecv, set by tests only, runs before each fused read: a
// test makes the client late to read a response that has arrived.
var testBeforeRecv func()

// initFused prepares c for raw reads when its connection is plain TCP.
func (c *http1Conn) initFused() {
	c.fu.checked = true
	var sc syscall.Conn
	switch nc := c.nc.(type) {
	case *net.TCPConn:
		sc = nc
	case *directConn:
		sc = nc
	default:
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	c.fu.raw = raw
	c.fu.step, c.fu.await = c.fusedStep, c.awaitStep
}

// reader returns what c's budgetReader reads from: c itself (raw reads)
// for a plain TCP connection, else c.nc.
func (c *http1Conn) reader() io.Reader {
	if !c.fu.checked {
		c.initFused()
	}
	if c.fu.raw != nil {
		return c
	}
	return c.nc
}

// canFuse reports whether the request written into c.bw can be sent by
// the read of the response: all of it is still in the buffer.
func (c *http1Conn) canFuse() bool {
	return c.fu.raw != nil && c.out.n == 0 && c.bw.Buffered() > 0 && (c.br == nil || c.br.Buffered() == 0)
}

// fuse hands the request buffered in c.bw to the next Read, which writes
// it before it waits for the response, then returns the write buffer
// (releaseWriter: the request is in it until written); tr (if any)
// learns when it was sent.
func (c *http1Conn) fuse(tr *Trace) {
	c.out.hold = true
	_ = c.bw.Flush() // hands the buffer to c.out.held: it cannot fail
	c.out.hold = false
	c.fu.p, c.out.held, c.fu.tr = c.out.held, nil, tr
}

// Read reads from c.nc as c.nc.Read does, after writing the request that
// fuse handed over, if any.
func (c *http1Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.fu.rp, c.fu.rn, c.fu.rerr, c.fu.rdone, c.fu.rx = p, 0, 0, false, 0
	err := c.fu.raw.Read(c.fu.step)
	c.fu.rp = nil
	if len(c.fu.p) > 0 {
		// Not all written (a full socket buffer, an error, a deadline):
		// the rest goes the usual way, which waits or reports the error.
		rest, tr := c.fu.p, c.fu.tr
		c.fu.p, c.fu.tr = nil, nil
		_, err := c.out.Write(rest)
		c.releaseWriter()
		if err != nil {
			return 0, err
		}
		if tr != nil {
			tr.sent()
		}
		return c.nc.Read(p)
	}
	if err != nil || !c.fu.rdone {
		// A deadline passed or the connection was closed: net.Conn.Read
		// meets it again and reports it its way.
		return c.nc.Read(p)
	}
	n, errno := c.fu.rn, c.fu.rerr
	switch {
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: os.NewSyscallError("read", errno)}
	case n <= 0:
		return 0, io.EOF
	}
	return n, nil
}

// testAwaiting, set by tests only, runs in awaitStep just before the
// wait for the response.
var testAwaiting func(c *http1Conn)

// awaitResponse writes the request that fuse handed over and waits until
// the socket is readable, with no read buffer lent yet, so that a burst of
// users waiting for their responses holds none (4 KB each). What it
// cannot do (the rest of a request not written at once, a deadline, a
// closed connection) the Read that follows meets again, and does or
// reports as before.
func (c *http1Conn) awaitResponse() {
	if c.fu.raw != nil && len(c.fu.p) > 0 {
		_ = c.fu.raw.Read(c.fu.await)
	}
}

// awaitStep is awaitResponse's RawConn.Read function: it writes the
// request and reports false, to wait; called again, the socket is
// readable (or the request was not all written): the read follows.
func (c *http1Conn) awaitStep(fd uintptr) bool {
	if len(c.fu.p) == 0 || !c.writeFused(fd) {
		return true
	}
	if testAwaiting != nil {
		testAwaiting(c)
	}
	return false
}

// writeFused writes what remains of the request fuse handed over and
// reports whether all of it went; then it returns the write buffer and
// tells the trace.
func (c *http1Conn) writeFused(fd uintptr) bool {
	for len(c.fu.p) > 0 {
		n, err := rawIO(syscall.SYS_WRITE, fd, c.fu.p)
		if err == syscall.EINTR {
			continue
		}
		if err != 0 || n <= 0 {
			return false // Read writes the rest
		}
		c.out.n += int64(n)
		c.fu.p = c.fu.p[n:]
	}
	c.fu.p = nil
	c.releaseWriter()
	if c.fu.tr != nil {
		c.fu.tr.sent()
		c.fu.tr = nil
	}
	return true
}

// fusedStep is called by RawConn.Read: it writes what remains of the
// request, if any (and then reports false, to wait for the socket to be
// readable), then reads.
func (c *http1Conn) fusedStep(fd uintptr) bool {
	if len(c.fu.p) > 0 {
		if !c.writeFused(fd) {
			return true // Read writes the rest
		}
		return false // the response cannot be there yet: wait for it
	}
	if testBeforeRecv != nil {
		testBeforeRecv()
	}
	for {
		n, err := rawRecv(fd, &c.fu)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			c.fu.rn = n
		default:
			c.fu.rerr = err
		}
		c.fu.rdone = true
		return true
	}
}
