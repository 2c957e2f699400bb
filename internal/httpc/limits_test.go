package httpc

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hostileServer is a TCP server on loopback that answers each connection
// with serve, however it likes. It counts the connections it accepted.
type hostileServer struct {
	URL   string
	conns atomic.Int32
}

// newHostileServer starts a hostileServer; at the end of the test it stops
// accepting, closes every connection and waits for serve to return.
func newHostileServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) *hostileServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &hostileServer{URL: "http://" + ln.Addr().String()}
	var (
		mu   sync.Mutex
		open []net.Conn
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// readRequest reads one request (head and body) from br; it returns its
// method, or "" when the connection ended.
func readRequest(br *bufio.Reader) string {
	req, err := http.ReadRequest(br)
	if err != nil {
		return ""
	}
	_, _ = io.Copy(io.Discard, req.Body)
	return req.Method
}

// allocDuring returns the bytes allocated by the whole process while f
// runs (runtime.MemStats.TotalAlloc), which bounds what f held at once.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// wantFailure checks that resp is a failure with the text want.
func wantFailure(t *testing.T, resp *Response, want string) {
	t.Helper()
	if resp.Err == nil || resp.Status != 0 || resp.Canceled {
		t.Fatalf("status %d, Err %v, Canceled %v: want the failure %q", resp.Status, resp.Err, resp.Canceled, want)
	}
	if resp.ErrText != want || resp.Err.Error() != want {
		t.Errorf("ErrText = %q, want %q", resp.ErrText, want)
	}
}

const (
	bodyLimitText   = "response body exceeds 67108864 bytes (--max-body-size; discard bodies you do not need)"
	headerLimitText = "response headers exceed 1048576 bytes (the client's limit)"
	unexpectedEOF   = "server closed connection (unexpected EOF)"
)

// TestHugeContentLength checks that a declared length is never allocated
// up front: a length beyond the limit fails at once, and without a limit
// (or when discarding) memory follows the bytes that really arrive.
func TestHugeContentLength(t *testing.T) {
	for _, tc := range []struct {
		name   string
		length string
		opt    Options
		req    Request
		want   string
	}{
		{"default limit", "1000000000000", Options{}, Request{}, bodyLimitText},
		{"no limit", "1000000000000", Options{MaxBodyBytes: -1}, Request{}, unexpectedEOF},
		{"no limit for the request", "8000000000", Options{}, Request{MaxBodyBytes: -1}, unexpectedEOF},
		{"discarded", "8000000000", Options{DiscardBodies: true}, Request{}, unexpectedEOF},
		{"discarded by the request", "8000000000", Options{}, Request{DiscardBody: true}, unexpectedEOF},
		{"within the limit", "100000", Options{}, Request{}, unexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
				readRequest(br)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+tc.length+"\r\n\r\n")
				c.Write(bytes.Repeat([]byte("x"), 50<<10))
			})
			c := New(tc.opt)
			defer c.CloseIdle()
			req := tc.req
			req.URL = srv.URL
			var resp *Response
			alloc := allocDuring(func() { resp = c.Do(testCtx(t), &req) })
			wantFailure(t, resp, tc.want)
			if tc.want == bodyLimitText && !errors.Is(resp.Err, ErrBodyTooLarge) {
				t.Errorf("errors.Is(%v, ErrBodyTooLarge) = false", resp.Err)
			}
			if alloc > 4<<20 {
				t.Errorf("the request allocated %d bytes, want < 4 MiB", alloc)
			}
		})
	}
}

