// Package ws is the WebSocket client a virtual user uses: a connection
// made with Dial reads its messages in the background into a short queue,
// so that a receive can time out without breaking the connection, pings
// are answered and a server's close is seen while the user does something
// else. It knows no JavaScript; package js exposes it as "jsload/ws" and
// records its samples.
package ws

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/jsload/jsload/internal/httpc"
)

// DefaultMaxMessage is the largest message a connection accepts unless
// Options.MaxMessageBytes says otherwise: a larger one fails the
// connection (close code 1009) instead of being buffered.
const DefaultMaxMessage = 1 << 20

// DefaultHandshakeTimeout bounds the connect and the opening handshake
// when Options.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = 10 * time.Second

// queueLen is how many received messages wait for the user before the
// background reader stops reading (and TCP pushes back on the server).
const queueLen = 16

// Options configure Dial.
type Options struct {
	Header       http.Header // sent with the opening handshake
	Subprotocols []string    // offered in Sec-WebSocket-Protocol
	TLS          httpc.TLSOptions
	// HandshakeTimeout bounds the TCP connect, the TLS handshake and the
	// HTTP upgrade together; 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// MaxMessageBytes is the largest message accepted; 0 means
	// DefaultMaxMessage.
	MaxMessageBytes int64
}

// Message is one data message received.
type Message struct {
	Binary bool
	Data   []byte
	At     time.Time // when it was read off the connection
}

// Conn is an open WebSocket connection. Send, Receive, Ping and Close may
// be called from one goroutine at a time (the user's); the background
// reader is the only other one.
type Conn struct {
	c           *websocket.Conn
	msgs        chan Message
	done        chan struct{} // closed when the reader ends; err is set then
	closing     chan struct{} // closed by Close and CloseNow
	closeOnce   sync.Once
	err         error
	local       bool // Close or CloseNow was called
	pong        chan struct{}
	ping        chan struct{} // a ping from the peer was answered
	max         int64
	Subprotocol string
	Opened      time.Time
	// Header is the handshake response's header.
	Header http.Header
}

// HandshakeError is an opening handshake the server answered with a status
// other than 101 Switching Protocols.
type HandshakeError struct {
	Status int
	Text   string // the status text
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("handshake refused: %d %s", e.Status, e.Text)
}

// TimeoutError is a receive or ping that got no answer in time; the
// connection stays usable.
type TimeoutError struct {
	What  string // "message", "pong"
	After time.Duration
}

func (e *TimeoutError) Error() string { return fmt.Sprintf("no %s within %s", e.What, e.After) }

// ClosedError says why a connection can no longer be used.
type ClosedError struct {
	// Code and Reason are those of the peer's close frame; Code is 0 when
	// the connection ended without one (Cause then says how) or was closed
	// by this side (Local).
	Code   int
	Reason string
	Local  bool
	Cause  string
}

func (e *ClosedError) Error() string {
	switch {
	case e.Local:
		return "the connection is closed"
	case e.Code != 0:
		s := fmt.Sprintf("the server closed the connection: %d", e.Code)
		if t := closeText(e.Code); t != "" {
			s += " " + t
		}
		if e.Reason != "" {
			s += " (" + e.Reason + ")"
		}
		return s
	default:
		return e.Cause
	}
}

// Normal reports whether the peer closed with 1000 (normal closure) or
// 1001 (going away): an orderly end, not a failure.
func (e *ClosedError) Normal() bool { return e.Code == 1000 || e.Code == 1001 }

// closeText names the close codes of RFC 6455 section 7.4.1.
func closeText(code int) string {
	switch code {
	case 1000:
		return "normal closure"
	case 1001:
		return "going away"
	case 1002:
		return "protocol error"
	case 1003:
		return "unsupported data"
	case 1007:
		return "invalid payload data"
	case 1008:
		return "policy violation"
	case 1009:
		return "message too big"
	case 1010:
		return "mandatory extension"
	case 1011:
		return "internal error"
	case 1012:
		return "service restart"
	case 1013:
		return "try again later"
	}
	return ""
}

// readBufferSize is the read buffer a connection keeps: small, since an
// idle connection holds it; a larger message is read in several reads.
// Write buffers come from writePool only while a message is written.
const readBufferSize = 1024

var writePool sync.Pool

// tlsConfigs holds one tls.Config per TLSOptions: Dial is called per
// connection and the TLS files are read once per process.
var tlsConfigs struct {
	sync.Mutex
	m map[httpc.TLSOptions]*tls.Config
}

func tlsConfig(o httpc.TLSOptions) (*tls.Config, error) {
	tlsConfigs.Lock()
	defer tlsConfigs.Unlock()
	if c := tlsConfigs.m[o]; c != nil {
		return c, nil
	}
	cfg, err := o.Config()
	if err != nil {
		return nil, err
	}
	cfg.NextProtos = []string{"http/1.1"} // the upgrade is HTTP/1.1
	if tlsConfigs.m == nil {
		tlsConfigs.m = map[httpc.TLSOptions]*tls.Config{}
	}
	tlsConfigs.m[o] = cfg
	return cfg, nil
}

