// Package httpc is the HTTP client used by one virtual user (VU).
//
// Every VU owns one Client. A Client has its own keep-alive connection pool
// and its own cookie jar, so VUs behave like independent browsers and never
// share connections or cookies. A Client is small when idle (a few KB), so
// thousands of them can exist at once.
//
// Do never returns nil and never returns a Go error: transport failures are
// reported in Response.Err together with a short, stable Response.ErrText
// that is suitable for grouping failures in statistics.
package httpc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Default values used when an Options field is zero.
const (
	DefaultTimeout      = 60 * time.Second
	DefaultMaxRedirects = 10
	DefaultDialTimeout  = 10 * time.Second
	// DefaultUserAgent is the User-Agent of a development build of
	// jsload; a program that knows its version sets Options.UserAgent.
	DefaultUserAgent = "jsload/dev"
)

// NeverFollowRedirects, as Options.MaxRedirects, makes the Client's
// requests that go by its limit return 3xx responses as they are instead of
// following them. It is an int, like the option, and so cannot stand for
// a RedirectLimit.
const NeverFollowRedirects int = -1

// RedirectLimit is the number of redirects one request follows (its
// Request.Redirects). Its zero value means that none is followed; a
// negative value, ClientRedirectLimit, defers to the Client's option.
type RedirectLimit int32 // 32 bits: with DiscardBody it keeps Request in 96 bytes

// ClientRedirectLimit, as Request.Redirects, makes the request follow as
// many redirects as its Client's Options.MaxRedirects allows.
const ClientRedirectLimit RedirectLimit = -1

// maxIdleConnsPerHost bounds the idle keep-alive connections one Client keeps
// per target host.
const maxIdleConnsPerHost = 8

// Options configure a Client; zero values mean defaults.
type Options struct {
	// Timeout bounds a whole request: connecting, sending, redirects and
	// reading the full body. Zero or negative means DefaultTimeout (60s).
	Timeout time.Duration
	// MaxRedirects is the number of redirects a request follows by default.
	// Zero means DefaultMaxRedirects (10); NeverFollowRedirects (or any
	// negative value) means redirects are not followed and the 3xx
	// response is returned.
	MaxRedirects int
	// UserAgent is the User-Agent header sent when a request does not set
	// its own. Empty means DefaultUserAgent; jsload's command line sets
	// "jsload/" followed by its version.
	UserAgent string
	// DialTimeout bounds establishing a TCP connection and, for https, the
	// TLS handshake. Zero or negative means DefaultDialTimeout (10s).
	DialTimeout time.Duration
	// TLS configures TLS connections: client certificate, CA file, server
	// name, minimum version, verification. Options.Check validates it.
	TLS TLSOptions
	// Protocol chooses the HTTP version: ProtocolAuto ("", HTTP/2 over TLS
	// when the server offers it, HTTP/1.1 otherwise), ProtocolHTTP1
	// ("http1.1"), ProtocolH2C ("h2c", HTTP/2 over cleartext with prior
	// knowledge) or ProtocolH2 ("h2", HTTP/2 over TLS or a failure).
	// Through a proxy (proxy environment variables), "h2c" acts as "".
	Protocol string
	// MaxHeaderBytes bounds a response's status line and headers, 1xx
	// interim responses included; a response beyond it fails with an
	// Err that wraps ErrHeadersTooLarge. Zero or negative means
	// DefaultMaxHeaderBytes (1 MiB).
	MaxHeaderBytes int
	// MaxBodyBytes bounds a response body kept in memory, counted after
	// gzip decoding; a body beyond it fails with an Err that wraps
	// ErrBodyTooLarge (the connection is then closed, not reused). Zero
	// means DefaultMaxBodyBytes (64 MiB); negative means no limit. It
	// does not apply to discarded bodies.
	MaxBodyBytes int64
	// DiscardBodies makes every response body be read to its end, timed
	// and counted in Response.Size, but not kept: Response.Body is nil.
	DiscardBodies bool
}

