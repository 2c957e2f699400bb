package httpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// HTTP/2 goes through net/http's own HTTP/2 implementation, one
// multiplexed connection per Client and host, made with
// http.Transport.NewClientConn. The Client dials and runs the TLS
// handshake itself, so that a server that does not choose "h2" through
// ALPN is served by the HTTP/1.1 client over that same connection.
// Redirects, cookies and transparent gzip are those of net/http's
// http.Client and Transport, as on the proxy path; the cookie jar is the
// Client's one for both protocols. A redirect that the HTTP/1.1 client
// follows (from a plain http URL, or a host without HTTP/2) stays on
// HTTP/1.1 to its end; one from an HTTP/2 host to a host without HTTP/2
// goes over net/http's HTTP/1.1 transport. Timings on this path are those
// of the proxy path: Waiting ends when net/http returns the response
// headers and Receiving is reading the body; when the request made the
// connection, its dial and handshake count in Duration and Waiting.

// The values of Options.Protocol.
const (
	// ProtocolAuto uses HTTP/2 over TLS when the server offers it through
	// ALPN and HTTP/1.1 otherwise, as browsers do.
	ProtocolAuto = ""
	// ProtocolHTTP1 forces HTTP/1.1: h2 is not offered.
	ProtocolHTTP1 = "http1.1"
	// ProtocolH2C speaks HTTP/2 over cleartext with prior knowledge to
	// http URLs; https URLs are treated as with ProtocolAuto.
	ProtocolH2C = "h2c"
	// ProtocolH2 requires HTTP/2 over TLS: a request to an http URL, or to
	// a server that does not choose h2, fails.
	ProtocolH2 = "h2"
)

// protocol is the parsed Options.Protocol.
type protocol uint8

const (
	protoAuto protocol = iota
	protoHTTP1
	protoH2C
	protoH2
)

// parseProtocol parses Options.Protocol.
func parseProtocol(s string) (protocol, error) {
	switch s {
	case ProtocolAuto:
		return protoAuto, nil
	case ProtocolHTTP1:
		return protoHTTP1, nil
	case ProtocolH2C:
		return protoH2C, nil
	case ProtocolH2:
		return protoH2, nil
	}
	return 0, errors.New(`protocol "` + s + `" is not one of "" (auto), "http1.1", "h2", "h2c"`)
}

// errNoH2 is the failure of a request that requires HTTP/2 when the server
// did not choose it; err is the handshake's error, if any (a server that
// speaks none of the protocols offered may refuse the handshake).
type errNoH2 struct{ err error }

func (e *errNoH2) Error() string {
	return `the server does not speak HTTP/2 (protocol "h2" requires it)`
}
func (e *errNoH2) Unwrap() error { return e.err }

// errH2NeedsTLS is the failure of an http URL under ProtocolH2.
var errH2NeedsTLS = errors.New(`protocol "h2" needs https URLs (use "h2c" for HTTP/2 over cleartext)`)

// h2Conn is one HTTP/2 connection of a Client.
type h2Conn struct {
	key string
	cc  *http.ClientConn
	nc  *h2NetConn
}

// h2NetConn is the network (or TLS) connection under an HTTP/2 one: it
// records its first read error, because net/http reports a connection
// that fails before its first response only as "http2: client conn could
// not be established", while the read error (a TLS alert refusing the
// client certificate, a reset) says why.
type h2NetConn struct {
	net.Conn
	mu   sync.Mutex
	rerr error
}

// Read implements net.Conn.
func (c *h2NetConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.mu.Lock()
		if c.rerr == nil {
			c.rerr = err
		}
		c.mu.Unlock()
	}
	return n, err
}

// why returns the read error that broke the connection, or err when
// there is none (or the connection was closed by the Client).
func (c *h2NetConn) why(err error) error {
	c.mu.Lock()
	rerr := c.rerr
	c.mu.Unlock()
	if rerr == nil || errors.Is(rerr, net.ErrClosed) {
		return err
	}
	return rerr
}

