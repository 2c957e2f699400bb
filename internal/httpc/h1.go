package httpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The HTTP/1.1 client speaks HTTP/1.1 over the Client's own connections,
// in the calling goroutine: a request is one buffered write and a read of
// the response, with no goroutine hand-offs. It is what Do uses unless
// proxy environment variables are set (then net/http's transport, which
// knows proxies, is used).

// http1Conn is one keep-alive connection.
type http1Conn struct {
	nc  net.Conn
	br  *bufio.Reader // reads from in
	bw  *bufio.Writer // writes to out
	in  budgetReader
	out countWriter
	key string
	fu  fused // see fuse
	// dl is the deadline set on nc (see setDeadline); zero when not known.
	dl time.Time
	hc headerCache // the last header section read on nc
}

// setDeadline makes nc's deadline d, or up to slack later: a deadline
// already set within [d, d+slack] is kept, else nc's deadline becomes
// d+slack. A connection carrying request after request thus moves its
// deadline (two runtime timer changes) once per slack instead of once per
// request, and a request times out between its timeout and its timeout
// plus slack.
func (c *http1Conn) setDeadline(d time.Time, slack time.Duration) {
	if !c.dl.IsZero() && !c.dl.Before(d) && c.dl.Sub(d) <= slack {
		return
	}
	c.dl = d.Add(slack)
	_ = c.nc.SetDeadline(c.dl)
}

// deadlineSlack is the slack of setDeadline for a request timeout: a
// 64th of it, at most 100 ms.
func deadlineSlack(timeout time.Duration) time.Duration {
	return min(timeout/64, 100*time.Millisecond)
}

// budgetReader reads from r at most n more bytes; then it fails with
// errBudget. It lies under a connection's bufio.Reader so that the bytes
// taken for a response's headers are bounded even while they are buffered.
type budgetReader struct {
	r     io.Reader
	n     int64 // what remains
	limit int64 // what setBudget gave
}

// setBudget lets b read n more bytes.
func (b *budgetReader) setBudget(n int64) { b.n, b.limit = n, n }

// errBudget is what a budgetReader returns when its budget is spent.
var errBudget = errors.New("read budget spent")

// unlimited is the budget of a budgetReader that is not limited.
const unlimited = math.MaxInt64

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errBudget
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// countWriter writes to w and counts the bytes w accepted. While hold
// is set, it writes nothing but keeps p in held (sendAndWait writes it).
type countWriter struct {
	w    io.Writer
	n    int64
	hold bool
	held []byte
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.hold {
		c.held = p
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// http1Client is the state of a Client's HTTP/1.1 client: its idle
// connections, a short list (a VU talks to a host or two), most recently
// used last, which costs much less than a map in each of thousands of
// clients.
type http1Client struct {
	mu   sync.Mutex
	idle []*http1Conn
	// maxHeader is the limit on a response's status line and headers
	// (Options.MaxHeaderBytes, with its default applied).
	maxHeader int64
}

// ctxWatch makes a canceled context interrupt the exchange in flight by
// setting its connection's deadline in the past. A VU sends its requests
// one after the other under the same context, so one context.AfterFunc
// serves all of them: registered again only when the context changes,
// instead of once per exchange. Exchanges that overlap (a batch) use a
// context.AfterFunc of their own.
//
// A caller that watches the context itself (Client.Watched) calls
// interrupt when it ends instead: then exchanges under that context
// register nothing on it, and its end starts no goroutine here.
type ctxWatch struct {
	mu   sync.Mutex
	ctx  context.Context // the context watched, or nil
	stop func() bool     // the context.AfterFunc of ctx; nil when ctx is ext
	cn   *http1Conn      // the connection of the exchange armed, or nil
	fire func()          // interrupt, made once
	hit  bool            // interrupt moved cn's deadline
	ext  context.Context // the context the caller watches (Client.Watched), or nil
}

// arm makes a cancel of ctx interrupt cn's I/O until disarm(cn). It
// reports false when another exchange holds the watch: then the caller
// watches ctx itself.
func (w *ctxWatch) arm(ctx context.Context, cn *http1Conn) bool {
	if ctx.Done() == nil {
		return true // never canceled: nothing to watch
	}
	w.mu.Lock()
	if w.cn != nil {
		w.mu.Unlock()
		return false
	}
	if w.ctx != ctx {
		if w.stop != nil {
			w.stop()
		}
		w.ctx, w.stop = ctx, nil
		if ctx != w.ext {
			if w.fire == nil {
				w.fire = w.interrupt
			}
			w.stop = context.AfterFunc(ctx, w.fire)
		}
	}
	w.cn = cn
	w.mu.Unlock()
	if ctx.Err() != nil {
		// Canceled before cn was armed: interrupt may have found none.
		_ = cn.nc.SetDeadline(aLongTimeAgo)
		cn.dl = time.Time{}
	}
	return true
}

// disarm ends what arm(ctx, cn) began; once it returns, a cancel no
// longer touches cn.
func (w *ctxWatch) disarm(cn *http1Conn) {
	w.mu.Lock()
	if w.cn == cn {
		w.cn = nil
		if w.hit {
			cn.dl, w.hit = time.Time{}, false // no longer the deadline set
		}
	}
	w.mu.Unlock()
}

// interrupt runs when the watched context is done.
func (w *ctxWatch) interrupt() {
	w.mu.Lock()
	// A context no longer watched may fire late: only the current one counts.
	if w.cn != nil && w.ctx != nil && w.ctx.Err() != nil {
		_ = w.cn.nc.SetDeadline(aLongTimeAgo)
		w.hit = true
	}
	w.mu.Unlock()
}

// close stops watching.
func (w *ctxWatch) close() {
	w.mu.Lock()
	if w.stop != nil {
		w.stop()
	}
	w.ctx, w.stop, w.ext = nil, nil, nil
	w.mu.Unlock()
}

// watched makes ctx the context the caller watches: the next exchange
// under it registers nothing on it.
func (w *ctxWatch) watched(ctx context.Context) {
	w.mu.Lock()
	w.ext = ctx
	w.mu.Unlock()
}

// aLongTimeAgo is a deadline in the past: setting it makes blocked I/O
// return at once (how a canceled context interrupts a request).
var aLongTimeAgo = time.Unix(1, 0)

// errBadResponse marks a response the HTTP/1.1 client could not parse.
type errBadResponse struct{ what string }

func (e *errBadResponse) Error() string { return "malformed HTTP response: " + e.what }

// badResponse returns an errBadResponse for what, followed by the
// offending text quoted and cut to a few dozen bytes, so that the message
// stays short whatever a server sends.
func badResponse(what, text string) error {
	const max = 40
	if len(text) > max {
		return &errBadResponse{what + " " + strconv.Quote(text[:max]) + "..."}
	}
	return &errBadResponse{what + " " + strconv.Quote(text)}
}

// get takes an idle connection to u's scheme, host and port (its
// connKey), or returns nil.
func (w *http1Client) get(u *url.URL) *http1Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.idle) - 1; i >= 0; i-- {
		if c := w.idle[i]; keyIs(c.key, u) {
			w.idle = append(w.idle[:i], w.idle[i+1:]...)
			return c
		}
	}
	return nil
}