// TestHeaderFlood checks that response heads beyond the limit fail with
// bounded memory, whatever shape the flood takes.
func TestHeaderFlood(t *testing.T) {
	const flood = 200 << 20
	line := []byte("X-Flood: " + strings.Repeat("a", 1000) + "\r\n")
	for _, tc := range []struct {
		name  string
		start string
		unit  []byte
	}{
		{"many headers", "HTTP/1.1 200 OK\r\n", line},
		{"one endless header", "HTTP/1.1 200 OK\r\nX-Long: ", bytes.Repeat([]byte("b"), 4096)},
		{"endless status line", "HTTP/1.1 200 ", bytes.Repeat([]byte("c"), 4096)},
		{"endless 1xx responses", "", []byte("HTTP/1.1 100 Continue\r\nX-A: b\r\n\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
				readRequest(br)
				bw := bufio.NewWriterSize(c, 64<<10)
				bw.WriteString(tc.start)
				for n := 0; n < flood; n += len(tc.unit) {
					if _, err := bw.Write(tc.unit); err != nil {
						return // the client gave up
					}
				}
				bw.Flush()
			})
			c := New(Options{})
			defer c.CloseIdle()
			var resp *Response
			alloc := allocDuring(func() { resp = c.Do(testCtx(t), &Request{URL: srv.URL}) })
			wantFailure(t, resp, headerLimitText)
			if !errors.Is(resp.Err, ErrHeadersTooLarge) {
				t.Errorf("errors.Is(%v, ErrHeadersTooLarge) = false", resp.Err)
			}
			// TotalAlloc counts what was freed on the way too (the 1xx
			// responses): it bounds what was held.
			t.Logf("allocated %d bytes", alloc)
			if alloc > 32<<20 {
				t.Errorf("the request allocated %d bytes, want < 32 MiB", alloc)
			}
		})
	}
}

// TestMaxHeaderBytes checks Options.MaxHeaderBytes on both sides of the
// limit.
func TestMaxHeaderBytes(t *testing.T) {
	head := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("h", 3000) + "\r\nContent-Length: 2\r\n\r\nok"
	srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
		for readRequest(br) != "" {
			io.WriteString(c, head)
		}
	})
	ok := New(Options{MaxHeaderBytes: 4096}).Do(testCtx(t), &Request{URL: srv.URL})
	if ok.Err != nil || string(ok.Body) != "ok" {
		t.Errorf("a head within the limit: Err %v, body %q", ok.Err, ok.Body)
	}
	over := New(Options{MaxHeaderBytes: 2048}).Do(testCtx(t), &Request{URL: srv.URL})
	wantFailure(t, over, "response headers exceed 2048 bytes (the client's limit)")
}

// gzipBomb returns a gzip stream of n MiB of zeros: n members of one MiB
// each, about 1 KB apiece.
func gzipBomb(t *testing.T, n int) []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return bytes.Repeat(member.Bytes(), n)
}

// TestGzipBomb checks that the body limit counts decoded bytes: 1 GB of
// zeros in about 1 MB of gzip fails at the limit, holding little memory.
func TestGzipBomb(t *testing.T) {
	bomb := gzipBomb(t, 1024)
	for _, chunked := range []bool{false, true} {
		t.Run("chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
			srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
				for readRequest(br) != "" {
					if chunked {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
						cw := bufio.NewWriter(c)
						io.WriteString(cw, strconv.FormatInt(int64(len(bomb)), 16)+"\r\n")
						cw.Write(bomb)
						io.WriteString(cw, "\r\n0\r\n\r\n")
						cw.Flush()
					} else {
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "+strconv.Itoa(len(bomb))+"\r\n\r\n")
						c.Write(bomb)
					}
				}
			})
			c := New(Options{MaxBodyBytes: 4 << 20})
			defer c.CloseIdle()
			var resp *Response
			alloc := allocDuring(func() { resp = c.Do(testCtx(t), &Request{URL: srv.URL}) })
			wantFailure(t, resp, "response body exceeds 4194304 bytes once decompressed (--max-body-size; discard bodies you do not need)")
			if !errors.Is(resp.Err, ErrBodyTooLarge) {
				t.Errorf("errors.Is(%v, ErrBodyTooLarge) = false", resp.Err)
			}
			if alloc > 16<<20 {
				t.Errorf("the request allocated %d bytes, want < 16 MiB", alloc)
			}
			// The connection was closed, not reused: the next request
			// opens another one.
			resp = c.Do(testCtx(t), &Request{URL: srv.URL, MaxBodyBytes: 1 << 20})
			wantFailure(t, resp, "response body exceeds 1048576 bytes once decompressed (--max-body-size; discard bodies you do not need)")
			if n := srv.conns.Load(); n != 2 {
				t.Errorf("%d connections, want 2 (none reused after a failure)", n)
			}
		})
	}
}