// Request describes one HTTP request.
type Request struct {
	// Method is the HTTP method; empty means GET.
	Method string
	// URL is the absolute URL to request; the caller resolves relative URLs.
	URL string
	// Header holds the request headers; it may be nil. Do never modifies
	// it. Keys need not be canonical. A "Host" entry sets the Host header
	// sent to the server.
	Header http.Header
	// Body is the request body; nil means no body.
	Body []byte
	// Timeout overrides Options.Timeout for this request; zero (or
	// negative) means the Client's timeout.
	Timeout time.Duration
	// Redirects is the maximum number of redirects this request follows:
	// ClientRedirectLimit (or any negative value) means
	// Options.MaxRedirects, 0 means redirects are not followed (the 3xx
	// response is returned), N > 0 means at most N redirects are followed.
	// Note that the zero value means "do not follow".
	Redirects RedirectLimit
	// DiscardBody makes this response's body be read, timed and counted
	// in Response.Size but not kept, as Options.DiscardBodies does.
	DiscardBody bool
	// MaxBodyBytes bounds this response's body kept in memory, as
	// Options.MaxBodyBytes does: 0 means the Client's option, negative
	// means no limit.
	MaxBodyBytes int64
	// Trace, when set, is filled with the phases of the last hop and the
	// server's address (see Trace); nil costs nothing.
	Trace *Trace
}

// Timings are the durations measured for one request. When redirects are
// followed they cover the whole chain.
type Timings struct {
	// Duration is the time from the start of sending to the body being fully
	// read: the response time recorded in statistics. On a transport error
	// it is the time until the error was detected.
	Duration time.Duration
	// Waiting is the time from the start of sending until the response
	// headers were received (zero if they never were).
	Waiting time.Duration
	// Receiving is the time from receiving the headers until the body was
	// fully read (zero if the headers were never received).
	Receiving time.Duration
}

// Response is the outcome of one request. Exactly one of these holds: Err is
// nil and Status is the HTTP status; Err is a transport error and Status is
// 0; or Canceled is true (Err is then non-nil too).
type Response struct {
	// Status is the HTTP status code, or 0 on a transport error.
	Status int
	// StatusText is the reason phrase, e.g. "Not Found".
	StatusText string
	// Proto is the protocol: "HTTP/1.1" (or what an HTTP/1.x server
	// answered) or "HTTP/2.0".
	Proto string
	// Header holds the response headers. When the transport transparently
	// decompressed a gzip body, Content-Encoding and Content-Length are
	// removed.
	Header http.Header
	// Body is the complete (decompressed) body; nil when it is empty or
	// was discarded (Options.DiscardBodies, Request.DiscardBody).
	Body []byte
	// Size is the length of the body received, whether kept or
	// discarded: after decoding when the client decoded a gzip body (as
	// Locust counts a response's length), else as sent. It is 0 when Err
	// is set.
	Size int64
	// URL is the final URL after redirects (the requested URL when no
	// redirect was followed).
	URL string
	// Timings are the measured durations.
	Timings Timings
	// Err is the transport error (connection refused, reset, timeout, too
	// many redirects, bad URL, ...) or nil. A status >= 400 is not an Err.
	// Err.Error() equals ErrText; errors.Is and errors.As see the
	// underlying error.
	Err error
	// ErrText is "" when Err is nil; otherwise a short message that is
	// identical for identical failures (no ephemeral ports or pointers), so
	// failures can be grouped by it.
	ErrText string
	// End is when the response was complete (or the request failed); zero
	// when the request never started.
	End time.Time
	// Canceled is true when the context passed to Do was canceled or
	// expired (the test is stopping); the caller should drop such a request
	// from statistics.
	Canceled bool
}