// Buffers are lent to a connection only while it carries a request, so
// that thousands of idle VUs do not each hold 6 KB of them.
var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 2048) }}
)

// attach lends c its write buffer; its read buffer comes with
// lendReader, once the request is sent.
func (c *http1Conn) attach() {
	c.in.r, c.out.w = c.reader(), c.nc
	if c.bw == nil {
		c.bw = writers.Get().(*bufio.Writer)
		c.bw.Reset(&c.out)
	}
}

// lendReader lends c its read buffer, unless it has it.
func (c *http1Conn) lendReader() {
	if c.br == nil {
		c.br = readers.Get().(*bufio.Reader)
		c.br.Reset(&c.in)
	}
}

// releaseWriter returns c's write buffer once the request is flushed:
// the wait for the response, the long part of an exchange, needs only
// the read buffer.
func (c *http1Conn) releaseWriter() {
	if c.bw != nil {
		c.bw.Reset(nil)
		writers.Put(c.bw)
		c.bw = nil
	}
}

// detach returns c's buffers; it reports false if unread data remains
// (then c cannot be reused).
func (c *http1Conn) detach() bool {
	ok := true
	if c.br != nil {
		ok = c.br.Buffered() == 0
		c.br.Reset(nil)
		readers.Put(c.br)
		c.br = nil
	}
	c.releaseWriter()
	return ok
}

func (w *http1Client) put(c *http1Conn) {
	if !c.detach() {
		c.nc.Close()
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, x := range w.idle {
		if x.key == c.key {
			n++
		}
	}
	if n >= maxIdleConnsPerHost {
		c.nc.Close()
		return
	}
	w.idle = append(w.idle, c)
}

func (w *http1Client) closeIdle() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.idle {
		c.nc.Close()
	}
	clear(w.idle)
	w.idle = w.idle[:0]
}

