package stats

import (
	"math"
	"time"
)

// Percentiles are the quantiles every report shows, in Locust's order.
var Percentiles = []float64{0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0}

// Row is the statistics of one (type, name), or of all of them together.
// Its counters are the embedded Counters (row.Requests, row.Min, ...).
type Row struct {
	Key
	Counters
	Hist *Histogram
	// Sched holds the response times counted from the scheduled start
	// (arrival-rate tests only; nil otherwise).
	Sched *Histogram
}

func newRow(k Key) *Row { return &Row{Key: k, Hist: &Histogram{}} }

// rowSet holds rows by key while they are being merged.
type rowSet map[Key]*Row

// row returns the row of k, adding an empty one if there is none.
func (rs rowSet) row(k Key) *Row {
	r := rs[k]
	if r == nil {
		r = newRow(k)
		rs[k] = r
	}
	return r
}

// list returns the rows in no particular order (nil when there are none).
func (rs rowSet) list() []*Row {
	var l []*Row
	for _, r := range rs {
		l = append(l, r)
	}
	return l
}

// SchedPercentile is the q quantile of the response times counted from
// the scheduled start, or 0 when there are none.
func (r *Row) SchedPercentile(q float64) time.Duration {
	if r.Sched == nil || r.Sched.Count() == 0 {
		return 0
	}
	return r.Sched.ValueAtQuantile(q)
}

// addEntry adds a shard's entry to r.
func (r *Row) addEntry(e *entry) {
	r.mergeSched(e.sched)
	r.Counters.merge(&e.Counters)
	r.Hist.Merge(&e.hist)
}

// mergeSched adds h (which may be nil) to r's scheduled times, making
// them if r has none.
func (r *Row) mergeSched(h *Histogram) {
	if h == nil {
		return
	}
	if r.Sched == nil {
		r.Sched = &Histogram{}
	}
	r.Sched.Merge(h)
}

// Merge adds o's counts to r (the keys are not compared).
func (r *Row) Merge(o *Row) {
	r.mergeSched(o.Sched)
	r.Counters.merge(&o.Counters)
	r.Hist.Merge(o.Hist)
}

// Avg is the mean response time (0 with no requests).
func (r *Row) Avg() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.TotalTime / time.Duration(r.Requests)
}

// AvgMS is the mean response time in milliseconds, unrounded.
func (r *Row) AvgMS() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.TotalTime) / float64(time.Millisecond) / float64(r.Requests)
}

// AvgSize is the mean content size in bytes.
func (r *Row) AvgSize() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.TotalSize) / float64(r.Requests)
}

// Percentile returns the response time at quantile q (0..1], clamped to the
// exact minimum and maximum; q = 1 is the exact maximum.
func (r *Row) Percentile(q float64) time.Duration {
	if r.Requests == 0 {
		return 0
	}
	// The nearest rank's ends are known exactly.
	rank := int64(math.Ceil(q * float64(r.Requests)))
	if q >= 1 || rank >= r.Requests {
		return r.Max
	}
	if rank <= 1 {
		return r.Min
	}
	v := r.Hist.ValueAtQuantile(q)
	if v < r.Min {
		v = r.Min
	}
	if v > r.Max {
		v = r.Max
	}
	return v
}

// Median is the 50th percentile.
func (r *Row) Median() time.Duration { return r.Percentile(0.5) }

// FailRatio is failures / requests (0 with no requests).
func (r *Row) FailRatio() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Failures) / float64(r.Requests)
}

// RoundMS is d in whole milliseconds, rounded to the nearest, halves to
// even (as Python's round(), which Locust applies to response times). It is
// the one rounding rule of every response-time column shown in whole
// milliseconds: min, max, average, median and percentiles, in the console
// tables, the CSV files and the web panel's JSON. Rounding keeps order, so
// min <= every percentile <= max holds after it as before, and the 100%
// percentile (Row.Percentile(1), the exact maximum) shows as the maximum.
func RoundMS(d time.Duration) int64 {
	return int64(math.RoundToEven(float64(d) / float64(time.Millisecond)))
}

// MinRateSpan is the shortest time a rate is shown for: a rate computed
// over less (the first moments of a run, a run of one quick request) says
// more about the clock than about the load, so outputs show it as unknown
// ("-" on screen, 0 in the CSV and JSON files).
const MinRateSpan = time.Second

// Rate is requests and failures per second, and the time they are over.
type Rate struct {
	Reqs, Fails float64
	Over        time.Duration
}

// Known reports whether the rate is over at least MinRateSpan.
func (r Rate) Known() bool { return r.Over >= MinRateSpan }

// Or0 returns the rates when they are Known, else 0 and 0: what files
// whose columns must stay numeric write.
func (r Rate) Or0() (reqs, fails float64) {
	if !r.Known() {
		return 0, 0
	}
	return r.Reqs, r.Fails
}

// RPS returns requests and failures per second over elapsed.
func (r *Row) RPS(elapsed time.Duration) (reqs, fails float64) {
	s := elapsed.Seconds()
	if s <= 0 {
		return 0, 0
	}
	return float64(r.Requests) / s, float64(r.Failures) / s
}

// RunRate is RPS with the time it is over: the rates of the final tables.
func (r *Row) RunRate(elapsed time.Duration) Rate {
	q, f := r.RPS(elapsed)
	return Rate{Reqs: q, Fails: f, Over: max(elapsed, 0)}
}

// CurrentRPS returns requests and failures per second over the last
// CurrentWindow complete seconds before now (fewer if the run began later
// than that), the rate the live tables show.
func (r *Row) CurrentRPS(now, start time.Time) (reqs, fails float64) {
	c := r.CurrentRate(now, start)
	return c.Reqs, c.Fails
}

// CurrentRate is CurrentRPS with the time it is over: the seconds of the
// window, less at the start of a run (the part of its first second after
// the start counts), and under a second before a complete second passed.
func (r *Row) CurrentRate(now, start time.Time) Rate {
	end := now.Unix() // the current, incomplete second is left out
	from := end - CurrentWindow
	if s := start.Unix(); s > from {
		from = s
	}
	n := end - from
	if n <= 0 {
		// Less than one complete second so far: use what there is.
		el := now.Sub(start)
		if el <= 0 {
			return Rate{}
		}
		s := el.Seconds()
		return Rate{Reqs: float64(r.Requests) / s, Fails: float64(r.Failures) / s, Over: el}
	}
	// When the window begins with the run, its first second is only the
	// part after the start: divide by the time actually covered.
	span := float64(n)
	over := time.Duration(n) * time.Second
	if from == start.Unix() {
		over = time.Unix(end, 0).Sub(start)
		span = over.Seconds()
	}
	var rq, fl int64
	for _, s := range r.recent {
		if s.sec >= from && s.sec < end {
			rq += s.reqs
			fl += s.fails
		}
	}
	return Rate{Reqs: float64(rq) / span, Fails: float64(fl) / span, Over: over}
}
