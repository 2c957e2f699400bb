package stats

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"time"
)

// The wire form of a Snapshot carries everything Merge needs, so that a
// snapshot decoded in another process merges exactly as the original would:
// every row's counters, its histogram buckets (not percentiles), its
// recent per-second counts, and the failure, exception and check groups.
// The custom metrics and sub-metrics are carried too, each trend with its
// exact values while it has them, so that merged percentiles stay exact
// as Metric.Merge decides. Users, Start and Time are not part of it (the
// sender reports its users on its own).
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
//	u HTTP sub-metric rows (Snapshot.HTTPSubs), each a row as above,
//	   type "" and name its filter
//	u metrics (Snapshot.Metrics), each: string name, byte kind, byte
//	   flags (1 isTime, 2 builtin, 4 exact values follow), s count,
//	   f sum, f min, f max, f last, s last time (unix ns, 0 when zero),
//	   s non-zero count, a trend's histogram (ms values as durations),
//	   then with flag 4 count times f value
//	f: a float64's IEEE 754 bits, 8 bytes little-endian
const (
	wireMagic   = "JSS"
	wireVersion = 4 // 2: the cut-off count; 3: when each exception group was first seen; 4: metrics and HTTP sub-metrics
)

// ErrWire is wrapped by every error DecodeSnapshot returns.
var ErrWire = errors.New("malformed statistics")

// AppendSnapshot appends the wire form of s to b.
func AppendSnapshot(b []byte, s *Snapshot) []byte {
	b = append(b, wireMagic...)
	b = append(b, wireVersion)
	b = binary.AppendUvarint(b, uint64(len(s.Rows)))
	for _, r := range s.Rows {
		b = appendRow(b, r)
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
	b = binary.AppendVarint(b, s.CutOff)
	subs := make([]string, 0, len(s.HTTPSubs))
	for f := range s.HTTPSubs {
		subs = append(subs, f)
	}
	sort.Strings(subs)
	b = binary.AppendUvarint(b, uint64(len(subs)))
	for _, f := range subs {
		r := *s.HTTPSubs[f]
		r.Key = Key{Name: f}
		b = appendRow(b, &r)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Metrics)))
	for _, m := range s.Metrics {
		b = appendMetric(b, m)
	}
	return b
}

// appendRow appends a row's wire form.
func appendRow(b []byte, r *Row) []byte {
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
	return b
}

// The flags of a metric on the wire.
const (
	metricIsTime  = 1 << iota
	metricBuiltin // one of k6's built-in metrics
	metricExact   // the trend's exact values follow
	metricFlags   = metricIsTime | metricBuiltin | metricExact
)