// hostPort returns u's host with its port made explicit.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// keyIs reports whether key is connKey(u), without building the string
// for the usual hosts (a name or address, with or without a port).
func keyIs(key string, u *url.URL) bool {
	rest, ok := strings.CutPrefix(key, u.Scheme)
	if !ok || !strings.HasPrefix(rest, "://") {
		return false
	}
	rest = rest[3:]
	switch {
	case u.Port() != "":
		return rest == u.Host
	case strings.ContainsAny(u.Host, ":[]"):
		return rest == hostPort(u) // IPv6 literals, an empty port: rare
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return len(rest) == len(u.Host)+1+len(port) && strings.HasPrefix(rest, u.Host) &&
		rest[len(u.Host)] == ':' && strings.HasSuffix(rest, port)
}

// dial opens a connection for key, giving up at deadline or when ctx
// ends: an IP address directly (dialDirect), a name through c.dialer.
func (c *Client) dial(ctx context.Context, deadline time.Time, u *url.URL, key string, tr *Trace) (*http1Conn, error) {
	if tr != nil {
		tr.dialing()
	}
	var nc net.Conn
	var err error
	if ap, ok := directAddr(u); canDialDirect && ok {
		dl := deadline
		if t := time.Now().Add(c.dialer.Timeout); c.dialer.Timeout > 0 && (dl.IsZero() || t.Before(dl)) {
			dl = t
		}
		nc, err = dialDirect(ctx, ap, dl)
	} else {
		dctx, cancel := context.WithDeadline(ctx, deadline)
		nc, err = c.dialer.DialContext(dctx, "tcp", hostPort(u))
		cancel()
	}
	if tr != nil {
		tr.dialed()
	}
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		hctx, cancel := context.WithDeadline(ctx, deadline)
		tc, err := c.handshake(hctx, nc, u, c.tlsc.h1) // see tls.go
		cancel()
		if tr != nil {
			tr.shook()
		}
		if err != nil {
			return nil, err
		}
		nc = tc
	}
	return &http1Conn{nc: nc, key: key}, nil
}

// rawResp is one parsed response.
type rawResp struct {
	status     int
	statusText string
	proto      string
	header     http.Header
	body       []byte
	// size is the body's length: decoded when it was gzip-decoded, and
	// counted even when the body was discarded.
	size      int64
	close     bool // the connection cannot be reused
	headersAt time.Time
	// The kernel's receive times (Unix ns; 0: unknown) of the reads
	// that completed the headers and the response (see arrival).
	rxHead, rxEnd int64
}

// arrival is when bytes the kernel received at rx (Unix ns, its clock)
// arrived, as a time on the clocks of now, taken after they were read;
// zero when rx is 0, in the future, or more than max before now (the wall
// clock moved meanwhile). Response times end there rather than when the
// client got to read the bytes: a load generator short of CPU lets
// responses wait in its sockets, and that wait is its own, not the
// server's.
func arrival(rx int64, now time.Time, max time.Duration) time.Time {
	if rx == 0 {
		return time.Time{}
	}
	lag := time.Duration(now.UnixNano() - rx)
	if lag < 0 || lag > max {
		return time.Time{}
	}
	return now.Add(-lag)
}

// bodyOpts say how readResponse treats a response's body.
type bodyOpts struct {
	// gz: the client asked for gzip itself, so a gzip body is decoded.
	gz bool
	// discard: the body is read to its end and counted, but not kept.
	discard bool
	// limit bounds a kept body (after decoding); negative means none.
	limit int64
}

// doHTTP1 performs r over the HTTP/1.1 client, following redirects, and
// fills resp. The whole exchange, redirects included, is bounded by
// deadline.
func (c *Client) doHTTP1(ctx context.Context, r *Request, resp *Response, timeout time.Duration, limit int) {
	start := time.Now()
	deadline := start.Add(timeout)
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	u, err := c.urls.parse(r.URL)
	if err != nil {
		resp.setErr(err, err.Error())
		return
	}
	body := r.Body
	bo := c.bodyOpts(r)
	var res rawResp // on the stack: exchange only fills it
	for redirects := 0; ; redirects++ {
		err := c.exchange(ctx, deadline, deadlineSlack(timeout), method, u, r.Header, body, bo, &res, r.Trace)
		now := time.Now()
		resp.End = now
		if err != nil {
			resp.Timings.Duration = now.Sub(start)
			resp.URL = u.String()
			switch {
			case ctx.Err() != nil:
				resp.setCanceled(err)
			case !now.Before(deadline) || errors.Is(err, os.ErrDeadlineExceeded) && now.Add(5*time.Millisecond).After(deadline):
				resp.setErr(err, "timeout after "+timeout.String())
			default:
				resp.setErr(err, errText(err, r.URL, c.dialer.Timeout))
			}
			return
		}
		if c.jar != nil && len(res.header["Set-Cookie"]) > 0 {
			if cs := (&http.Response{Header: res.header}).Cookies(); len(cs) > 0 {
				c.jar.SetCookies(u, cs)
				c.hasCookies.Store(true)
			}
		}
		if loc := res.header.Get("Location"); loc != "" && isRedirect(res.status) && limit > 0 && !(redirects >= limit && r.Trace != nil && r.Trace.KeepLastRedirect) {
			if redirects >= limit {
				resp.Timings.Duration = now.Sub(start)
				resp.URL = u.String()
				e := &errTooManyRedirects{n: limit}
				resp.setErr(e, e.Error())
				return
			}
			next, err := u.Parse(loc)
			if err != nil {
				resp.setErr(err, fmt.Sprintf("bad redirect Location %q: %v", loc, err))
				return
			}
			// As browsers and net/http do: 303, and 301/302 after a POST,
			// continue with a GET without a body.
			if res.status == 303 && method != http.MethodHead || (res.status == 301 || res.status == 302) && method == http.MethodPost {
				method, body = http.MethodGet, nil
			}
			u = next
			continue
		}
		end, head := now, res.headersAt
		if t := arrival(res.rxEnd, now, now.Sub(start)); !t.IsZero() {
			end = t
		}
		if t := arrival(res.rxHead, head, head.Sub(start)); !t.IsZero() {
			head = t
		}
		if head.After(end) {
			head = end
		}
		if tr := r.Trace; tr != nil && tr.sentAt.After(head) {
			// Over loopback the answer can arrive before the write that
			// sent the request has returned: sending ended by then.
			tr.sentAt = head
			tr.Sending = max(head.Sub(tr.gotAt), 0)
		}
		resp.End = end
		resp.Timings = Timings{
			Duration:  end.Sub(start),
			Waiting:   head.Sub(start),
			Receiving: end.Sub(head),
		}
		resp.Status = res.status
		resp.StatusText = res.statusText
		if resp.StatusText == "" {
			resp.StatusText = http.StatusText(res.status)
		}
		resp.Proto = res.proto
		resp.Header = res.header
		resp.Body = res.body
		resp.Size = res.size
		if redirects > 0 || !urlIs(u, r.URL) {
			resp.URL = u.String()
		}
		return
	}
}