// h2Client is the HTTP/2 state of a Client: its connections (one per
// host), the https hosts found to speak HTTP/1.1 only, and the
// http.Client that runs HTTP/2 requests, made on first use.
type h2Client struct {
	mu    sync.Mutex
	conns []*h2Conn
	h1    []string // keys of https hosts that did not choose h2
	hc    *http.Client
	// fallback carries redirect hops to hosts without HTTP/2 (plain http,
	// or https that chose HTTP/1.1); made on first use.
	fallback *http.Transport
}

// preDialedKey is the context key under which a Client hands the
// connection it dialed to h2Maker's dial functions.
type preDialedKey struct{}

// preDialed returns the connection stored in ctx: h2Maker never dials.
func preDialed(ctx context.Context, _, _ string) (net.Conn, error) {
	if nc, ok := ctx.Value(preDialedKey{}).(net.Conn); ok {
		return nc, nil
	}
	return nil, errors.New("httpc: no connection to wrap")
}

// h2Maker turns connections dialed by Clients into HTTP/2 client
// connections (NewClientConn); it keeps no connection and is shared by
// all Clients with the same header limit (Options.MaxHeaderBytes, which
// net/http's HTTP/2 client takes from the Transport's
// MaxResponseHeaderBytes). Its Protocols (HTTP/2 and unencrypted HTTP/2,
// not HTTP/1) make a TLS connection that chose h2 an HTTP/2 one and a
// plain one an HTTP/2 one with prior knowledge.
func h2Maker(maxHeader int64) *http.Transport {
	if t, ok := h2Makers.Load(maxHeader); ok {
		return t.(*http.Transport)
	}
	p := new(http.Protocols)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(true)
	t, _ := h2Makers.LoadOrStore(maxHeader, &http.Transport{
		Protocols:              p,
		DialContext:            preDialed,
		DialTLSContext:         preDialed,
		MaxResponseHeaderBytes: maxHeader,
	})
	return t.(*http.Transport)
}

// h2Makers holds h2Maker's transports by header limit.
var h2Makers sync.Map // int64 -> *http.Transport

// key returns the connection key of u: scheme, host and port.
func connKey(u *url.URL) string { return u.Scheme + "://" + hostPort(u) }

// isHTTPS reports whether rawURL starts with "https://" in any case.
func isHTTPS(rawURL string) bool {
	return len(rawURL) >= 8 && strings.EqualFold(rawURL[:8], "https://")
}

// doH2 performs r when the Client may speak HTTP/2 to r's host. It uses
// the host's HTTP/2 connection, or makes one, or hands r to the HTTP/1.1
// client when the host speaks HTTP/1.1 only (and the protocol allows it).
// A connection made here counts in the request's timings.
func (c *Client) doH2(ctx context.Context, r *Request, resp *Response, timeout time.Duration, limit int) {
	u, err := parseURL(r.URL)
	if err != nil {
		resp.setErr(err, err.Error())
		return
	}
	if u.Scheme == "http" && c.proto != protoH2C {
		if c.proto == protoH2 {
			resp.setErr(errH2NeedsTLS, errH2NeedsTLS.Error())
			return
		}
		c.doHTTP1(ctx, r, resp, timeout, limit)
		return
	}
	key := connKey(u)
	hc, h1 := c.h2.lookup(key)
	var connect time.Duration
	var pre *Trace // the connection's phases, when r is traced
	if hc == nil && !h1 {
		start := time.Now()
		deadline := start.Add(timeout)
		dctx, cancel := context.WithDeadline(ctx, deadline)
		if r.Trace != nil {
			pre = &Trace{}
		}
		_, h1, err = c.connectH2(dctx, u, key, pre)
		cancel()
		now := time.Now()
		connect = now.Sub(start)
		if err != nil {
			resp.End = now
			resp.Timings.Duration = connect
			switch {
			case ctx.Err() != nil:
				resp.setCanceled(err)
			case !now.Before(deadline):
				resp.setErr(err, "timeout after "+timeout.String())
			default:
				resp.setErr(err, errText(err, r.URL, c.dialer.Timeout))
			}
			return
		}
	}
	rest := timeout - connect // the request's timeout covers the connection made
	if h1 {
		// The connection just made, if any, waits in the HTTP/1.1 pool.
		c.doHTTP1(ctx, r, resp, rest, limit)
	} else {
		c.doNetHTTP(ctx, c.h2.client(c), r, resp, rest, limit)
	}
	if rest != timeout && resp.ErrText == "timeout after "+rest.String() {
		resp.setErr(errors.Unwrap(resp.Err), "timeout after "+timeout.String())
	}
	if pre != nil {
		r.Trace.connectedBefore(pre)
	}
	if connect > 0 && resp.Timings.Duration > 0 {
		resp.Timings.Duration += connect
		if resp.Timings.Waiting > 0 {
			resp.Timings.Waiting += connect
		}
	}
}