// Client is the HTTP client of one VU. Create it with New. It keeps its own
// keep-alive connections and cookies. It is intended to be used by one
// goroutine at a time, but concurrent use is safe.
type Client struct {
	h1           http1Client
	useHTTP1     bool // no proxy is configured: requests go over the HTTP/1.1 client
	jar          *Jar
	hasCookies   atomic.Bool  // the jar was given a cookie: only then is it asked for some
	hc           *http.Client // with tr, only when a proxy is configured (!useHTTP1)
	tr           *http.Transport
	dialer       *net.Dialer // shared by the Clients with the same dial timeout (dialerFor)
	timeout      time.Duration
	maxRedirects int      // 0 means do not follow
	maxBody      int64    // Options.MaxBodyBytes with its default; negative: none
	discard      bool     // Options.DiscardBodies
	ua           []string // {User-Agent}; len == cap so appends never share it
	proto        protocol
	tlsc         *tlsSetup // shared by the Clients with the same TLSOptions
	optErr       error     // invalid options (see Options.Check): every request fails with it
	h2           h2Client
	watch        ctxWatch // interrupts HTTP/1.1 exchanges when their context is canceled
	urls         urlCache // the last URLs requested over HTTP/1.1, parsed
}

// New returns a Client configured by o. It allocates the Client's cookie
// jar, and net/http's transport only when a proxy is configured;
// connections are opened lazily by Do. The TLS configuration is built
// once per process for each distinct o.TLS and shared. New does not fail:
// when o does not pass Options.Check, every request of the Client fails
// with that error.
func New(o Options) *Client {
	c := &Client{
		timeout:      o.Timeout,
		maxRedirects: o.MaxRedirects,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRedirects == 0:
		c.maxRedirects = DefaultMaxRedirects
	case c.maxRedirects < 0:
		c.maxRedirects = 0
	}
	ua := o.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	c.ua = []string{ua}
	dialTimeout := o.DialTimeout
	if dialTimeout <= 0 {
		dialTimeout = DefaultDialTimeout
	}
	c.dialer = dialerFor(dialTimeout)
	c.jar = NewJar()
	c.h1.maxHeader = int64(o.MaxHeaderBytes)
	if c.h1.maxHeader <= 0 {
		c.h1.maxHeader = DefaultMaxHeaderBytes
	}
	c.maxBody, c.discard = o.MaxBodyBytes, o.DiscardBodies
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	var err error
	if c.proto, err = parseProtocol(o.Protocol); err == nil {
		c.tlsc, err = setupTLS(o.TLS)
	}
	if err != nil {
		c.optErr = &errOptions{err}
		c.tlsc = &tlsSetup{} // never used: requests fail first
	}
	c.useHTTP1 = !proxyConfigured()
	if c.useHTTP1 {
		return c // net/http's transport is only for proxies: not made
	}
	c.tr = &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            c.dialer.DialContext,
		ForceAttemptHTTP2:      false,
		MaxIdleConns:           0, // bounded per host below
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    dialTimeout,
		ExpectContinueTimeout:  time.Second,
		DisableCompression:     false,
		Protocols:              proxyProtocols(c.proto),
		MaxResponseHeaderBytes: c.h1.maxHeader,
	}
	if c.tlsc.auto != nil {
		// Cloned: net/http sets NextProtos on it when HTTP/2 is on.
		c.tr.TLSClientConfig = c.tlsc.auto.Clone()
		c.tr.TLSClientConfig.NextProtos = nil
	}
	c.hc = &http.Client{
		Transport:     c.tr,
		Jar:           sharedJar{c},
		CheckRedirect: checkRedirect,
	}
	return c
}

// dialers holds the Dialers of the Clients, one per dial timeout
// (time.Duration to *net.Dialer): a Dialer is only read once made, and
// its 144 bytes in each of thousands of Clients (one per user) add up.
var dialers sync.Map

// keepAlive is the TCP keep-alive of the connections the Clients dial:
// probes after 30 s idle, at the system's interval and count. Go's
// default also sets the interval (15 s) and the count (9): two system
// calls more per connection, which in a burst of 10,000 first requests
// at once (scripts/bench users10k) were 3% of the generator's CPU.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: -1, Count: -1}

// dialerFor returns the shared Dialer with the dial timeout d.
func dialerFor(d time.Duration) *net.Dialer {
	if dl, ok := dialers.Load(d); ok {
		return dl.(*net.Dialer)
	}
	dl, _ := dialers.LoadOrStore(d, &net.Dialer{Timeout: d, KeepAliveConfig: keepAlive, Control: dialControl})
	return dl.(*net.Dialer)
}

