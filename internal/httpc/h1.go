package httpc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
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
	br  *bufio.Reader
	bw  *bufio.Writer
	key string
}

// http1Client is the state of a Client's HTTP/1.1 client: its idle
// connections, a short list (a VU talks to a host or two), most recently
// used last, which costs much less than a map in each of thousands of
// clients.
type http1Client struct {
	mu   sync.Mutex
	idle []*http1Conn
}

// aLongTimeAgo is a deadline in the past: setting it makes blocked I/O
// return at once (how a canceled context interrupts a request).
var aLongTimeAgo = time.Unix(1, 0)

// errBadResponse marks a response the HTTP/1.1 client could not parse.
type errBadResponse struct{ what string }

func (e *errBadResponse) Error() string { return "malformed HTTP response: " + e.what }

func (w *http1Client) get(key string) *http1Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.idle) - 1; i >= 0; i-- {
		if c := w.idle[i]; c.key == key {
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

// attach lends buffers to c.
func (c *http1Conn) attach() {
	if c.br == nil {
		c.br = readers.Get().(*bufio.Reader)
		c.br.Reset(c.nc)
	}
	if c.bw == nil {
		c.bw = writers.Get().(*bufio.Writer)
		c.bw.Reset(c.nc)
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
	if c.bw != nil {
		c.bw.Reset(nil)
		writers.Put(c.bw)
		c.bw = nil
	}
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

// dial opens a connection for key.
func (c *Client) dial(ctx context.Context, u *url.URL, key string) (*http1Conn, error) {
	nc, err := c.dialer.DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, err
	}
	if u.Scheme == "https" {
		tc, err := c.handshake(ctx, nc, u, c.tlsc.h1) // see tls.go
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
	close      bool // the connection cannot be reused
	headersAt  time.Time
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
	u, err := parseURL(r.URL)
	if err != nil {
		resp.setErr(err, err.Error())
		return
	}
	body := r.Body
	for redirects := 0; ; redirects++ {
		res, err := c.exchange(ctx, deadline, method, u, r.Header, body)
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
		if loc := res.header.Get("Location"); loc != "" && isRedirect(res.status) && limit > 0 {
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
		resp.Timings = Timings{
			Duration:  now.Sub(start),
			Waiting:   res.headersAt.Sub(start),
			Receiving: now.Sub(res.headersAt),
		}
		resp.Status = res.status
		resp.StatusText = res.statusText
		if resp.StatusText == "" {
			resp.StatusText = http.StatusText(res.status)
		}
		resp.Proto = res.proto
		resp.Header = res.header
		resp.Body = res.body
		resp.URL = u.String()
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

// parseURL accepts absolute http and https URLs with a host.
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
// connection, retrying once on a fresh connection when a reused one turns
// out to have been closed by the server before it answered.
func (c *Client) exchange(ctx context.Context, deadline time.Time, method string, u *url.URL, hdr http.Header, body []byte) (*rawResp, error) {
	key := u.Scheme + "://" + hostPort(u)
	for attempt := 0; ; attempt++ {
		cn := c.h1.get(key)
		reused := cn != nil
		if cn == nil {
			dctx, cancel := context.WithDeadline(ctx, deadline)
			var err error
			cn, err = c.dial(dctx, u, key)
			cancel()
			if err != nil {
				return nil, err
			}
		}
		_ = cn.nc.SetDeadline(deadline)
		cn.attach()
		stop := context.AfterFunc(ctx, func() { _ = cn.nc.SetDeadline(aLongTimeAgo) })
		res, started, err := c.roundTrip(cn, method, u, hdr, body)
		stop()
		if err != nil {
			cn.detach()
			cn.nc.Close()
			if reused && !started && attempt == 0 && ctx.Err() == nil && staleConn(err) {
				continue
			}
			return nil, err
		}
		if res.close {
			cn.detach()
			cn.nc.Close()
		} else {
			_ = cn.nc.SetDeadline(time.Time{})
			c.h1.put(cn)
		}
		return res, nil
	}
}

// staleConn reports whether err is what a keep-alive connection closed by
// the server gives.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// roundTrip writes the request and reads the response. started reports
// whether any byte of a response arrived (then a retry is not safe).
func (c *Client) roundTrip(cn *http1Conn, method string, u *url.URL, hdr http.Header, body []byte) (res *rawResp, started bool, err error) {
	gz, err := c.writeRequest(cn.bw, method, u, hdr, body)
	if err != nil {
		return nil, false, err
	}
	if err := cn.bw.Flush(); err != nil {
		return nil, false, err
	}
	if _, err := cn.br.Peek(1); err != nil {
		return nil, false, err
	}
	res, err = readResponse(cn.br, method, gz)
	if err == nil && hasToken(hdr.Values("Connection"), "close") {
		res.close = true
	}
	return res, true, err
}

// writeRequest writes the request head and body. It returns whether it
// asked for gzip itself (then a gzip body is decoded transparently).
func (c *Client) writeRequest(bw *bufio.Writer, method string, u *url.URL, hdr http.Header, body []byte) (gz bool, err error) {
	bw.WriteString(method)
	bw.WriteByte(' ')
	bw.WriteString(u.RequestURI())
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

func hasToken(vs []string, token string) bool {
	for _, v := range vs {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// readResponse reads one response (skipping 1xx interim responses) and its
// whole body.
func readResponse(br *bufio.Reader, method string, gz bool) (*rawResp, error) {
	tp := textproto.NewReader(br)
	res := &rawResp{}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return nil, err
		}
		proto, rest, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(proto, "HTTP/") {
			return nil, &errBadResponse{fmt.Sprintf("status line %q", line)}
		}
		codeStr, text, _ := strings.Cut(rest, " ")
		code, err := strconv.Atoi(codeStr)
		if err != nil || code < 100 || code > 999 {
			return nil, &errBadResponse{fmt.Sprintf("status code %q", codeStr)}
		}
		h, err := tp.ReadMIMEHeader()
		if err != nil && len(h) == 0 {
			return nil, err
		}
		if code >= 100 && code < 200 && code != 101 {
			continue // interim response: the real one follows
		}
		res.status, res.statusText, res.proto, res.header = code, text, proto, http.Header(h)
		break
	}
	res.headersAt = time.Now()
	h := res.header
	res.close = hasToken(h.Values("Connection"), "close") || res.proto == "HTTP/1.0" && !hasToken(h.Values("Connection"), "keep-alive")
	noBody := method == http.MethodHead || res.status == 204 || res.status == 304 || res.status < 200
	var err error
	switch {
	case noBody:
	case hasToken(h.Values("Transfer-Encoding"), "chunked"):
		res.body, err = io.ReadAll(httputil.NewChunkedReader(br))
		if err == nil {
			_, err = tp.ReadMIMEHeader() // trailers, up to the final blank line
		}
		h.Del("Transfer-Encoding")
	case h.Get("Content-Length") != "":
		n, perr := strconv.ParseInt(strings.TrimSpace(h.Get("Content-Length")), 10, 64)
		if perr != nil || n < 0 {
			return nil, &errBadResponse{"Content-Length " + h.Get("Content-Length")}
		}
		if n > 0 {
			res.body = make([]byte, n)
			_, err = io.ReadFull(br, res.body)
		}
	default:
		res.body, err = io.ReadAll(br) // the body ends when the server closes
		res.close = true
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if gz && strings.EqualFold(h.Get("Content-Encoding"), "gzip") && len(res.body) > 0 {
		zr, err := gzip.NewReader(bytes.NewReader(res.body))
		if err != nil {
			return nil, fmt.Errorf("decoding gzip body: %w", err)
		}
		if res.body, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("decoding gzip body: %w", err)
		}
		h.Del("Content-Encoding")
		h.Del("Content-Length")
	}
	if len(res.body) == 0 {
		res.body = nil
	}
	return res, nil
}