// lookup returns the live HTTP/2 connection for key, or reports that the
// host speaks HTTP/1.1 only; neither means the host is not known yet.
func (h *h2Client) lookup(key string) (hc *h2Conn, h1 bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := 0; i < len(h.conns); i++ {
		if h.conns[i].key != key {
			continue
		}
		if h.conns[i].cc.Err() == nil {
			return h.conns[i], false
		}
		h.conns[i].cc.Close()
		h.conns = append(h.conns[:i], h.conns[i+1:]...)
		i--
	}
	for _, k := range h.h1 {
		if k == key {
			return nil, true
		}
	}
	return nil, false
}

// connectH2 dials u's host and makes an HTTP/2 connection to it, kept for
// key. When the TLS server chooses HTTP/1.1 instead, it reports h1, keeps
// the connection in the HTTP/1.1 pool and remembers the host, unless the
// protocol requires HTTP/2 (then it fails with an *errNoH2).
func (c *Client) connectH2(ctx context.Context, u *url.URL, key string, tr *Trace) (hc *h2Conn, h1 bool, err error) {
	if c.optErr != nil {
		return nil, false, c.optErr
	}
	if tr != nil {
		tr.dialing()
	}
	nc, err := c.dialer.DialContext(ctx, "tcp", hostPort(u))
	if tr != nil {
		tr.dialed()
	}
	if err != nil {
		return nil, false, err
	}
	if u.Scheme == "https" {
		cfg := c.tlsc.auto
		if c.proto == protoH2 {
			cfg = c.tlsc.h2
		}
		tc, err := c.handshake(ctx, nc, u, cfg)
		if tr != nil {
			tr.shook()
			if err == nil {
				tr.got(tc)
			}
		}
		if err != nil {
			if c.proto == protoH2 && strings.HasSuffix(err.Error(), "no application protocol") {
				err = &errNoH2{err}
			}
			return nil, false, err
		}
		if tc.ConnectionState().NegotiatedProtocol != "h2" {
			if c.proto == protoH2 {
				tc.Close()
				return nil, false, &errNoH2{}
			}
			c.h2.mu.Lock()
			c.h2.h1 = append(c.h2.h1, key)
			c.h2.mu.Unlock()
			c.h1.put(&http1Conn{nc: tc, key: key})
			return nil, true, nil
		}
		nc = tc
	}
	// Wrapped, the connection is no *tls.Conn to net/http, which then
	// takes it as it takes a cleartext one: HTTP/2 from the first byte.
	wc := &h2NetConn{Conn: nc}
	cc, err := h2Maker(c.h1.maxHeader).NewClientConn(context.WithValue(ctx, preDialedKey{}, net.Conn(wc)), u.Scheme, hostPort(u))
	if err != nil {
		nc.Close()
		return nil, false, err
	}
	hc = &h2Conn{key: key, cc: cc, nc: wc}
	c.h2.mu.Lock()
	c.h2.conns = append(c.h2.conns, hc)
	c.h2.mu.Unlock()
	return hc, false, nil
}

// client returns the http.Client of the HTTP/2 path, making it on first
// use: it shares the Client's cookie jar and redirect rule.
func (h *h2Client) client(c *Client) *http.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hc == nil {
		h.hc = &http.Client{
			Transport:     h2Transport{c},
			Jar:           sharedJar{c},
			CheckRedirect: checkRedirect,
		}
	}
	return h.hc
}

