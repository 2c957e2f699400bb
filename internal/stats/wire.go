package stats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The wire form of a Snapshot carries everything Merge needs, so that a
// snapshot decoded in another process merges exactly as the original would:
// every row's counters, its histogram buckets (not percentiles), its
// recent per-second counts, and the failure, exception and check groups.
// Users, Start and Time are not part of it (the sender reports its users
// on its own).
//
// Layout: the magic "JSS", a version byte, then unsigned varints (u),
// signed varints (s) and strings (u length, bytes):
//
//	u rows, each: string type, string name, s requests, s failures,
//	   s total (ns), s min (ns), s max (ns), s size, s first, s last (unix ns,
//	   0 when zero), histogram, u 0|1 then a histogram (scheduled times),
//	   u recent seconds, each: s second, s requests, s failures
//	histogram: u buckets, each: u gap to the previous bucket's lowest
//	   value (µs), u count
//	u failures, each: string type, string name, string error, s count
//	u exceptions, each: string message, string position, string traceback, s count
//	u checks, each: string name, s passes, s fails
//	s dropped
const (
	wireMagic   = "JSS"
	wireVersion = 1
)

// ErrWire is wrapped by every error DecodeSnapshot returns.
var ErrWire = errors.New("malformed statistics")

// AppendSnapshot appends the wire form of s to b.
func AppendSnapshot(b []byte, s *Snapshot) []byte {
	b = append(b, wireMagic...)
	b = append(b, wireVersion)
	b = binary.AppendUvarint(b, uint64(len(s.Rows)))
	for _, r := range s.Rows {
		b = appendString(b, r.Type)
		b = appendString(b, r.Name)
		for _, v := range []int64{r.Requests, r.Failures, int64(r.TotalTime), int64(r.Min), int64(r.Max), r.TotalSize, unixNano(r.First), unixNano(r.Last)} {
			b = binary.AppendVarint(b, v)
		}
		b = appendHist(b, r.Hist)
		if r.Sched != nil {
			b = append(b, 1)
			b = appendHist(b, r.Sched)
		} else {
			b = append(b, 0)
		}
		n := 0
		for _, sec := range r.recent {
			if sec.sec != 0 {
				n++
			}
		}
		b = binary.AppendUvarint(b, uint64(n))
		for _, sec := range r.recent {
			if sec.sec != 0 {
				b = binary.AppendVarint(b, sec.sec)
				b = binary.AppendVarint(b, sec.reqs)
				b = binary.AppendVarint(b, sec.fails)
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(s.Failures)))
	for _, f := range s.Failures {
		b = appendString(b, f.Type)
		b = appendString(b, f.Name)
		b = appendString(b, f.Error)
		b = binary.AppendVarint(b, f.Count)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Exceptions)))
	for _, x := range s.Exceptions {
		b = appendString(b, x.Message)
		b = appendString(b, x.Position)
		b = appendString(b, x.Traceback)
		b = binary.AppendVarint(b, x.Count)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Checks)))
	for _, c := range s.Checks {
		b = appendString(b, c.Name)
		b = binary.AppendVarint(b, c.Passes)
		b = binary.AppendVarint(b, c.Fails)
	}
	return binary.AppendVarint(b, s.Dropped)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendHist(b []byte, h *Histogram) []byte {
	n := 0
	h.Buckets(func(uint64, uint64) { n++ })
	b = binary.AppendUvarint(b, uint64(n))
	prev := uint64(0)
	h.Buckets(func(lo, count uint64) {
		b = binary.AppendUvarint(b, lo-prev)
		b = binary.AppendUvarint(b, count)
		prev = lo
	})
	return b
}

// wireReader reads the wire form; the first error sticks.
type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad %s", ErrWire, what)
	}
}