func isRedirect(code int) bool {
	switch code {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// urlIs reports whether s is u.String(), without building that string;
// false is also its answer for URLs it does not know to compare (user
// information, fragments, hosts or paths that are not plain).
func urlIs(u *url.URL, s string) bool {
	if u.Opaque != "" || u.User != nil || u.Host == "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "" ||
		u.Path != "" && u.Path[0] != '/' {
		return false
	}
	for i := 0; i < len(u.Host); i++ {
		if b := u.Host[i]; !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-.:[]", b) >= 0) {
			return false
		}
	}
	s, ok := strings.CutPrefix(s, u.Scheme)
	if !ok {
		return false
	}
	if s, ok = strings.CutPrefix(s, "://"); !ok {
		return false
	}
	if s, ok = strings.CutPrefix(s, u.Host); !ok {
		return false
	}
	if s, ok = strings.CutPrefix(s, u.EscapedPath()); !ok {
		return false
	}
	if u.RawQuery == "" {
		return s == ""
	}
	return len(s) == 1+len(u.RawQuery) && s[0] == '?' && s[1:] == u.RawQuery
}

// urlCache keeps the last URLs a Client parsed: a user requests the same
// few URLs again and again. The URLs it hands out are never modified.
type urlCache struct {
	mu   sync.Mutex
	next int
	e    [2]struct {
		raw string
		u   *url.URL
	}
}

// parse is parseURL, remembered.
func (uc *urlCache) parse(raw string) (*url.URL, error) {
	uc.mu.Lock()
	for _, e := range uc.e {
		if e.u != nil && e.raw == raw {
			uc.mu.Unlock()
			return e.u, nil
		}
	}
	uc.mu.Unlock()
	u, err := sharedURL(raw)
	if err != nil {
		return nil, err
	}
	uc.mu.Lock()
	uc.e[uc.next].raw, uc.e[uc.next].u = raw, u
	uc.next = (uc.next + 1) % len(uc.e)
	uc.mu.Unlock()
	return u, nil
}

// parseURL accepts absolute http and https URLs with a host.
// sharedURLs holds URLs parsed by parseURL (string to *url.URL), read
// only, for every Client: thousands of users requesting the same URLs
// then keep one copy of each rather than one per user. Once it holds
// maxSharedURLs (a script that makes a new URL for each request), further
// URLs are parsed for the Client alone.
var (
	sharedURLs  sync.Map
	nSharedURLs atomic.Int32
)

const maxSharedURLs = 256

// sharedURL is parseURL, from sharedURLs when raw is there.
func sharedURL(raw string) (*url.URL, error) {
	if u, ok := sharedURLs.Load(raw); ok {
		return u.(*url.URL), nil
	}
	if nSharedURLs.Load() >= maxSharedURLs {
		return parseURL(raw)
	}
	raw = strings.Clone(raw) // the URL's strings point into it: nothing larger stays reachable
	u, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	if v, loaded := sharedURLs.LoadOrStore(raw, u); loaded {
		return v.(*url.URL), nil
	}
	nSharedURLs.Add(1)
	return u, nil
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, errors.New(`invalid URL "` + raw + `": ` + ue.Err.Error())
		}
		return nil, err
	}
	switch {
	case u.Scheme == "":
		return nil, errors.New(`invalid URL "` + raw + `": no scheme (http:// or https://)`)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New(`invalid URL "` + raw + `": unsupported protocol scheme "` + u.Scheme + `"`)
	case u.Host == "":
		return nil, errors.New(`invalid URL "` + raw + `": no host`)
	}
	return u, nil
}