// CloseIdle closes the Client's idle keep-alive connections. It is called
// when the VU stops; the Client remains usable afterwards.
func (c *Client) CloseIdle() {
	if c.tr != nil {
		c.tr.CloseIdleConnections()
	}
	c.h1.closeIdle()
	c.h2.closeIdle()
	c.watch.close()
}

// Watched tells the client that its caller watches ctx and calls
// Interrupt when it ends (a VU does so for its task's context, which it
// watches anyway): exchanges under ctx then register nothing on ctx of
// their own, so its end starts no goroutine for this client. Exchanges
// under any other context, and exchanges that overlap, watch theirs as
// before. The last call wins; CloseIdle forgets it.
func (c *Client) Watched(ctx context.Context) {
	c.watch.watched(ctx)
}

// Interrupt makes the HTTP/1.1 exchange in flight return at once if its
// context has ended: what the end of a context given to Watched must
// bring about. It does nothing otherwise, so it may be called late or
// more than once.
func (c *Client) Interrupt() {
	c.watch.interrupt()
}

// proxyConfigured reports whether proxy environment variables are set; then
// requests go through net/http's transport, which honours them.
func proxyConfigured() bool {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// redirectLimitKey is the context key under which Do stores the redirect
// limit (an int) of the current request for checkRedirect.
type redirectLimitKey struct{}

// errTooManyRedirects is returned by checkRedirect when a request exceeds
// its redirect limit.
type errTooManyRedirects struct{ n int }

func (e *errTooManyRedirects) Error() string {
	return "stopped after " + strconv.Itoa(e.n) + " redirects"
}

// checkRedirect enforces the per-request redirect limit stored in the
// request context by Do.
func checkRedirect(req *http.Request, via []*http.Request) error {
	limit, ok := req.Context().Value(redirectLimitKey{}).(int)
	if !ok {
		limit = DefaultMaxRedirects
	}
	if limit <= 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > limit {
		return &errTooManyRedirects{n: limit}
	}
	return nil
}

// errRequestTimeout is the cancellation cause of the per-request timeout
// context, distinguishing our timeout from the caller canceling.
var errRequestTimeout = errors.New("httpc: request timeout")

// Do sends r and reads the whole response body. It never returns nil.
// Transport errors are reported in Response.Err/ErrText with Status 0; a
// canceled or expired ctx sets Response.Canceled. The request is bounded by
// r.Timeout (or the Client's timeout), which also covers reading the body.
// Do does not modify r.
func (c *Client) Do(ctx context.Context, r *Request) *Response {
	resp := &Response{}
	c.DoInto(ctx, r, resp)
	return resp
}

// DoInto is Do with the response written into resp, which it overwrites:
// a caller that keeps the response in memory of its own saves an
// allocation.
func (c *Client) DoInto(ctx context.Context, r *Request, resp *Response) {
	*resp = Response{URL: r.URL}
	if err := ctx.Err(); err != nil {
		resp.setCanceled(context.Cause(ctx))
		return
	}

	timeout := r.Timeout
	if timeout <= 0 {
		timeout = c.timeout
	}
	limit := int(r.Redirects)
	if limit < 0 {
		limit = c.maxRedirects
	}
	if c.optErr != nil {
		resp.setErr(c.optErr, c.optErr.Error())
		return
	}
	if c.useHTTP1 {
		if c.proto == protoHTTP1 || c.proto == protoAuto && !isHTTPS(r.URL) {
			c.doHTTP1(ctx, r, resp, timeout, limit)
		} else {
			c.doH2(ctx, r, resp, timeout, limit)
		}
		return
	}
	c.doNetHTTP(ctx, c.hc, r, resp, timeout, limit)
}

// doNetHTTP performs r with hc, net/http's client (of the proxy path or of
// the HTTP/2 path), and fills resp.
func (c *Client) doNetHTTP(ctx context.Context, hc *http.Client, r *Request, resp *Response, timeout time.Duration, limit int) {
	rctx, cancel := context.WithTimeoutCause(ctx, timeout, errRequestTimeout)
	defer cancel()
	rctx = context.WithValue(rctx, redirectLimitKey{}, limit)

	req, err := c.newRequest(rctx, r)
	if err != nil {
		resp.setErr(err, errText(err, r.URL, c.dialer.Timeout))
		return
	}

	start := time.Now()
	hresp, err := hc.Do(req)
	headersAt := time.Now()
	if err != nil {
		resp.Timings.Duration = headersAt.Sub(start)
		if hresp != nil && hresp.Request != nil && hresp.Request.URL != nil {
			resp.URL = hresp.Request.URL.String()
		}
		c.fail(resp, ctx, rctx, err, r.URL, timeout)
		return
	}
	body, size, err := readBody(hresp, c.bodyOpts(r))
	hresp.Body.Close()
	end := time.Now()
	resp.End = end
	resp.Timings = Timings{
		Duration:  end.Sub(start),
		Waiting:   headersAt.Sub(start),
		Receiving: end.Sub(headersAt),
	}
	if hresp.Request != nil && hresp.Request != req && hresp.Request.URL != nil {
		resp.URL = hresp.Request.URL.String()
	}
	if err != nil {
		c.fail(resp, ctx, rctx, err, r.URL, timeout)
		return
	}
	resp.Status = hresp.StatusCode
	resp.StatusText = statusText(hresp)
	resp.Proto = hresp.Proto
	resp.Header = hresp.Header
	resp.Body = body
	resp.Size = size
}

// newRequest builds the *http.Request for r without sharing mutable state
// with r (the http.Client adds Cookie headers to the request it sends).
func (c *Client) newRequest(ctx context.Context, r *Request) (*http.Request, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return nil, err
	}
	hasUA := false
	for k, v := range r.Header {
		k = http.CanonicalHeaderKey(k)
		switch k {
		case "Host":
			if len(v) > 0 {
				req.Host = v[0]
			}
			continue
		case "User-Agent":
			hasUA = true
		}
		// Cap the slice so that any append by net/http reallocates
		// instead of writing into the caller's backing array.
		v = v[:len(v):len(v)]
		if old, ok := req.Header[k]; ok {
			v = append(old, v...)
		}
		req.Header[k] = v
	}
	if !hasUA {
		req.Header["User-Agent"] = c.ua
	}
	return req, nil
}