// Check reports whether the TLS options of o can be used (the files read
// and parsed), as Dial would find them.
func (o Options) Check() error {
	_, err := tlsConfig(o.TLS)
	return err
}

// Dial opens a connection to rawURL (ws://, wss://, http:// or https://)
// and starts reading it. Its errors: a *HandshakeError for a refused
// upgrade, ctx's error when ctx ends, else a short stable text (a refused
// connect, an untrusted certificate, a handshake timeout).
func Dial(ctx context.Context, rawURL string, o Options) (*Conn, error) {
	cfg, err := tlsConfig(o.TLS)
	if err != nil {
		return nil, err
	}
	to := o.HandshakeTimeout
	if to <= 0 {
		to = DefaultHandshakeTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	d := websocket.Dialer{
		NetDialContext:  (&net.Dialer{}).DialContext,
		TLSClientConfig: cfg,
		Subprotocols:    o.Subprotocols,
		ReadBufferSize:  readBufferSize,
		WriteBufferPool: &writePool,
	}
	c, resp, err := d.DialContext(dctx, httpToWS(rawURL), o.Header)
	if err != nil {
		switch {
		case resp != nil && resp.StatusCode != http.StatusSwitchingProtocols:
			return nil, &HandshakeError{Status: resp.StatusCode, Text: http.StatusText(resp.StatusCode)}
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case dctx.Err() != nil, isTimeout(err):
			// gorilla/websocket sets the context's deadline on the
			// connection, whose timeout may fire before the context's.
			return nil, fmt.Errorf("handshake timeout after %s (%s)", to, hostOf(rawURL))
		case resp != nil:
			// 101, but the answer is not a valid upgrade.
			return nil, fmt.Errorf("invalid handshake response: %s", strings.TrimPrefix(err.Error(), "websocket: "))
		}
		return nil, errors.New(httpc.ErrorText(err, httpURL(rawURL), to))
	}
	max := o.MaxMessageBytes
	if max <= 0 {
		max = DefaultMaxMessage
	}
	c.SetReadLimit(max)
	conn := &Conn{
		c: c, max: max, msgs: make(chan Message, queueLen), done: make(chan struct{}), closing: make(chan struct{}),
		pong: make(chan struct{}, 1), ping: make(chan struct{}, 1), Subprotocol: c.Subprotocol(), Opened: time.Now(),
	}
	if resp != nil {
		conn.Header = resp.Header
	}
	c.SetPongHandler(func(string) error {
		select {
		case conn.pong <- struct{}{}:
		default:
		}
		return nil
	})
	c.SetPingHandler(func(data string) error {
		// Answered as gorilla/websocket's default handler does, then told.
		err := c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) && !isTimeout(err) {
			return err
		}
		select {
		case conn.ping <- struct{}{}:
		default:
		}
		return nil
	})
	go conn.read()
	return conn, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// httpToWS turns http(s):// into ws(s)://, as gorilla/websocket wants.
func httpToWS(raw string) string {
	if rest, ok := strings.CutPrefix(raw, "http"); ok {
		return "ws" + rest
	}
	return raw
}

// httpURL turns ws(s):// into http(s):// for the texts of httpc.ErrorText.
func httpURL(raw string) string {
	if rest, ok := strings.CutPrefix(raw, "ws"); ok {
		return "http" + rest
	}
	return raw
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// read is the background reader: it queues messages until the connection
// ends or is closed here.
func (c *Conn) read() {
	defer close(c.done)
	for {
		typ, b, err := c.c.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		select {
		case c.msgs <- Message{Binary: typ == websocket.BinaryMessage, Data: b, At: time.Now()}:
		case <-c.closing:
			c.err = net.ErrClosed
			return
		}
	}
}

// Done is closed when the connection has ended (after Err is set): the
// peer closed it, it failed, or it was closed here. Messages received
// before may still be queued.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection ended, once Done is closed: a *ClosedError.
func (c *Conn) Err() *ClosedError {
	select {
	case <-c.done:
	default:
		if c.isClosing() {
			return &ClosedError{Local: true}
		}
		return nil
	}
	err := c.err
	if c.local || errors.Is(err, net.ErrClosed) {
		return &ClosedError{Local: true}
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure && ce.Code != websocket.CloseNoStatusReceived {
		return &ClosedError{Code: ce.Code, Reason: ce.Text}
	}
	var cause string
	switch {
	case errors.As(err, &ce) && ce.Code == websocket.CloseNoStatusReceived:
		cause = "the server closed the connection with no close code (1005)"
	case errors.As(err, &ce), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		cause = "the server closed the connection without a close frame (EOF)"
	case errors.Is(err, syscall.ECONNRESET):
		cause = "connection reset by peer"
	case errors.Is(err, websocket.ErrReadLimit):
		cause = fmt.Sprintf("a message is larger than the limit of %d bytes (maxMessageSize)", c.max)
	default:
		cause = "protocol error: " + strings.TrimPrefix(err.Error(), "websocket: ")
	}
	return &ClosedError{Cause: cause}
}

func (c *Conn) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// Poll returns a queued message without waiting.
func (c *Conn) Poll() (Message, bool) {
	select {
	case m := <-c.msgs:
		return m, true
	default:
		return Message{}, false
	}
}

// Receive waits up to timeout (0: no limit) for the next message. Its
// errors: a *TimeoutError (the connection stays usable), a *ClosedError
// once the connection has ended and every message before was received,
// and ctx's error when ctx ends.
func (c *Conn) Receive(ctx context.Context, timeout time.Duration) (Message, error) {
	if m, ok := c.Poll(); ok {
		return m, nil
	}
	if c.isClosing() {
		return Message{}, &ClosedError{Local: true}
	}
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	select {
	case m := <-c.msgs:
		return m, nil
	case <-c.done:
		if m, ok := c.Poll(); ok {
			return m, nil
		}
		return Message{}, c.Err()
	case <-tc:
		return Message{}, &TimeoutError{What: "message", After: timeout}
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// Send writes one text or binary message. A failure is ctx's error when
// ctx ended (the connection is then closed), else a *ClosedError.
func (c *Conn) Send(ctx context.Context, binary bool, data []byte) error {
	if e := c.Err(); e != nil {
		return e
	}
	typ := websocket.TextMessage
	if binary {
		typ = websocket.BinaryMessage
	}
	stop := context.AfterFunc(ctx, func() { _ = c.c.UnderlyingConn().SetWriteDeadline(time.Unix(1, 0)) })
	err := c.c.WriteMessage(typ, data)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			c.CloseNow()
			return ctx.Err()
		}
		_ = c.c.Close() // a failed write leaves the connection unusable
		<-c.done
		if e := c.Err(); e != nil && !e.Local {
			return e
		}
		return &ClosedError{Cause: "write failed: " + strings.TrimPrefix(err.Error(), "websocket: ")}
	}
	return nil
}

// Ping sends a ping and waits up to timeout for its pong, returning the
// round-trip time.
func (c *Conn) Ping(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	if e := c.Err(); e != nil {
		return 0, e
	}
	select { // a pong of an earlier ping that timed out
	case <-c.pong:
	default:
	}
	t0 := time.Now()
	if err := c.c.WriteControl(websocket.PingMessage, nil, t0.Add(timeout)); err != nil {
		<-c.done
		return time.Since(t0), c.Err()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.pong:
		return time.Since(t0), nil
	case <-c.done:
		return time.Since(t0), c.Err()
	case <-t.C:
		return time.Since(t0), &TimeoutError{What: "pong", After: timeout}
	case <-ctx.Done():
		return time.Since(t0), ctx.Err()
	}
}

// closeWait bounds how long Close waits for the peer's close frame.
const closeWait = 5 * time.Second

// Close sends a close frame with code and reason, waits (at most 5 s) for
// the peer's, closes the connection, and returns how long it was open.
// Closing a closed connection does nothing.
func (c *Conn) Close(code int, reason string) time.Duration {
	c.closeOnce.Do(func() {
		c.local = c.Err() == nil
		close(c.closing)
		if c.local {
			if c.c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(closeWait)) == nil {
				t := time.NewTimer(closeWait)
				select {
				case <-c.done:
				case <-t.C:
				}
				t.Stop()
			}
		}
		_ = c.c.Close()
	})
	return time.Since(c.Opened)
}

// CloseNow closes the connection without a close handshake (the user is
// stopping).
func (c *Conn) CloseNow() {
	c.closeOnce.Do(func() {
		c.local = c.Err() == nil
		close(c.closing)
		_ = c.c.Close()
	})
}

// ValidCloseCode reports whether a script may close with code: 1000
// (normal), 1001 (going away), or one of the codes RFC 6455 section 7.4.2
// leaves to libraries and applications (3000-4999).
func ValidCloseCode(code int) bool {
	return code == 1000 || code == 1001 || code >= 3000 && code <= 4999
}

// Messages is the queue of received messages, for a select that waits on
// several things; Poll and Receive read the same queue.
func (c *Conn) Messages() <-chan Message { return c.msgs }

// Pongs signals the pongs received (at most one waits): for a user that
// sent pings with SendPing and does other things meanwhile.
func (c *Conn) Pongs() <-chan struct{} { return c.pong }

// Pings signals the peer's pings, which are answered as they arrive (at
// most one signal waits).
func (c *Conn) Pings() <-chan struct{} { return c.ping }

// SendPing sends a ping without waiting for its pong (see Pongs).
func (c *Conn) SendPing(timeout time.Duration) error {
	if e := c.Err(); e != nil {
		return e
	}
	if err := c.c.WriteControl(websocket.PingMessage, nil, time.Now().Add(timeout)); err != nil {
		<-c.done
		return c.Err()
	}
	return nil
}