// exchange sends one request and reads its response on a keep-alive
// connection. As net/http's transport does, it sends the request again on
// a new connection only when it failed on a reused connection before any
// byte of a response arrived, and either none of it was written or it may
// be replayed (see replayable): a request the server may have acted on is
// never sent twice. Before such a request goes on an idle connection, the
// connection is checked for a close by the server (idleConnBroken).
func (c *Client) exchange(ctx context.Context, deadline time.Time, slack time.Duration, method string, u *url.URL, hdr http.Header, body []byte, bo bodyOpts, res *rawResp, tr *Trace) error {
	replay := replayable(method, hdr)
	for attempt := 0; ; attempt++ {
		if tr != nil {
			tr.begin()
		}
		// An idle connection keeps the deadline of its last exchange: it
		// is set before the connection is checked (an expired one would
		// fail the check).
		cn := c.h1.get(u)
		for cn != nil {
			cn.setDeadline(deadline, slack)
			if replay || !idleConnBroken(cn.nc) {
				break
			}
			cn.nc.Close()
			cn = c.h1.get(u)
		}
		reused := cn != nil
		if cn == nil {
			var err error
			cn, err = c.dial(ctx, deadline, u, connKey(u), tr)
			if err != nil {
				return err
			}
			cn.setDeadline(deadline, slack)
		}
		if tr != nil {
			tr.got(cn.nc)
		}
		cn.attach()
		var stop func() bool
		if !c.watch.arm(ctx, cn) {
			stop = context.AfterFunc(ctx, func() { _ = cn.nc.SetDeadline(aLongTimeAgo) })
		}
		started, err := c.roundTrip(cn, method, u, hdr, body, bo, res, tr)
		if stop != nil {
			if !stop() {
				cn.dl = time.Time{} // the AfterFunc ran: the deadline is not known
			}
		} else {
			c.watch.disarm(cn)
		}
		if err != nil {
			written := cn.out.n > 0
			cn.detach()
			cn.nc.Close()
			if reused && !started && attempt == 0 && ctx.Err() == nil && staleConn(err) &&
				(!written || replay) {
				continue
			}
			return err
		}
		if res.close {
			cn.detach()
			cn.nc.Close()
		} else {
			c.h1.put(cn) // with its deadline: the next exchange sets its own
		}
		return nil
	}
}

// replayable reports whether a request may be sent again after it was
// written, as net/http's transport decides: its method is GET, HEAD,
// OPTIONS or TRACE, or it carries an Idempotency-Key or X-Idempotency-Key
// header (keys in any case).
func replayable(method string, hdr http.Header) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	for k := range hdr {
		if asciiEqualFold(k, "Idempotency-Key") || asciiEqualFold(k, "X-Idempotency-Key") {
			return true
		}
	}
	return false
}

// staleConn reports whether err is what a keep-alive connection closed by
// the server gives.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// roundTrip writes the request and reads the response into res. started reports
// whether any byte of a response arrived (then a retry is not safe);
// cn.out counts the bytes of the request that were written.
func (c *Client) roundTrip(cn *http1Conn, method string, u *url.URL, hdr http.Header, body []byte, bo bodyOpts, res *rawResp, tr *Trace) (started bool, err error) {
	cn.out.n = 0
	cn.in.setBudget(c.h1.maxHeader)
	gz, err := c.writeRequest(cn.bw, method, u, hdr, body)
	if err != nil {
		return false, err
	}
	if cn.canFuse() {
		cn.fuse(tr)
		// Writes the request, returns the write buffer, and waits for the
		// response without the read buffer: users waiting for their
		// responses hold none (fused_linux.go).
		cn.awaitResponse()
	} else {
		if err := cn.bw.Flush(); err != nil {
			return false, err
		}
		cn.releaseWriter()
		if tr != nil {
			tr.sent()
		}
	}
	cn.lendReader()
	if _, err := cn.br.Peek(1); err != nil {
		return false, err
	}
	bo.gz = gz
	err = readResponse(cn.br, &cn.in, cn, method, bo, res, &cn.hc)
	if err == nil && hasToken(hdr.Values("Connection"), "close") {
		res.close = true
	}
	return true, err
}

