package httpc

import (
	"bufio"
	"compress/gzip"
	"errors"
	"io"
	"strconv"
	"sync"
)

// Limits on what one response may make the client hold in memory. A
// server under test can be broken or hostile; whatever it sends, one
// request must not take more memory than these bounds (plus buffers of a
// few tens of KB).
const (
	// DefaultMaxHeaderBytes is the limit on a response's status line and
	// headers (1xx interim responses included) when Options.MaxHeaderBytes
	// is zero: 1 MiB, a tenth of net/http's client default and far above
	// what real servers send (nginx refuses more than 32 KB of request
	// headers by default).
	DefaultMaxHeaderBytes = 1 << 20
	// DefaultMaxBodyBytes is the limit on a response body kept in memory,
	// after gzip decoding, when Options.MaxBodyBytes is zero: 64 MiB. It
	// is far more than an API response or a web page, and small enough
	// that a few hundred users receiving such bodies at once still fit in
	// memory; a test that downloads larger files should discard their
	// bodies (Options.DiscardBodies, Request.DiscardBody), which are then
	// counted but not kept, or raise the limit.
	DefaultMaxBodyBytes = 64 << 20
)

// ErrHeadersTooLarge is what errors.Is finds in Response.Err when a
// response's status line and headers exceed the client's limit
// (Options.MaxHeaderBytes).
var ErrHeadersTooLarge = errors.New("httpc: response headers too large")

// ErrBodyTooLarge is what errors.Is finds in Response.Err when a response
// body to be kept exceeds its limit (Options.MaxBodyBytes or
// Request.MaxBodyBytes).
var ErrBodyTooLarge = errors.New("httpc: response body too large")

// limitError is a response that exceeded a limit: its message is the
// stable text shown to the user and it unwraps to ErrHeadersTooLarge or
// ErrBodyTooLarge.
type limitError struct {
	kind error
	text string
}

func (e *limitError) Error() string { return e.text }
func (e *limitError) Unwrap() error { return e.kind }

// headersTooLarge returns the error for response headers beyond limit
// bytes.
func headersTooLarge(limit int64) error {
	return &limitError{kind: ErrHeadersTooLarge,
		text: "response headers exceed " + strconv.FormatInt(limit, 10) + " bytes (the client's limit)"}
}

// bodyTooLarge returns the error for a body beyond limit bytes; decoded
// tells that the limit was passed while decompressing a gzip body.
func bodyTooLarge(limit int64, decoded bool) error {
	text := "response body exceeds " + strconv.FormatInt(limit, 10) + " bytes"
	if decoded {
		text += " once decompressed"
	}
	return &limitError{kind: ErrBodyTooLarge, text: text + " (--max-body-size; discard bodies you do not need)"}
}

// errBodyLimit is what collect returns when a body exceeds its limit; the
// callers turn it into bodyTooLarge, which knows how the body was encoded.
var errBodyLimit = errors.New("body limit")

// smallBody is the largest declared body length that is allocated at once;
// a longer body grows its buffer as its bytes arrive, so that a length a
// server declares but does not send costs nothing.
const smallBody = 64 << 10

// scratchSize is the size of the pooled buffer a body of unknown length is
// first read into.
const scratchSize = 32 << 10

var scratchPool = sync.Pool{New: func() any { return new([scratchSize]byte) }}