func (r *wireReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a number of items, each taking at least min bytes, so that a
// corrupt count cannot make the decoder allocate more than the input.
func (r *wireReader) count(what string, min int) int {
	n := r.uvarint(what)
	if r.err == nil && n > uint64(len(r.b)/min) {
		r.fail(what)
		return 0
	}
	return int(n)
}

func (r *wireReader) string(what string) string {
	n := r.uvarint(what)
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.fail(what)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *wireReader) hist(what string) *Histogram {
	h := &Histogram{}
	n := r.count(what, 2)
	lo := uint64(0)
	for i := 0; i < n && r.err == nil; i++ {
		gap := r.uvarint(what)
		c := r.uvarint(what)
		if i > 0 && gap == 0 || gap > maxValueUS || lo+gap > maxValueUS {
			r.fail(what)
			break
		}
		lo += gap
		h.AddBucket(lo, c)
		if h.count < c { // the total overflowed
			r.fail(what)
		}
	}
	return h
}

// DecodeSnapshot reads a snapshot written by AppendSnapshot. It never
// panics on bad input: errors wrap ErrWire. The snapshot's Start, Time and
// Users are zero.
func DecodeSnapshot(b []byte) (*Snapshot, error) {
	if len(b) < len(wireMagic)+1 || string(b[:len(wireMagic)]) != wireMagic {
		return nil, fmt.Errorf("%w: not jsload statistics", ErrWire)
	}
	if v := b[len(wireMagic)]; v != wireVersion {
		return nil, fmt.Errorf("%w: version %d, this jsload reads version %d", ErrWire, v, wireVersion)
	}
	r := &wireReader{b: b[len(wireMagic)+1:]}
	s := &Snapshot{}
	nrows := r.count("row count", 13)
	for i := 0; i < nrows && r.err == nil; i++ {
		row := newRow(Key{Type: r.string("row type"), Name: r.string("row name")})
		row.Requests = r.varint("requests")
		row.Failures = r.varint("failures")
		row.TotalTime = time.Duration(r.varint("total time"))
		row.Min = time.Duration(r.varint("minimum"))
		row.Max = time.Duration(r.varint("maximum"))
		row.TotalSize = r.varint("size")
		row.First = fromUnixNano(r.varint("first time"))
		row.Last = fromUnixNano(r.varint("last time"))
		row.Hist = r.hist("histogram")
		switch r.uvarint("scheduled flag") {
		case 0:
		case 1:
			row.Sched = r.hist("scheduled histogram")
		default:
			r.fail("scheduled flag")
		}
		nsec := r.count("recent seconds", 3)
		for k := 0; k < nsec && r.err == nil; k++ {
			sec := second{sec: r.varint("second"), reqs: r.varint("second's requests"), fails: r.varint("second's failures")}
			if sec.sec <= 0 || sec.sec > math.MaxInt64-ringLen {
				r.fail("second")
				break
			}
			d := &row.recent[sec.sec%ringLen]
			if d.sec <= sec.sec {
				*d = sec
			}
		}
		if r.err == nil && (row.Requests < 0 || row.Failures < 0 || row.Failures > row.Requests || uint64(row.Requests) != row.Hist.Count()) {
			r.fail("row counts")
		}
		s.Rows = append(s.Rows, row)
	}
	nf := r.count("failure count", 4)
	for i := 0; i < nf && r.err == nil; i++ {
		s.Failures = append(s.Failures, Failure{Type: r.string("failure type"), Name: r.string("failure name"), Error: r.string("failure error"), Count: r.varint("failure count")})
	}
	nx := r.count("exception count", 4)
	for i := 0; i < nx && r.err == nil; i++ {
		s.Exceptions = append(s.Exceptions, Exception{Message: r.string("exception message"), Position: r.string("exception position"), Traceback: r.string("exception traceback"), Count: r.varint("exception count")})
	}
	nc := r.count("check count", 3)
	for i := 0; i < nc && r.err == nil; i++ {
		s.Checks = append(s.Checks, Check{Name: r.string("check name"), Passes: r.varint("check passes"), Fails: r.varint("check fails")})
	}
	s.Dropped = r.varint("dropped")
	if r.err == nil && len(r.b) != 0 {
		r.fail("length (trailing bytes)")
	}
	if r.err != nil {
		return nil, r.err
	}
	s.finish()
	return s, nil
}
