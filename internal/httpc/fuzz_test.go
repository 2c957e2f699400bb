package httpc

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Limits of the parser under fuzzing: small, so that inputs of a few KB
// reach them.
const (
	fuzzMaxHeader = 16 << 10
	fuzzMaxBody   = 16 << 10
)

// FuzzReadResponse feeds the same bytes to readResponse and to net/http's
// ReadResponse (skipping 1xx responses as net/http's transport does, and
// reading the body to its end) and requires the same verdict: both
// reject the bytes, or both accept them with the same status, reason,
// protocol, headers, body, whether the connection may be reused, and the
// same bytes left unread after the response.
//
// The intended differences, which the comparison allows for:
//   - Limits: readResponse refuses a head beyond its budget (then the input
//     is at least that long) and a body beyond its limit (then net/http
//     fails too or reads a longer body).
//   - A status code below 100 ("000", "+99"), which net/http accepts, is
//     refused: Response.Status 0 means a failed request.
//   - 101 Switching Protocols ends the connection's use for HTTP/1.1.
//   - net/http drops a Connection header that lists "close" (HTTP/1.1 and
//     later) and adds "Cache-Control: no-cache" to "Pragma: no-cache";
//     readResponse leaves the headers as the server sent them.
//   - Trailers are read and dropped, not returned.
//   - gzip decoding (off here: the client decodes only what it asked for).
func FuzzReadResponse(f *testing.F) {
	chunk := strings.Repeat("c", 1000)
	for _, s := range []string{
		// Ordinary responses.
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\nrest",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 3\r\n\r\n1\r\na\r\n0\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil the end",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\n\r\nclose-delimited",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nframes",
		"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1   200   spaced  reason \r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
		"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length:  2\r\n\r\nok",
		"HTTP/0.9 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nbody",
		"HTTP/2.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nnot",
		// Hostile and broken ones.
		"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nshort",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Long: " + strings.Repeat("t", 5000) + "\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("3e8\r\n"+chunk+"\r\n", 20) + "0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("b", 20000),
		"HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Flood: "+chunk+"\r\n", 20) + "\r\n",
		"HTTP/1.1 200 " + strings.Repeat("s", 20000),
		strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 1000),
		"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 +99 Plus\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
		"HTTP/1.1 200 OK\r\n Leading: space\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n",
		"HTTP/1.1 200 OK",
		"HTTP/1.1",
		"HTTP/A.1 200 OK\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		wd := time.AfterFunc(10*time.Second, func() { panic("FuzzReadResponse: an input ran for 10s") })
		defer wd.Stop()
		method := http.MethodGet
		if head {
			method = http.MethodHead
		}

		// Twice, with a header cache: the second time finds the
		// first's section there, and must give the same result.
		var hc headerCache
		read := func() (*rawResp, error, int) {
			src := bytes.NewReader(data)
			in := &budgetReader{r: src}
			in.setBudget(fuzzMaxHeader)
			br := bufio.NewReaderSize(in, 4096)
			res := new(rawResp)
			err := readResponse(br, in, nil, method, bodyOpts{limit: fuzzMaxBody}, res, &hc)
			return res, err, br.Buffered() + src.Len()
		}
		res, err, left := read()
		res2, err2, left2 := read()
		if (err == nil) != (err2 == nil) || err == nil && (res.status != res2.status || !equalHeaders(res.header, res2.header) ||
			!bytes.Equal(res.body, res2.body) || res.close != res2.close || left != left2) {
			t.Fatalf("read again with the header cache: %d %q %q (%v, %d left), first %d %q %q (%v, %d left)",
				res2.status, res2.header, res2.body, err2, left2, res.status, res.header, res.body, err, left)
		}

		stdSrc := bytes.NewReader(data)
		stdBr := bufio.NewReaderSize(stdSrc, 4096)
		var std *http.Response
		var stdErr error
		for {
			std, stdErr = http.ReadResponse(stdBr, &http.Request{Method: method})
			if stdErr != nil || std.StatusCode < 100 || std.StatusCode >= 200 || std.StatusCode == 101 {
				break
			}
		}
		var stdBody []byte
		if stdErr == nil {
			stdBody, stdErr = io.ReadAll(std.Body)
		}
		stdLeft := stdBr.Buffered() + stdSrc.Len()

		switch {
		case errors.Is(err, ErrHeadersTooLarge):
			if len(data) < fuzzMaxHeader {
				t.Fatalf("head too large in %d bytes: %v", len(data), err)
			}
			return
		case errors.Is(err, ErrBodyTooLarge):
			if stdErr == nil && len(stdBody) <= fuzzMaxBody {
				t.Fatalf("body too large, but net/http read %d bytes: %v", len(stdBody), err)
			}
			return
		case stdErr == nil && std.StatusCode < 100:
			if err == nil {
				t.Fatalf("status %d accepted", res.status)
			}
			return
		case err != nil && stdErr != nil:
			return
		case err != nil:
			t.Fatalf("readResponse failed (%v), net/http accepted %s %q with body %q", err, std.Status, std.Header, stdBody)
		case stdErr != nil:
			t.Fatalf("net/http failed (%v), readResponse accepted %d %q with body %q", stdErr, res.status, res.header, res.body)
		}

		if res.status != std.StatusCode || res.proto != std.Proto {
			t.Errorf("status %d %s, net/http %d %s", res.status, res.proto, std.StatusCode, std.Proto)
		}
		if reason := statusText(std); res.statusText != reason && !(res.statusText == "" && reason == http.StatusText(res.status)) {
			t.Errorf("reason %q, net/http %q", res.statusText, reason)
		}
		h := res.header.Clone()
		if h == nil {
			h = http.Header{}
		}
		if _, ok := std.Header["Connection"]; !ok && hasToken(h["Connection"], "close") {
			delete(h, "Connection")
		}
		if p := h["Pragma"]; len(p) > 0 && p[0] == "no-cache" && h["Cache-Control"] == nil {
			h["Cache-Control"] = []string{"no-cache"}
		}
		if !equalHeaders(h, std.Header) {
			t.Errorf("headers\n%q\nnet/http\n%q", h, std.Header)
		}
		if !bytes.Equal(res.body, stdBody) || res.size != int64(len(stdBody)) {
			t.Errorf("body %q (size %d), net/http %q", res.body, res.size, stdBody)
		}
		if res.close != std.Close && res.status != 101 {
			t.Errorf("close %v, net/http %v", res.close, std.Close)
		}
		if left != stdLeft {
			t.Errorf("%d bytes left unread, net/http %d", left, stdLeft)
		}
	})
}

// equalHeaders reports whether a and b hold the same keys and values.
func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || len(va) != len(vb) {
			return false
		}
		for i := range va {
			if va[i] != vb[i] {
				return false
			}
		}
	}
	return true
}

// BenchmarkReadResponse reads the demo server's answer to GET / (status
// line, three headers, "ok\n") as the client reads it off a kept-alive
// connection, without and with the connection's header cache.
func BenchmarkReadResponse(b *testing.B) {
	msg := []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Fri, 04 Dec 2026 17:13:38 GMT\r\n\r\nok\n")
	for _, cached := range []bool{false, true} {
		name := "parsed"
		if cached {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			src := bytes.NewReader(msg)
			in := &budgetReader{r: src}
			br := bufio.NewReaderSize(in, 4096)
			var hc *headerCache
			if cached {
				hc = &headerCache{}
			}
			var res rawResp
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				src.Reset(msg)
				in.setBudget(fuzzMaxHeader)
				br.Reset(in)
				if err := readResponse(br, in, nil, http.MethodGet, bodyOpts{limit: -1}, &res, hc); err != nil || res.status != 200 {
					b.Fatal(err, res.status)
				}
			}
		})
	}
}