// fallbackTransport returns the HTTP/1.1 transport for redirect hops to
// hosts without HTTP/2, making it on first use.
func (h *h2Client) fallbackTransport(c *Client) *http.Transport {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fallback == nil {
		p := new(http.Protocols)
		p.SetHTTP1(true)
		h.fallback = &http.Transport{
			Protocols:           p,
			DialContext:         c.dialer.DialContext,
			TLSClientConfig:     c.tlsc.h1, // not modified: HTTP/2 is off
			TLSHandshakeTimeout: c.dialer.Timeout,
			MaxIdleConnsPerHost: maxIdleConnsPerHost,
			IdleConnTimeout:     90 * time.Second,
			// Options.MaxHeaderBytes, as on the HTTP/1.1 client.
			MaxResponseHeaderBytes: c.h1.maxHeader,
		}
	}
	return h.fallback
}

// closeIdle closes the HTTP/2 connections that carry no request and the
// fallback transport's idle connections.
func (h *h2Client) closeIdle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.conns[:0]
	for _, x := range h.conns {
		if x.cc.InFlight() == 0 {
			x.cc.Close()
		} else {
			kept = append(kept, x)
		}
	}
	clear(h.conns[len(kept):])
	h.conns = kept
	if h.fallback != nil {
		h.fallback.CloseIdleConnections()
	}
}

// h2Transport is the RoundTripper of the HTTP/2 path: each request (each
// redirect hop) goes over its host's HTTP/2 connection, made if needed, or
// over the fallback transport when the host has no HTTP/2.
type h2Transport struct{ c *Client }

// RoundTrip implements http.RoundTripper. A request that fails on a reused
// connection which the server has since closed is sent once more on a new
// connection when its method is idempotent.
func (t h2Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.c
	u := req.URL
	if u.Scheme == "http" && c.proto != protoH2C {
		if c.proto == protoH2 {
			return nil, errH2NeedsTLS
		}
		return c.h2.fallbackTransport(c).RoundTrip(req)
	}
	key := connKey(u)
	for attempt := 0; ; attempt++ {
		hc, h1 := c.h2.lookup(key)
		reused := hc != nil
		if hc == nil && !h1 {
			var err error
			if hc, h1, err = c.connectH2(req.Context(), u, key, nil); err != nil {
				return nil, err
			}
		}
		if h1 {
			return c.h2.fallbackTransport(c).RoundTrip(req)
		}
		resp, err := hc.cc.RoundTrip(req)
		if err == nil {
			return resp, nil
		}
		if strings.Contains(err.Error(), "response header list larger than advertised limit") {
			return nil, headersTooLarge(c.h1.maxHeader) // net/http's words for it
		}
		if hc.cc.Err() == nil || req.Context().Err() != nil {
			return nil, err
		}
		err = hc.nc.why(err)
		if !reused || attempt > 0 || !replayable(req.Method, req.Header) {
			return nil, err
		}
		if req.GetBody != nil {
			body, berr := req.GetBody()
			if berr != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

// proxyProtocols returns the protocols of the proxy path's transport for
// p: through a proxy, "h2c" is not available and behaves as auto.
func proxyProtocols(p protocol) *http.Protocols {
	ps := new(http.Protocols)
	switch p {
	case protoHTTP1:
		ps.SetHTTP1(true)
	case protoH2:
		ps.SetHTTP2(true)
	default:
		ps.SetHTTP1(true)
		ps.SetHTTP2(true)
	}
	return ps
}

// sharedJar gives the HTTP/2 path's http.Client the Client's cookie jar,
// so cookies set over either protocol are sent over both: it records, as
// the HTTP/1.1 client does, that the jar holds cookies.
type sharedJar struct{ c *Client }

// SetCookies implements http.CookieJar.
func (j sharedJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if len(cookies) > 0 {
		j.c.jar.SetCookies(u, cookies)
		j.c.hasCookies.Store(true)
	}
}

// Cookies implements http.CookieJar.
func (j sharedJar) Cookies(u *url.URL) []*http.Cookie {
	if !j.c.hasCookies.Load() {
		return nil
	}
	return j.c.jar.Cookies(u)
}