// writeRequest writes the request head and body. It returns whether it
// asked for gzip itself (then a gzip body is decoded transparently).
func (c *Client) writeRequest(bw *bufio.Writer, method string, u *url.URL, hdr http.Header, body []byte) (gz bool, err error) {
	bw.WriteString(method)
	bw.WriteByte(' ')
	writeRequestURI(bw, u)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	host := u.Host
	if h := hdr.Get("Host"); h != "" {
		host = h
	}
	bw.WriteString(host)
	bw.WriteString("\r\n")
	hasUA, hasAE, hasCookie := false, false, false
	for k, vs := range hdr {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		switch ck {
		case "Host", "Content-Length", "Transfer-Encoding":
			continue
		case "User-Agent":
			hasUA = true
		case "Accept-Encoding":
			hasAE = true
		case "Cookie":
			hasCookie = true
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") || strings.ContainsAny(ck, "\r\n: ") {
				return false, fmt.Errorf("invalid header %q", ck)
			}
			bw.WriteString(ck)
			bw.WriteString(": ")
			if ck == "Cookie" && c.hasCookies.Load() {
				bw.WriteString(v)
				for _, jc := range c.jar.Cookies(u) {
					bw.WriteString("; ")
					bw.WriteString(jc.String())
				}
			} else {
				bw.WriteString(v)
			}
			bw.WriteString("\r\n")
		}
	}
	if !hasUA {
		bw.WriteString("User-Agent: ")
		bw.WriteString(c.ua[0])
		bw.WriteString("\r\n")
	}
	if !hasAE && method != http.MethodHead && hdr.Get("Range") == "" {
		bw.WriteString("Accept-Encoding: gzip\r\n")
		gz = true
	}
	if !hasCookie && c.hasCookies.Load() {
		if cs := c.jar.Cookies(u); len(cs) > 0 {
			bw.WriteString("Cookie: ")
			for i, jc := range cs {
				if i > 0 {
					bw.WriteString("; ")
				}
				bw.WriteString(jc.String())
			}
			bw.WriteString("\r\n")
		}
	}
	if body != nil || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.Itoa(len(body)))
		bw.WriteString("\r\n")
	}
	bw.WriteString("\r\n")
	_, err = bw.Write(body)
	return gz, err
}