// TestLyingFraming checks bodies that end before their framing says.
func TestLyingFraming(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("gzip "), 1000))
	zw.Close()
	for _, tc := range []struct {
		name, response string
		req            Request
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nshort", Request{}},
		{"content-length discarded", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", Request{DiscardBody: true}},
		{"chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nshort", Request{}},
		{"no last chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nshort\r\n", Request{}},
		{"no trailer end", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nshort\r\n0\r\n", Request{}},
		{"gzip", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(gz.Len()) + "\r\n\r\n" + gz.String()[:gz.Len()/2], Request{}},
		{"gzip discarded", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(gz.Len()) + "\r\n\r\n" + gz.String()[:gz.Len()/2], Request{DiscardBody: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
				readRequest(br)
				io.WriteString(c, tc.response)
			})
			c := New(Options{})
			defer c.CloseIdle()
			req := tc.req
			req.URL = srv.URL
			wantFailure(t, c.Do(testCtx(t), &req), unexpectedEOF)
		})
	}
}

// TestChunkedBeyondLimit checks a chunked body beyond the limit: it fails
// when kept and is counted when discarded.
func TestChunkedBeyondLimit(t *testing.T) {
	chunk := bytes.Repeat([]byte("z"), 64<<10)
	srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
		for readRequest(br) != "" {
			bw := bufio.NewWriter(c)
			bw.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			for range 32 { // 2 MiB
				bw.WriteString(strconv.FormatInt(int64(len(chunk)), 16) + "\r\n")
				bw.Write(chunk)
				bw.WriteString("\r\n")
			}
			bw.WriteString("0\r\nX-Trailer: t\r\n\r\n")
			if bw.Flush() != nil {
				return
			}
		}
	})
	c := New(Options{MaxBodyBytes: 1 << 20})
	defer c.CloseIdle()
	wantFailure(t, c.Do(testCtx(t), &Request{URL: srv.URL}),
		"response body exceeds 1048576 bytes (--max-body-size; discard bodies you do not need)")
	for range 2 { // the second on the same connection
		resp := c.Do(testCtx(t), &Request{URL: srv.URL, DiscardBody: true})
		if resp.Err != nil || resp.Status != 200 || resp.Body != nil || resp.Size != 2<<20 {
			t.Fatalf("discarded: status %d, Err %v, %d bytes kept, Size %d", resp.Status, resp.Err, len(resp.Body), resp.Size)
		}
	}
	resp := c.Do(testCtx(t), &Request{URL: srv.URL, MaxBodyBytes: 2 << 20})
	if resp.Err != nil || len(resp.Body) != 2<<20 || resp.Size != 2<<20 {
		t.Fatalf("a request's own limit: Err %v, %d bytes, Size %d", resp.Err, len(resp.Body), resp.Size)
	}
	if n := srv.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2: one closed after the failure, one reused", n)
	}
}

// TestSize checks Response.Size for kept, discarded and gzip bodies: the
// decoded length when the client decoded the body.
func TestSize(t *testing.T) {
	plain := strings.Repeat("size ", 2000)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gzip" {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			io.WriteString(zw, plain)
			zw.Close()
			return
		}
		io.WriteString(w, plain)
	}))
	for _, path := range []string{"/", "/gzip"} {
		for _, discard := range []bool{false, true} {
			c := New(Options{DiscardBodies: discard})
			resp := c.Do(testCtx(t), &Request{URL: srv.URL + path})
			if resp.Err != nil || resp.Size != int64(len(plain)) {
				t.Errorf("%s, discard %v: Err %v, Size %d, want %d", path, discard, resp.Err, resp.Size, len(plain))
			}
			if discard && resp.Body != nil || !discard && string(resp.Body) != plain {
				t.Errorf("%s, discard %v: %d bytes kept", path, discard, len(resp.Body))
			}
			c.CloseIdle()
		}
	}
}