// collect reads r to io.EOF and returns what it read (nil when nothing).
// hint is the body's declared length, or negative when unknown. A
// non-negative limit bounds the bytes kept: when the body (or hint)
// exceeds it, collect stops and returns errBodyLimit. Memory is never
// allocated from hint beyond smallBody: buffers double as data arrives, so
// they stay within about twice what was received.
func collect(r io.Reader, hint, limit int64) ([]byte, error) {
	if limit >= 0 && hint > limit {
		return nil, errBodyLimit
	}
	var b []byte
	switch {
	case hint >= 0 && hint < smallBody:
		b = make([]byte, 0, hint+1) // +1: room to see io.EOF
	case hint >= 0:
		b = make([]byte, 0, smallBody)
	default:
		// Unknown length: most such bodies are small, so read into a
		// pooled buffer first and copy out exactly what arrived.
		s := scratchPool.Get().(*[scratchSize]byte)
		n, err := fill(r, s[:])
		if limit >= 0 && int64(n) > limit {
			err = errBodyLimit
		}
		if err == io.EOF && n > 0 {
			b = append([]byte(nil), s[:n]...)
		} else if err == nil {
			b = make([]byte, n, 2*scratchSize)
			copy(b, s[:n])
		}
		scratchPool.Put(s)
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
	for {
		if len(b) == cap(b) {
			n := int64(2 * cap(b))
			if hint >= 0 && int64(len(b)) <= hint && n > hint+1 {
				n = hint + 1
			}
			if limit >= 0 && n > limit+1 {
				n = limit + 1
			}
			nb := make([]byte, len(b), n)
			copy(nb, b)
			b = nb
		}
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if limit >= 0 && int64(len(b)) > limit {
			return nil, errBodyLimit
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// fill reads from r into p until p is full or r returns an error (io.EOF
// included), and returns how much it read.
func fill(r io.Reader, p []byte) (n int, err error) {
	for n < len(p) && err == nil {
		var m int
		m, err = r.Read(p[n:])
		n += m
	}
	return n, err
}

// clReader reads a body framed by its Content-Length from a connection's
// reader: it returns io.EOF after n bytes, and io.ErrUnexpectedEOF when
// the connection ends before.
type clReader struct {
	br *bufio.Reader
	n  int64
}

func (l *clReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	m, err := l.br.Read(p)
	l.n -= int64(m)
	if err == io.EOF {
		return m, io.ErrUnexpectedEOF
	}
	if err == nil && l.n == 0 {
		err = io.EOF
	}
	return m, err
}

// ReadByte makes clReader an io.ByteReader, so that the gzip decoder reads
// from it without a buffer of its own.
func (l *clReader) ReadByte() (byte, error) {
	if l.n <= 0 {
		return 0, io.EOF
	}
	c, err := l.br.ReadByte()
	if err == io.EOF {
		return 0, io.ErrUnexpectedEOF
	}
	if err == nil {
		l.n--
	}
	return c, err
}

var gzipPool sync.Pool // of *gzip.Reader

// gunzip passes src, a gzip body, to read, which reads the decoded body
// to its end. It reports empty when src is empty (then there is nothing
// to decode). Errors in the gzip data are wrapped as "decoding gzip body";
// errors of src itself (the connection) are returned as they are.
func gunzip(src io.Reader, read func(io.Reader) error) (empty bool, err error) {
	es := &errSource{r: src}
	var r io.Reader = es
	var br *bufio.Reader
	if _, ok := src.(io.ByteReader); !ok {
		br = readers.Get().(*bufio.Reader)
		br.Reset(es)
		r = br
	}
	zr, _ := gzipPool.Get().(*gzip.Reader)
	if zr == nil {
		zr = new(gzip.Reader)
	}
	err = zr.Reset(r)
	switch {
	case err == io.EOF && es.err == io.EOF:
		empty, err = true, nil
	case err == nil:
		err = read(zr)
	}
	if err != nil && es.err != nil && es.err != io.EOF {
		err = es.err
	} else if err != nil && !errors.Is(err, errBodyLimit) {
		err = &gzipError{err}
	}
	gzipPool.Put(zr)
	if br != nil {
		br.Reset(nil)
		readers.Put(br)
	}
	return empty, err
}

// errSource remembers the last error of the reader a decoder reads, to
// tell the connection's errors from errors in the encoded data.
type errSource struct {
	r   io.Reader
	err error
}

func (e *errSource) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

func (e *errSource) ReadByte() (byte, error) {
	c, err := e.r.(io.ByteReader).ReadByte()
	if err != nil {
		e.err = err
	}
	return c, err
}

// gzipError is an error in a gzip body's data.
type gzipError struct{ err error }

func (e *gzipError) Error() string { return "decoding gzip body: " + e.err.Error() }
func (e *gzipError) Unwrap() error { return e.err }

// readBodyInto reads a body from src to its end into res: kept (within
// limit, unless negative) or, when discard is set, counted and dropped.
// hint is the declared length, negative when unknown.
func readBodyInto(res *rawResp, src io.Reader, hint, limit int64, discard bool) error {
	if discard {
		n, err := io.Copy(io.Discard, src)
		res.size = n
		return err
	}
	b, err := collect(src, hint, limit)
	res.body, res.size = b, int64(len(b))
	return err
}

// bodyOpts returns how the Client treats r's response body.
func (c *Client) bodyOpts(r *Request) bodyOpts {
	o := bodyOpts{discard: c.discard || r.DiscardBody, limit: c.maxBody}
	if r.MaxBodyBytes != 0 {
		o.limit = r.MaxBodyBytes
	}
	return o
}