// writeRequestURI writes u.RequestURI() without building it.
func writeRequestURI(bw *bufio.Writer, u *url.URL) {
	if u.Opaque != "" {
		bw.WriteString(u.RequestURI()) // rare: its rules are RequestURI's
		return
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	bw.WriteString(p)
	if u.ForceQuery || u.RawQuery != "" {
		bw.WriteByte('?')
		bw.WriteString(u.RawQuery)
	}
}

// hasToken reports whether the comma-separated lists vs hold token, in
// any ASCII case, as RFC 9110 lists are read.
func hasToken(vs []string, token string) bool {
	for _, v := range vs {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if asciiEqualFold(strings.Trim(t, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// asciiEqualFold reports whether a and b are equal when ASCII letters are
// compared without case (and no other folding, unlike strings.EqualFold).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// readResponse reads one response from br into res (overwriting all of
// it), skipping 1xx interim responses, and its body as bo says. in is the reader under br, its budget set: the
// status lines and headers of all responses read may take no more (else
// the error is headersTooLarge, whatever the parser made of the cut
// text); the body is read with no such budget.
//
// Its verdicts follow net/http's ReadResponse (with the transport's
// skipping of 1xx responses), so that a response one accepts the other
// accepts alike, with the same framing; FuzzReadResponse holds the two to
// that and lists the differences.
func readResponse(br *bufio.Reader, in *budgetReader, cn *http1Conn, method string, bo bodyOpts, res *rawResp, hc *headerCache) error {
	*res = rawResp{}
	f, err := readHead(br, method, res, hc)
	if err != nil {
		if in.n <= 0 {
			return headersTooLarge(in.limit)
		}
		return err
	}
	res.rxHead = cn.lastRx()
	in.setBudget(unlimited)
	err = readFramedBody(br, res, f, bo)
	res.rxEnd = cn.lastRx()
	return err
}

// framing is how a response's body is delimited.
type framing struct {
	// none: the response has no body (a response to HEAD; 1xx, 204, 304).
	none bool
	// chunked: the body has the chunked transfer coding.
	chunked bool
	// length is the Content-Length, or -1: without chunked, the body
	// then ends when the server closes the connection.
	length int64
}

// readHead reads the status line and headers of the final response,
// skipping 1xx interim ones (not 101), and works out the body's framing as
// RFC 9112 and net/http do.
func readHead(br *bufio.Reader, method string, res *rawResp, hc *headerCache) (framing, error) {
	tp := textproto.NewReader(br)
	var major, minor int
	var h http.Header
	for {
		line, err := readLine(br)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return framing{}, err
		}
		protoB, rest, ok := bytes.Cut(line, []byte(" "))
		if !ok {
			return framing{}, badResponse("status line", string(line))
		}
		rest = bytes.TrimLeft(rest, " ")
		codeB, textB, _ := bytes.Cut(rest, []byte(" "))
		// Three digits, as net/http requires, but it takes anything
		// strconv.Atoi does, "+99" and "000" too: here a status below 100
		// is refused (Response.Status 0 means a failed request).
		code, ok := statusCode(codeB)
		if !ok || code < 100 {
			return framing{}, badResponse("status code", string(codeB))
		}
		// The usual protocol and reason phrase are not copied.
		proto := "HTTP/1.1"
		if string(protoB) != proto {
			proto = string(protoB)
		}
		text := http.StatusText(code)
		if string(textB) != text {
			text = string(textB)
		}
		if major, minor, ok = http.ParseHTTPVersion(proto); !ok {
			return framing{}, badResponse("HTTP version", proto)
		}
		mh, ok := readHeaderFast(br, hc)
		if !ok {
			th, err := tp.ReadMIMEHeader()
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				var pe textproto.ProtocolError
				if errors.As(err, &pe) {
					err = badResponse("header", strings.TrimPrefix(string(pe), "malformed MIME header line: "))
				}
				return framing{}, err
			}
			mh = http.Header(th)
		}
		if code < 200 && code != 101 {
			continue // interim response: the real one follows
		}
		h = mh
		res.status, res.statusText, res.proto, res.header = code, text, proto, h
		break
	}
	res.headersAt = time.Now()

	conn := h["Connection"]
	switch {
	case major < 1:
		res.close = true
	case major == 1 && minor == 0:
		res.close = hasToken(conn, "close") || !hasToken(conn, "keep-alive")
	default:
		res.close = hasToken(conn, "close")
	}
	// After 101 Switching Protocols the connection speaks another protocol.
	if res.status == 101 {
		res.close = true
	}

	f := framing{length: -1}
	if te, ok := h["Transfer-Encoding"]; ok {
		delete(h, "Transfer-Encoding")
		// Ignored before HTTP/1.1 (but "HTTP/0.0" counts as 1.1, as in
		// net/http); otherwise only a single "chunked" is understood (as
		// nginx and net/http do: anything else invites request smuggling).
		if major > 1 || major == 1 && minor >= 1 || major == 0 && minor == 0 {
			if len(te) != 1 || !asciiEqualFold(te[0], "chunked") {
				return framing{}, badResponse("Transfer-Encoding", strings.Join(te, ", "))
			}
			f.chunked = true
		}
	}
	if tr, ok := h["Trailer"]; ok && f.chunked {
		// Announced trailers are dropped with the trailer section; as
		// net/http does, refuse those that would frame the message.
		delete(h, "Trailer")
		for _, v := range tr {
			for _, k := range strings.Split(v, ",") {
				switch http.CanonicalHeaderKey(textproto.TrimString(k)) {
				case "Transfer-Encoding", "Trailer", "Content-Length":
					return framing{}, badResponse("Trailer", v)
				}
			}
		}
	}
	if cl, ok := h["Content-Length"]; ok {
		first := textproto.TrimString(cl[0])
		for _, v := range cl[1:] {
			if textproto.TrimString(v) != first {
				return framing{}, badResponse("Content-Length, several values:", strings.Join(cl, ", "))
			}
		}
		if len(cl) > 1 {
			h["Content-Length"] = []string{first}
		}
		n, err := strconv.ParseUint(first, 10, 63)
		if err != nil {
			return framing{}, badResponse("Content-Length", first)
		}
		f.length = int64(n)
	}
	switch {
	case method == http.MethodHead || res.status < 200 || res.status == 204 || res.status == 304:
		f.none = true
	case f.chunked:
		delete(h, "Content-Length")
		f.length = -1
	case f.length < 0:
		res.close = true // the body ends when the server closes
	}
	return f, nil
}

// readHeaderFast reads a header section the way textproto's
// ReadMIMEHeader does, in three allocations (the section's text, which
// the values and keys share, their slices, the map) where textproto makes
// one per value too, when the section is plain: all of it is in br's
// buffer, every line ends with CRLF, has a token, a colon and a value of
// valid bytes, and none continues the one before. Otherwise it reads
// nothing and reports false: textproto then reads it and gives the errors.
// FuzzReadResponse holds the two to the same results. A section the same
// as the one hc (if not nil) remembers is not parsed again, and its text
// not copied: only the map and its slices are made.
func readHeaderFast(br *bufio.Reader, hc *headerCache) (http.Header, bool) {
	buf, _ := br.Peek(br.Buffered())
	if len(buf) >= 2 && buf[0] == '\r' && buf[1] == '\n' {
		br.Discard(2)
		return http.Header{}, true
	}
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, false
	}
	block := buf[:end+2] // its lines, each with its CRLF
	if hc != nil && hc.text != "" && hc.text == string(block) {
		n := len(hc.kv) / 2
		h := make(http.Header, n)
		strs := make([]string, n)
		for i := 0; i < len(hc.kv); i += 2 {
			strs = addHeader(h, hc.kv[i], hc.kv[i+1], strs)
		}
		br.Discard(end + 4)
		return h, true
	}
	n := 0
	for rest := block; len(rest) > 0; n++ {
		i := bytes.IndexByte(rest, '\r') // a CR ends the line: a CR in it is not valid
		line := rest[:i]
		if i+1 >= len(rest) || rest[i+1] != '\n' {
			return nil, false
		}
		rest = rest[i+2:]
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return nil, false
		}
		for _, c := range line[:colon] {
			if !isTokenByte(c) {
				return nil, false
			}
		}
		for _, c := range line[colon+1:] {
			if c < ' ' && c != '\t' || c == 0x7f {
				return nil, false
			}
		}
	}
	text := string(block)
	h := make(http.Header, n)
	strs := make([]string, n)
	if hc != nil {
		hc.text, hc.kv = text, hc.kv[:0]
	}
	for len(text) > 0 {
		i := strings.IndexByte(text, '\r')
		line := text[:i]
		text = text[i+2:]
		k, v, _ := strings.Cut(line, ":")
		k = textproto.CanonicalMIMEHeaderKey(k)
		v = strings.TrimRight(strings.TrimLeft(v, " \t"), " \t")
		strs = addHeader(h, k, v, strs)
		if hc != nil {
			hc.kv = append(hc.kv, k, v)
		}
	}
	br.Discard(end + 4)
	return h, true
}

// addHeader adds value v of key k to h, taking a slice of one from strs
// for a key's first value; it returns what remains of strs.
func addHeader(h http.Header, k, v string, strs []string) []string {
	if vv := h[k]; vv == nil {
		vv, strs = strs[:1:1], strs[1:]
		vv[0] = v
		h[k] = vv
	} else {
		h[k] = append(vv, v)
	}
	return strs
}

// headerCache remembers the last header section readHeaderFast parsed on
// a connection: a server sends the same one again and again (but for its
// Date, once a second).
type headerCache struct {
	text string   // the section, its lines with their CRLF
	kv   []string // its keys (canonical) and values (trimmed), in pairs, within text
}

// isTokenByte reports whether c may be in a header field name (RFC 9110
// token).
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c < 0x80 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// readLine reads a line as textproto.Reader.ReadLine does, without its
// end of line, but returns it in br's buffer (valid until br is read
// again) unless it is longer than the buffer.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, more, err := br.ReadLine()
	if err != nil || !more {
		return line, err
	}
	long := bytes.Clone(line)
	for more {
		if line, more, err = br.ReadLine(); err != nil {
			return nil, err
		}
		long = append(long, line...)
	}
	return long, nil
}

