// Package tcp is the raw TCP (and TLS) client a virtual user uses for line
// and binary protocols: connect, write, and bounded reads (exactly n bytes,
// up to a delimiter, or whatever arrives), each with a timeout and
// interruptible by a context. It knows no JavaScript; package js exposes it
// as "jsload/tcp" and records its samples.
package tcp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/jsload/jsload/internal/httpc"
)

// DefaultMaxRead is the most a read may hold (and the most a connection
// buffers) unless Options.MaxRead says otherwise.
const DefaultMaxRead = 1 << 20

// DefaultConnectTimeout bounds the connect and the TLS handshake when
// Options.ConnectTimeout is zero.
const DefaultConnectTimeout = 10 * time.Second

// chunk is how much one read from the socket asks for.
const chunk = 16 << 10

// Options configure Dial.
type Options struct {
	// TLS, when not nil, makes the connection a TLS one with these options.
	TLS            *httpc.TLSOptions
	ConnectTimeout time.Duration
	// MaxRead bounds every read and the bytes buffered ahead of the
	// reader; 0 means DefaultMaxRead.
	MaxRead int
}

// Conn is an open connection; one goroutine uses it at a time.
type Conn struct {
	nc     net.Conn
	max    int
	buf    []byte // received, not yet read; nil when empty
	Opened time.Time
	closed bool
	eof    error // the read error that ended the stream, once seen
}

// TimeoutError is a read that did not complete in time; the connection
// stays usable and the bytes received so far stay buffered.
type TimeoutError struct {
	After    time.Duration
	Buffered int
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("read timeout after %s (%d bytes received)", e.After, e.Buffered)
}

// LimitError is a read that would hold more than the connection's MaxRead.
type LimitError struct {
	Max  int
	What string // "no \"\\r\\n\" in the first 1048576 bytes"
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s (the read limit is %d bytes)", e.What, e.Max)
}

// ErrClosed is an operation on a connection closed here.
var ErrClosed = errors.New("the connection is closed")

// Dial connects to addr (host:port), with TLS when o.TLS is set.
func Dial(ctx context.Context, addr string, o Options) (*Conn, error) {
	var cfg *tls.Config
	if o.TLS != nil {
		var err error
		if cfg, err = o.TLS.Config(); err != nil {
			return nil, err
		}
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("invalid address %q: %v", addr, err)
			}
			cfg.ServerName = host
		}
	}
	to := o.ConnectTimeout
	if to <= 0 {
		to = DefaultConnectTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	nc, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	if err == nil && cfg != nil {
		tc := tls.Client(nc, cfg)
		if err = tc.HandshakeContext(dctx); err != nil {
			nc.Close()
		}
		nc = tc
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case dctx.Err() != nil, isTimeout(err):
			// The dialer's deadline is the context's and may fire first.
			return nil, fmt.Errorf("connect timeout after %s (%s)", to, addr)
		}
		return nil, errors.New(httpc.ErrorText(err, "tcp://"+addr, to))
	}
	max := o.MaxRead
	if max <= 0 {
		max = DefaultMaxRead
	}
	return &Conn{nc: nc, max: max, Opened: time.Now()}, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Max is the connection's read limit.
func (c *Conn) Max() int { return c.max }

// Write writes b, within timeout (0: no limit) and until ctx ends.
func (c *Conn) Write(ctx context.Context, b []byte, timeout time.Duration) error {
	if c.closed {
		return ErrClosed
	}
	stop := c.bound(ctx, timeout, c.nc.SetWriteDeadline)
	_, err := c.nc.Write(b)
	stop()
	if err != nil {
		return c.ioErr(ctx, err, timeout)
	}
	return nil
}

// bound sets the deadline of timeout with set, and moves it to now when
// ctx ends; the returned function clears it.
func (c *Conn) bound(ctx context.Context, timeout time.Duration, set func(time.Time) error) func() {
	var dl time.Time
	if timeout > 0 {
		dl = time.Now().Add(timeout)
	}
	_ = set(dl)
	after := context.AfterFunc(ctx, func() { _ = set(time.Unix(1, 0)) })
	return func() {
		after()
		_ = set(time.Time{})
	}
}

