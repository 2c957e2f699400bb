package report

import (
	"sync"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// MaxPoints is how many points a History keeps at most. Beyond that it
// drops every other point and from then on keeps one call in two (then one
// in four, and so on): a day of one call a second fits at full resolution,
// and a longer run still fits in bounded memory.
const MaxPoints = 86_400

// HistoryWindow is how far back the response-time percentiles of a history
// point look, as the charts of Locust's panel do.
const HistoryWindow = 10 * time.Second

// History records how a run developed, one point per call to Add, for the
// report's charts. It is safe for concurrent use.
type History struct {
	mu     sync.Mutex
	max    int // MaxPoints, smaller in tests
	stride int // keep one call in stride
	calls  int
	points []point
	// recent holds the aggregated histograms of the calls in the last
	// HistoryWindow (and the newest older one), oldest first.
	recent []past
}

type point struct {
	at time.Time
	Point
}

type past struct {
	at   time.Time
	hist *stats.Histogram
}

// NewHistory returns an empty history. The zero History is ready to use
// too.
func NewHistory() *History { return &History{max: MaxPoints, stride: 1} }

// Add records the state of the run in s (its time, users, current rates,
// recent percentiles and totals) as one point. The CLI calls it every
// second. s is not retained.
func (h *History) Add(s *stats.Snapshot) {
	if s == nil || s.Total == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stride < 1 { // the zero History
		h.stride = 1
	}
	if h.max < 2 {
		h.max = MaxPoints
	}
	t := s.Total
	var cur *stats.Histogram
	if t.Hist != nil {
		cur = t.Hist.Clone()
	} else {
		cur = &stats.Histogram{}
	}
	win := windowOf(cur, h.base(s.Time))
	h.recent = append(h.recent, past{s.Time, cur})
	h.trim(s.Time)

	idx := h.calls
	h.calls++
	if idx%h.stride != 0 {
		return
	}
	rps, fps := t.CurrentRate(s.Time, s.Start).Or0()
	p := point{at: s.Time, Point: Point{
		Users:    s.Users,
		RPS:      round3(rps),
		FailRate: round3(fps),
		Requests: t.Requests,
		Failures: t.Failures,
	}}
	if win.Count() > 0 {
		q := func(q float64) float64 {
			v := win.ValueAtQuantile(q)
			if t.Requests > 0 {
				v = min(max(v, t.Min), t.Max)
			}
			return msOf(v)
		}
		p.P50, p.P95, p.P99 = q(0.5), q(0.95), q(0.99)
	}
	h.points = append(h.points, p)
	if len(h.points) >= h.max {
		h.halve()
	}
}

// base returns the newest remembered histogram taken at least
// HistoryWindow before now, or nil while the run is younger than that.
func (h *History) base(now time.Time) *stats.Histogram {
	var b *stats.Histogram
	for _, p := range h.recent {
		if !p.at.After(now.Add(-HistoryWindow)) {
			b = p.hist
		}
	}
	return b
}

// trim drops the remembered histograms no longer needed at now.
func (h *History) trim(now time.Time) {
	cut := 0
	for i, p := range h.recent {
		if !p.at.After(now.Add(-HistoryWindow)) {
			cut = i
		}
	}
	if cut > 0 {
		n := copy(h.recent, h.recent[cut:])
		clear(h.recent[n:])
		h.recent = h.recent[:n]
	}
}

// halve keeps every other point and halves the rate of new ones.
func (h *History) halve() {
	n := 0
	for i := 0; i < len(h.points); i += 2 {
		h.points[n] = h.points[i]
		n++
	}
	clear(h.points[n:])
	h.points = h.points[:n]
	h.stride *= 2
}

// windowOf returns the counts of cur that are not in base (the response
// times recorded since base), or cur itself without a base.
func windowOf(cur, base *stats.Histogram) *stats.Histogram {
	if base == nil || base.Count() == 0 {
		return cur
	}
	before := make(map[uint64]uint64)
	base.Buckets(func(low, n uint64) { before[low] = n })
	d := &stats.Histogram{}
	cur.Buckets(func(low, n uint64) {
		if p := before[low]; n > p {
			d.AddBucket(low, n-p)
		}
	})
	return d
}

// Len returns the number of points kept.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.points)
}

// Points returns a copy of the points, with their times as seconds since
// start (the first point's time when start is zero).
func (h *History) Points(start time.Time) []Point {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Point, len(h.points))
	if start.IsZero() && len(h.points) > 0 {
		start = h.points[0].at
	}
	for i, p := range h.points {
		out[i] = p.Point
		out[i].Elapsed = round3(p.at.Sub(start).Seconds())
	}
	return out
}