// statusCode reads a status code as net/http's strconv.Atoi of it does
// when it has three bytes: a sign is allowed.
func statusCode(b []byte) (int, bool) {
	if len(b) != 3 {
		return 0, false
	}
	n, sign := 0, 1
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9':
			n = n*10 + int(c-'0')
		case i == 0 && (c == '+' || c == '-'):
			if c == '-' {
				sign = -1
			}
		default:
			return 0, false
		}
	}
	return sign * n, true
}

// readFramedBody reads the body framed by f from br into res, as bo says.
func readFramedBody(br *bufio.Reader, res *rawResp, f framing, bo bodyOpts) error {
	if f.none || f.length == 0 {
		return nil
	}
	decode := bo.gz && asciiEqualFold(res.header.Get("Content-Encoding"), "gzip")
	var src io.Reader
	switch {
	case f.chunked:
		src = httputil.NewChunkedReader(br)
	case f.length > 0 && !decode && !bo.discard:
		if bo.limit >= 0 && f.length > bo.limit {
			return bodyTooLarge(bo.limit, false)
		}
		if f.length < smallBody {
			// The common case: one allocation of the exact size.
			res.body = make([]byte, f.length)
			res.size = f.length
			_, err := io.ReadFull(br, res.body)
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		src = &clReader{br: br, n: f.length}
	case f.length > 0:
		src = &clReader{br: br, n: f.length}
	default:
		src = br // the body ends when the server closes
	}
	hint := f.length
	var err error
	if decode {
		var empty bool
		empty, err = gunzip(src, func(zr io.Reader) error {
			return readBodyInto(res, zr, -1, bo.limit, bo.discard)
		})
		if !empty && err == nil {
			res.header.Del("Content-Encoding")
			res.header.Del("Content-Length")
		}
	} else {
		err = readBodyInto(res, src, hint, bo.limit, bo.discard)
	}
	switch {
	case err == errBodyLimit:
		return bodyTooLarge(bo.limit, decode)
	case err != nil:
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	case f.chunked:
		return readTrailer(br)
	}
	return nil
}

// readTrailer reads the trailer section that ends a chunked body and drops
// it. As in net/http, it must fit in br's buffer (4 KB), so that a server
// cannot make it unbounded.
func readTrailer(br *bufio.Reader) error {
	b, err := br.Peek(2)
	switch {
	case len(b) == 2 && b[0] == '\r' && b[1] == '\n':
		_, err = br.Discard(2)
		return err
	case len(b) < 2:
		return io.ErrUnexpectedEOF
	case err != nil:
		return err
	}
	for n, from := 4, 0; ; n++ {
		b, err := br.Peek(n)
		if i := bytes.Index(b[from:], []byte("\r\n\r\n")); i >= 0 {
			break
		}
		if err != nil {
			return &errBadResponse{"trailer section longer than 4 KB or unterminated"}
		}
		from = max(0, len(b)-3)
	}
	if _, err := textproto.NewReader(br).ReadMIMEHeader(); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}
