package stats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
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
//	u exceptions, each: string message, string position, string traceback, s count,
//	   s first (unix ns, 0 when zero)
//	u checks, each: string name, s passes, s fails
//	s dropped
//	s cut off
const (
	wireMagic   = "JSS"
	wireVersion = 3 // 2: the cut-off count; 3: when each exception group was first seen
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
		b = binary.AppendVarint(b, unixNano(x.First))
	}
	b = binary.AppendUvarint(b, uint64(len(s.Checks)))
	for _, c := range s.Checks {
		b = appendString(b, c.Name)
		b = binary.AppendVarint(b, c.Passes)
		b = binary.AppendVarint(b, c.Fails)
	}
	b = binary.AppendVarint(b, s.Dropped)
	return binary.AppendVarint(b, s.CutOff)
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

// bucket is one histogram bucket on the wire: its lowest value and count.
type bucket struct{ lo, n uint64 }

// wireRow is a row as decoded, its histograms kept sparse.
type wireRow struct {
	key Key
	Counters
	hist, sched []bucket
	hasSched    bool
}

// wireDelta is a decoded snapshot; its slices are reused from one decode
// to the next.
type wireDelta struct {
	rows       []wireRow
	failures   []Failure
	exceptions []Exception
	checks     []Check
	dropped    int64
	cutOff     int64
}

// hist reads a histogram's buckets into dst and returns them with their
// total count.
func (r *wireReader) hist(what string, dst []bucket) ([]bucket, uint64) {
	n := r.count(what, 2)
	lo, total := uint64(0), uint64(0)
	for i := 0; i < n && r.err == nil; i++ {
		gap := r.uvarint(what)
		c := r.uvarint(what)
		if i > 0 && gap == 0 || gap > maxValueUS || lo+gap > maxValueUS {
			r.fail(what)
			break
		}
		lo += gap
		var carry uint64
		total, carry = bits.Add64(total, c, 0)
		if carry != 0 {
			r.fail(what)
			break
		}
		if c > 0 {
			dst = append(dst, bucket{lo, c})
		}
	}
	return dst, total
}

// decode reads the wire form into d, reusing its slices.
func (d *wireDelta) decode(b []byte) error {
	if len(b) < len(wireMagic)+1 || string(b[:len(wireMagic)]) != wireMagic {
		return fmt.Errorf("%w: not jsload statistics", ErrWire)
	}
	if v := b[len(wireMagic)]; v != wireVersion {
		return fmt.Errorf("%w: version %d, this jsload reads version %d", ErrWire, v, wireVersion)
	}
	r := &wireReader{b: b[len(wireMagic)+1:]}
	d.rows = d.rows[:0]
	nrows := r.count("row count", 13)
	for i := 0; i < nrows && r.err == nil; i++ {
		if len(d.rows) < cap(d.rows) {
			d.rows = d.rows[:len(d.rows)+1]
		} else {
			d.rows = append(d.rows, wireRow{})
		}
		row := &d.rows[len(d.rows)-1]
		*row = wireRow{hist: row.hist[:0], sched: row.sched[:0]}
		row.key = Key{Type: r.string("row type"), Name: r.string("row name")}
		row.Requests = r.varint("requests")
		row.Failures = r.varint("failures")
		row.TotalTime = time.Duration(r.varint("total time"))
		row.Min = time.Duration(r.varint("minimum"))
		row.Max = time.Duration(r.varint("maximum"))
		row.TotalSize = r.varint("size")
		row.First = fromUnixNano(r.varint("first time"))
		row.Last = fromUnixNano(r.varint("last time"))
		var count uint64
		row.hist, count = r.hist("histogram", row.hist)
		switch r.uvarint("scheduled flag") {
		case 0:
		case 1:
			row.hasSched = true
			row.sched, _ = r.hist("scheduled histogram", row.sched)
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
			if p := &row.recent[sec.sec%ringLen]; p.sec <= sec.sec {
				*p = sec
			}
		}
		if r.err == nil && (row.Requests < 0 || row.Failures < 0 || row.Failures > row.Requests || uint64(row.Requests) != count) {
			r.fail("row counts")
		}
	}
	d.failures = d.failures[:0]
	nf := r.count("failure count", 4)
	for i := 0; i < nf && r.err == nil; i++ {
		d.failures = append(d.failures, Failure{Type: r.string("failure type"), Name: r.string("failure name"), Error: r.string("failure error"), Count: r.varint("failure count")})
	}
	d.exceptions = d.exceptions[:0]
	nx := r.count("exception count", 5)
	for i := 0; i < nx && r.err == nil; i++ {
		d.exceptions = append(d.exceptions, Exception{Message: r.string("exception message"), Position: r.string("exception position"), Traceback: r.string("exception traceback"), Count: r.varint("exception count"), First: fromUnixNano(r.varint("exception first seen"))})
	}
	d.checks = d.checks[:0]
	nc := r.count("check count", 3)
	for i := 0; i < nc && r.err == nil; i++ {
		d.checks = append(d.checks, Check{Name: r.string("check name"), Passes: r.varint("check passes"), Fails: r.varint("check fails")})
	}
	d.dropped = r.varint("dropped")
	d.cutOff = r.varint("cut off")
	if r.err == nil && len(r.b) != 0 {
		r.fail("length (trailing bytes)")
	}
	return r.err
}

// mergeInto adds a decoded row to r.
func (w *wireRow) mergeInto(r *Row) {
	r.Counters.merge(&w.Counters)
	for _, b := range w.hist {
		r.Hist.AddBucket(b.lo, b.n)
	}
	if w.hasSched {
		if r.Sched == nil {
			r.Sched = &Histogram{}
		}
		for _, b := range w.sched {
			r.Sched.AddBucket(b.lo, b.n)
		}
	}
}

// DecodeSnapshot reads a snapshot written by AppendSnapshot. It never
// panics on bad input: errors wrap ErrWire. The snapshot's Start, Time and
// Users are zero.
func DecodeSnapshot(b []byte) (*Snapshot, error) {
	var d wireDelta
	if err := d.decode(b); err != nil {
		return nil, err
	}
	s := &Snapshot{Dropped: d.dropped, CutOff: d.cutOff, Failures: d.failures, Exceptions: d.exceptions, Checks: d.checks}
	for i := range d.rows {
		row := newRow(d.rows[i].key)
		d.rows[i].mergeInto(row)
		s.Rows = append(s.Rows, row)
	}
	s.finish()
	return s, nil
}

// AbsorbWire is Absorb for a snapshot in its wire form, without building
// the snapshot: what a cluster's master does with every worker report. On
// an error nothing is absorbed.
func (r *Registry) AbsorbWire(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rm := r.remoteLocked()
	if err := rm.scratch.decode(b); err != nil {
		return err
	}
	d := &rm.scratch
	for i := range d.rows {
		d.rows[i].mergeInto(rm.rows.row(r.names.admit(d.rows[i].key)))
	}
	rm.addLists(d.failures, d.exceptions, d.checks, d.dropped, d.cutOff)
	return nil
}