// fail fills resp for a failed request, distinguishing the caller canceling
// ctx from our own timeout (rctx) and from other transport errors.
func (c *Client) fail(resp *Response, ctx, rctx context.Context, err error, rawURL string, timeout time.Duration) {
	if ctx.Err() != nil {
		resp.setCanceled(err)
		return
	}
	if errors.Is(context.Cause(rctx), errRequestTimeout) {
		resp.setErr(err, "timeout after "+timeout.String())
		return
	}
	resp.setErr(err, errText(err, rawURL, c.dialer.Timeout))
}

func (r *Response) setCanceled(cause error) {
	r.Canceled = true
	r.ErrText = "canceled"
	r.Err = &reqError{text: r.ErrText, err: cause}
}

func (r *Response) setErr(err error, text string) {
	r.ErrText = text
	r.Err = &reqError{text: text, err: err}
}

// reqError is the error stored in Response.Err: its message is the stable
// ErrText and it unwraps to the underlying error.
type reqError struct {
	text string
	err  error
}

func (e *reqError) Error() string { return e.text }
func (e *reqError) Unwrap() error { return e.err }

// statusText returns the reason phrase sent by the server, falling back to
// the standard text for the code.
func statusText(resp *http.Response) string {
	s := resp.Status
	if len(s) > 4 && s[3] == ' ' {
		return s[4:]
	}
	return http.StatusText(resp.StatusCode)
}

// readBody reads resp.Body to its end (so the connection can be reused)
// and returns it (nil when empty or discarded) and its size, as bo says.
func readBody(resp *http.Response, bo bodyOpts) ([]byte, int64, error) {
	if resp.Body == http.NoBody {
		return nil, 0, nil
	}
	var res rawResp
	err := readBodyInto(&res, resp.Body, resp.ContentLength, bo.limit, bo.discard)
	if err == errBodyLimit {
		err = bodyTooLarge(bo.limit, resp.Uncompressed)
	}
	if err != nil {
		return nil, 0, err
	}
	return res.body, res.size, nil
}