// TestDiscardBodiesMemory checks that 20 users reading 50 MB bodies they
// discard hold little memory, and still count every byte.
func TestDiscardBodiesMemory(t *testing.T) {
	const size = 50 << 20
	chunk := bytes.Repeat([]byte("d"), 256<<10)
	srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
		for readRequest(br) != "" {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(size)+"\r\n\r\n")
			for n := 0; n < size; n += len(chunk) {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	resps := make([]*Response, 20)
	alloc := allocDuring(func() {
		for i := range resps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := New(Options{DiscardBodies: true})
				defer c.CloseIdle()
				resps[i] = c.Do(ctx, &Request{URL: srv.URL, Timeout: time.Minute})
			}()
		}
		wg.Wait()
	})
	for i, resp := range resps {
		if resp.Err != nil || resp.Status != 200 || resp.Body != nil || resp.Size != size {
			t.Fatalf("user %d: status %d, Err %v, %d bytes kept, Size %d", i, resp.Status, resp.Err, len(resp.Body), resp.Size)
		}
	}
	t.Logf("20 users read %d MB and allocated %d bytes", 20*size>>20, alloc)
	if alloc > 32<<20 {
		t.Errorf("allocated %d bytes, want < 32 MiB", alloc)
	}
}

// TestLimitsThroughProxy checks the limits, discarding and Size on the
// path through net/http's transport, taken when a proxy is configured.
func TestLimitsThroughProxy(t *testing.T) {
	bomb := gzipBomb(t, 16)
	proxy := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path { // the proxy answers for any host
		case "/big":
			w.Write(bytes.Repeat([]byte("b"), 2<<20))
		case "/bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		case "/headers":
			w.Header().Set("X-Big", strings.Repeat("h", 2<<20))
		case "/huge":
			c, bw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			bw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\nshort")
			bw.Flush()
			c.Close()
		default:
			io.WriteString(w, "ok")
		}
	}))
	t.Setenv("HTTP_PROXY", proxy.URL) // New then takes net/http's transport
	newClient := func(o Options) *Client {
		c := New(o)
		if c.tr == nil {
			t.Fatal("HTTP_PROXY is set, but the client does not use net/http's transport")
		}
		u, _ := url.Parse(proxy.URL)
		c.tr.Proxy = http.ProxyURL(u) // ProxyFromEnvironment reads the environment once per process
		t.Cleanup(c.CloseIdle)
		return c
	}
	c := newClient(Options{MaxBodyBytes: 1 << 20})
	const target = "http://target.invalid"
	ctx := testCtx(t)
	wantFailure(t, c.Do(ctx, &Request{URL: target + "/big"}),
		"response body exceeds 1048576 bytes (--max-body-size; discard bodies you do not need)")
	wantFailure(t, c.Do(ctx, &Request{URL: target + "/bomb"}),
		"response body exceeds 1048576 bytes once decompressed (--max-body-size; discard bodies you do not need)")
	wantFailure(t, c.Do(ctx, &Request{URL: target + "/headers"}), headerLimitText)
	wantFailure(t, newClient(Options{}).Do(ctx, &Request{URL: target + "/huge"}), bodyLimitText)
	resp := c.Do(ctx, &Request{URL: target + "/big", DiscardBody: true})
	if resp.Err != nil || resp.Body != nil || resp.Size != 2<<20 {
		t.Errorf("discarded: Err %v, %d bytes kept, Size %d", resp.Err, len(resp.Body), resp.Size)
	}
	resp = c.Do(ctx, &Request{URL: target + "/small"})
	if resp.Err != nil || string(resp.Body) != "ok" || resp.Size != 2 {
		t.Errorf("small: Err %v, body %q, Size %d", resp.Err, resp.Body, resp.Size)
	}
}