func (c *Conn) ioErr(ctx context.Context, err error, timeout time.Duration) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &TimeoutError{After: timeout, Buffered: len(c.buf)}
	}
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the server closed the connection (EOF)")
	case errors.Is(err, syscall.ECONNRESET):
		return errors.New("connection reset by peer")
	case errors.Is(err, syscall.EPIPE):
		return errors.New("broken pipe")
	}
	if s := httpc.ErrorText(err, "", 0); s != "" {
		return errors.New(s)
	}
	return err
}

// fill reads once more from the socket into the buffer, up to max bytes
// buffered in all.
func (c *Conn) fill() error {
	if c.eof != nil {
		return c.eof
	}
	room := c.max - len(c.buf)
	if room <= 0 {
		return nil // the caller checks the limit
	}
	room = min(room, chunk)
	if cap(c.buf)-len(c.buf) < room {
		nb := make([]byte, len(c.buf), len(c.buf)+room)
		copy(nb, c.buf)
		c.buf = nb
	}
	n, err := c.nc.Read(c.buf[len(c.buf) : len(c.buf)+room])
	c.buf = c.buf[:len(c.buf)+n]
	if err != nil && n == 0 {
		var ne net.Error
		if !(errors.As(err, &ne) && ne.Timeout()) {
			c.eof = err
		}
		return err
	}
	return nil
}

// take returns the first n buffered bytes and drops them from the buffer.
func (c *Conn) take(n int) []byte {
	out := make([]byte, n)
	copy(out, c.buf)
	if n == len(c.buf) {
		c.buf = nil // an idle connection holds no buffer
	} else {
		c.buf = c.buf[:copy(c.buf, c.buf[n:])]
	}
	return out
}

// read runs done over the buffer after each fill until it says how many
// bytes make the result, within timeout and until ctx ends.
func (c *Conn) read(ctx context.Context, timeout time.Duration, done func() (int, error)) ([]byte, error) {
	if c.closed {
		return nil, ErrClosed
	}
	if n, err := done(); n > 0 || err != nil {
		if err != nil {
			return nil, err
		}
		return c.take(n), nil
	}
	stop := c.bound(ctx, timeout, c.nc.SetReadDeadline)
	defer stop()
	for {
		if err := c.fill(); err != nil {
			return nil, c.ioErr(ctx, err, timeout)
		}
		n, err := done()
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return c.take(n), nil
		}
	}
}

// ReadN reads exactly n bytes (1 to the read limit).
func (c *Conn) ReadN(ctx context.Context, n int, timeout time.Duration) ([]byte, error) {
	if n <= 0 || n > c.max {
		return nil, &LimitError{Max: c.max, What: fmt.Sprintf("cannot read %d bytes", n)}
	}
	return c.read(ctx, timeout, func() (int, error) {
		if len(c.buf) >= n {
			return n, nil
		}
		return 0, nil
	})
}

// ReadUntil reads up to and including delim; it fails with a *LimitError
// when the read limit is buffered without it.
func (c *Conn) ReadUntil(ctx context.Context, delim []byte, timeout time.Duration) ([]byte, error) {
	if len(delim) == 0 {
		return nil, errors.New("the delimiter is empty")
	}
	return c.read(ctx, timeout, func() (int, error) {
		if i := bytes.Index(c.buf, delim); i >= 0 {
			return i + len(delim), nil
		}
		if len(c.buf) >= c.max {
			return 0, &LimitError{Max: c.max, What: fmt.Sprintf("no %q in the first %d bytes", delim, len(c.buf))}
		}
		return 0, nil
	})
}

// ReadSome returns what is buffered, or else waits for the next bytes to
// arrive and returns them (at most the read limit).
func (c *Conn) ReadSome(ctx context.Context, timeout time.Duration) ([]byte, error) {
	return c.read(ctx, timeout, func() (int, error) { return len(c.buf), nil })
}

// Close closes the connection; closing twice does nothing. It returns how
// long the connection was open.
func (c *Conn) Close() time.Duration {
	if !c.closed {
		c.closed = true
		c.buf = nil
		_ = c.nc.Close()
	}
	return time.Since(c.Opened)
}

// Closed reports whether Close was called.
func (c *Conn) Closed() bool { return c.closed }