// appendMetric appends a metric's wire form.
func appendMetric(b []byte, m *Metric) []byte {
	b = appendString(b, m.Name)
	b = append(b, byte(m.Kind))
	flags := byte(0)
	if m.IsTime {
		flags |= metricIsTime
	}
	if m.Builtin {
		flags |= metricBuiltin
	}
	exact := m.Kind == KindTrend && m.Count > 0 && len(m.exact) == int(m.Count)
	if exact {
		flags |= metricExact
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, m.Count)
	for _, f := range []float64{m.Sum, m.Min, m.Max, m.Last} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	b = binary.AppendVarint(b, unixNano(m.LastAt))
	b = binary.AppendVarint(b, m.NonZero)
	if m.Kind == KindTrend {
		h := m.Hist
		if h == nil {
			h = &Histogram{}
		}
		b = appendHist(b, h)
	}
	if exact {
		for _, v := range m.exact {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b
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
	subs       []wireRow // HTTP sub-metric rows, keyed by filter (Name)
	metrics    []wireMetric
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
		r.row(&d.rows[len(d.rows)-1])
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
	d.subs = d.subs[:0]
	nsubs := r.count("sub-metric row count", 13)
	for i := 0; i < nsubs && r.err == nil; i++ {
		if len(d.subs) < cap(d.subs) {
			d.subs = d.subs[:len(d.subs)+1]
		} else {
			d.subs = append(d.subs, wireRow{})
		}
		r.row(&d.subs[len(d.subs)-1])
	}
	d.metrics = d.metrics[:0]
	nm := r.count("metric count", 38)
	for i := 0; i < nm && r.err == nil; i++ {
		if len(d.metrics) < cap(d.metrics) {
			d.metrics = d.metrics[:len(d.metrics)+1]
		} else {
			d.metrics = append(d.metrics, wireMetric{})
		}
		r.metric(&d.metrics[len(d.metrics)-1])
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("length (trailing bytes)")
	}
	return r.err
}

// row reads one row into row, reusing its histograms' slices.
func (r *wireReader) row(row *wireRow) {
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

func (r *wireReader) float(what string) float64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.fail(what)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *wireReader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// wireMetric is a metric as decoded, its histogram kept sparse.
type wireMetric struct {
	Metric
	hist []bucket
}

// metric reads one metric into m, reusing its slices.
func (r *wireReader) metric(m *wireMetric) {
	*m = wireMetric{Metric: Metric{exact: m.exact[:0]}, hist: m.hist[:0]}
	m.Name = r.string("metric name")
	m.Kind = MetricKind(r.byte("metric kind"))
	flags := r.byte("metric flags")
	m.Count = r.varint("metric count")
	m.Sum = r.float("metric sum")
	m.Min = r.float("metric minimum")
	m.Max = r.float("metric maximum")
	m.Last = r.float("metric last value")
	m.LastAt = fromUnixNano(r.varint("metric last time"))
	m.NonZero = r.varint("metric non-zero count")
	if r.err != nil {
		return
	}
	if m.Kind < KindCounter || m.Kind > KindTrend || flags&^metricFlags != 0 || flags&metricExact != 0 && (m.Kind != KindTrend || m.Count > exactLimit || m.Count == 0) {
		r.fail("metric kind or flags")
		return
	}
	if m.Count < 0 || m.NonZero < 0 || m.NonZero > m.Count {
		r.fail("metric counts")
		return
	}
	m.IsTime, m.Builtin = flags&metricIsTime != 0, flags&metricBuiltin != 0
	if m.Kind == KindTrend {
		var count uint64
		m.hist, count = r.hist("metric histogram", m.hist)
		if r.err == nil && count != uint64(m.Count) {
			r.fail("metric histogram count")
			return
		}
	}
	if flags&metricExact != 0 {
		if uint64(len(r.b)/8) < uint64(m.Count) {
			r.fail("metric values")
			return
		}
		for i := int64(0); i < m.Count; i++ {
			m.exact = append(m.exact, r.float("metric value"))
		}
	}
}

// mergeInto adds a decoded metric to ms.
func (w *wireMetric) mergeInto(ms metricSet) {
	m := w.Metric
	m.exact = w.exact
	if m.Kind == KindTrend {
		m.Hist = &Histogram{}
		for _, b := range w.hist {
			m.Hist.AddBucket(b.lo, b.n)
		}
	}
	mergeMetrics(ms, []*Metric{&m})
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
	for i := range d.subs {
		if s.HTTPSubs == nil {
			s.HTTPSubs = map[string]*Row{}
		}
		w := &d.subs[i]
		row := s.HTTPSubs[w.key.Name]
		if row == nil {
			row = newRow(Key{Name: w.key.Name})
			s.HTTPSubs[w.key.Name] = row
		}
		w.mergeInto(row)
	}
	if len(d.metrics) > 0 {
		ms := metricSet{}
		for i := range d.metrics {
			d.metrics[i].mergeInto(ms)
		}
		s.Metrics = ms.list()
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
	for i := range d.subs {
		d.subs[i].mergeInto(rm.httpSubs.row(Key{Name: d.subs[i].key.Name}))
	}
	for i := range d.metrics {
		d.metrics[i].mergeInto(rm.metrics)
	}
	return nil
}
