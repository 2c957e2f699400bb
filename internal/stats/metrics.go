package stats

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Custom metrics (k6/metrics) and k6's sub-metrics. A metric is recorded
// into the recording VU's shard, under the shard's lock, like a request.
// Sub-metrics (a metric's samples that carry given tags, which thresholds
// such as http_req_duration{status:200} judge) are kept only when a
// threshold asks for them (Registry.Want), so that without thresholds the
// hot path pays nothing for them.

// MetricKind is a custom metric's kind, as k6 names them.
type MetricKind uint8

// The kinds of custom metrics.
const (
	KindCounter MetricKind = iota + 1 // a sum (count) and its rate per second
	KindGauge                         // the last value, with the smallest and largest
	KindRate                          // the share of values that are not zero
	KindTrend                         // a distribution: avg, min, med, max, percentiles
)

func (k MetricKind) String() string {
	switch k {
	case KindCounter:
		return "counter"
	case KindGauge:
		return "gauge"
	case KindRate:
		return "rate"
	case KindTrend:
		return "trend"
	}
	return "kind" + strconv.Itoa(int(k))
}

// Metric is one metric's values: a custom metric, one of k6's built-in
// metrics that jsload keeps only for thresholds (iterations,
// iteration_duration: Builtin), or a sub-metric of either (Name then ends
// with its filter, "{tag:value}").
type Metric struct {
	Name    string
	Kind    MetricKind
	IsTime  bool // values are milliseconds (a Trend made with isTime)
	Builtin bool
	Count   int64   // values added
	Sum     float64 // the values' sum (a counter's count)
	Min     float64
	Max     float64
	Last    float64   // the latest value (a gauge's value)
	LastAt  time.Time // when Last was added
	NonZero int64     // values that were not zero (a rate's passes)
	// Hist holds a trend's values, each as a duration of that many
	// milliseconds (resolution 0.001, negative values count as 0).
	Hist *Histogram
	// exact holds a trend's values while there are at most exactLimit
	// of them (nil after): their percentiles are then exact, as k6
	// computes them.
	exact []float64
}

// exactLimit is how many values of a trend are kept for exact
// percentiles; past it the histogram answers (within 0.2%).
const exactLimit = 1000

func newMetric(name string, kind MetricKind, isTime, builtin bool) *Metric {
	m := &Metric{Name: name, Kind: kind, IsTime: isTime, Builtin: builtin}
	if kind == KindTrend {
		m.Hist = &Histogram{}
	}
	return m
}

func (m *Metric) add(v float64, at time.Time) {
	if m.Count == 0 || v < m.Min {
		m.Min = v
	}
	if m.Count == 0 || v > m.Max {
		m.Max = v
	}
	m.Count++
	m.Sum += v
	if v != 0 {
		m.NonZero++
	}
	if !at.Before(m.LastAt) {
		m.Last, m.LastAt = v, at
	}
	if m.Hist != nil {
		m.Hist.Record(msDuration(v))
		if m.Count <= exactLimit {
			m.exact = append(m.exact, v)
		} else {
			m.exact = nil
		}
	}
}

// msDuration is v milliseconds as a duration, clamped to the histogram's
// range.
func msDuration(v float64) time.Duration {
	ns := v * float64(time.Millisecond)
	if ns >= math.MaxInt64 || math.IsNaN(ns) {
		return math.MaxInt64
	}
	return time.Duration(ns)
}

// Merge adds o's values to m, as if one shard had recorded both.
func (m *Metric) Merge(o *Metric) {
	if o.Count == 0 {
		return
	}
	if m.Count == 0 || o.Min < m.Min {
		m.Min = o.Min
	}
	if m.Count == 0 || o.Max > m.Max {
		m.Max = o.Max
	}
	if m.Count == 0 || !o.LastAt.Before(m.LastAt) {
		m.Last, m.LastAt = o.Last, o.LastAt
	}
	if m.Count+o.Count <= exactLimit && len(m.exact) == int(m.Count) && len(o.exact) == int(o.Count) {
		m.exact = append(m.exact, o.exact...)
	} else {
		m.exact = nil
	}
	m.Count += o.Count
	m.Sum += o.Sum
	m.NonZero += o.NonZero
	if o.Hist != nil {
		if m.Hist == nil {
			m.Hist = &Histogram{}
		}
		m.Hist.Merge(o.Hist)
	}
}

func (m *Metric) clone() *Metric {
	c := *m
	if m.Hist != nil {
		c.Hist = m.Hist.Clone()
	}
	c.exact = slices.Clone(m.exact)
	return &c
}

// Avg is the values' mean (0 without values).
func (m *Metric) Avg() float64 {
	if m.Count == 0 {
		return 0
	}
	return m.Sum / float64(m.Count)
}

// Rate is a rate metric's share of non-zero values (0 without values).
func (m *Metric) Rate() float64 {
	if m.Count == 0 {
		return 0
	}
	return float64(m.NonZero) / float64(m.Count)
}

// Percentile is a trend's value at quantile q (0 <= q <= 1): exact, by
// linear interpolation between the closest ranks as k6 computes it, while
// the trend has at most exactLimit values; else from the histogram,
// within its resolution and clamped to the exact min and max.
func (m *Metric) Percentile(q float64) float64 {
	if m.Hist == nil || m.Count == 0 {
		return 0
	}
	if len(m.exact) == int(m.Count) {
		v := slices.Clone(m.exact)
		slices.Sort(v)
		pos := q * float64(len(v)-1)
		i := int(math.Floor(pos))
		if i >= len(v)-1 {
			return v[len(v)-1]
		}
		return v[i] + (v[i+1]-v[i])*(pos-float64(i))
	}
	v := float64(m.Hist.ValueAtQuantile(q)) / float64(time.Millisecond)
	return min(max(v, m.Min), m.Max)
}

// Filter is a sub-metric's tag filter: pairs sorted by tag.
type Filter []TagPair

// TagPair is one tag of a filter.
type TagPair struct{ Key, Value string }

// String is the filter as k6 writes it: "{a:1,b:x}", "" when empty.
func (f Filter) String() string {
	if len(f) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.Key + ":" + p.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// NewFilter sorts pairs into a filter.
func NewFilter(pairs map[string]string) Filter {
	f := make(Filter, 0, len(pairs))
	for k, v := range pairs {
		f = append(f, TagPair{k, v})
	}
	sort.Slice(f, func(i, j int) bool { return f[i].Key < f[j].Key })
	return f
}

// Tags are what a sample is matched against: the system tags jsload knows
// and the script's own (params.tags, a metric's add(value, tags)).
type Tags struct {
	Name, Method, Group, Scenario string
	Status                        int // 0: none
	Extra                         map[string]string
}

func (t *Tags) get(k string) (string, bool) {
	if v, ok := t.Extra[k]; ok {
		return v, true
	}
	switch k {
	case "name", "url":
		return t.Name, t.Name != ""
	case "method":
		return t.Method, t.Method != ""
	case "status":
		return strconv.Itoa(t.Status), t.Method != ""
	case "group":
		return t.Group, true
	case "scenario":
		return t.Scenario, t.Scenario != ""
	}
	return "", false
}

// Matches reports whether t carries every pair of f.
func (f Filter) Matches(t *Tags) bool {
	for _, p := range f {
		if _, own := t.Extra[p.Key]; p.Key == "status" && !own {
			// compared as a number: no string made per sample
			if n, err := strconv.Atoi(p.Value); err != nil || t.Method == "" || n != t.Status {
				return false
			}
			continue
		}
		if v, ok := t.get(p.Key); !ok || v != p.Value {
			return false
		}
	}
	return true
}

// HTTPMetrics are k6's metrics of HTTP requests whose sub-metrics are rows
// of requests (HTTPSubs of a snapshot).
var HTTPMetrics = []string{"http_req_duration", "http_req_failed", "http_reqs", "data_received"}

// Wants are the sub-metrics a registry keeps (Registry.Want): HTTP is
// the filters of HTTP requests whose requests get a row apart (one row
// serves http_req_duration, http_req_failed, http_reqs and data_received
// with that filter; the empty filter is every HTTP request), Metrics the
// filters of other metrics by metric name (an empty filter keeps the
// metric itself, for built-in metrics such as iterations).
type Wants struct {
	HTTP     []Filter
	Metrics  map[string][]Filter
	iter     bool     // Metrics has iterations or iteration_duration
	httpKeys []string // HTTP's filters as strings: their rows' keys
	// metricKeys are Metrics' sub-metric names (metric and filter).
	metricKeys map[string][]string
}

// wantSet is a registry's Wants, shared by its shards.
type wantSet struct{ p atomic.Pointer[Wants] }

// Want makes the registry keep the sub-metrics w names from now on. It is
// meant to be called once, before the test starts.
func (r *Registry) Want(w Wants) {
	w.iter = w.Metrics["iterations"] != nil || w.Metrics["iteration_duration"] != nil
	w.httpKeys = make([]string, len(w.HTTP))
	for i, f := range w.HTTP {
		w.httpKeys[i] = f.String()
	}
	w.metricKeys = map[string][]string{}
	for name, fs := range w.Metrics {
		for _, f := range fs {
			w.metricKeys[name] = append(w.metricKeys[name], name+f.String())
		}
	}
	r.wants.p.Store(&w)
}

// WantsTags reports whether the samples of metric need their tags: a
// sub-metric of it is kept. HTTP requests are "http".
func (rec Recorder) WantsTags(metric string) bool {
	w := rec.s.wants.p.Load()
	if w == nil {
		return false
	}
	if metric == "http" {
		return len(w.HTTP) > 0
	}
	return len(w.Metrics[metric]) > 0
}

// WantsIterations reports whether iterations are to be recorded
// (RecordIteration): a threshold judges iterations or iteration_duration.
func (rec Recorder) WantsIterations() bool {
	w := rec.s.wants.p.Load()
	return w != nil && w.iter
}

// metricSet is a shard's metrics, by name (sub-metrics by name and filter).
type metricSet map[string]*Metric

func (ms metricSet) get(name string, kind MetricKind, isTime, builtin bool) *Metric {
	m := ms[name]
	if m == nil {
		m = newMetric(name, kind, isTime, builtin)
		ms[name] = m
	}
	return m
}

// AddMetric adds value v, tagged t (nil: no tags), to the custom metric
// name of kind, and to each of its sub-metrics whose filter t matches.
func (rec Recorder) AddMetric(name string, kind MetricKind, isTime bool, v float64, t *Tags) {
	rec.addMetric(name, kind, isTime, false, v, t, time.Now())
}

func (rec Recorder) addMetric(name string, kind MetricKind, isTime, builtin bool, v float64, t *Tags, at time.Time) {
	sh := rec.s
	w := sh.wants.p.Load()
	sh.mu.Lock()
	if !builtin {
		sh.metrics.get(name, kind, isTime, false).add(v, at)
	}
	if w != nil {
		keys := w.metricKeys[name]
		for i, f := range w.Metrics[name] {
			if len(f) == 0 && !builtin {
				continue // the metric itself, just added
			}
			if t == nil && len(f) > 0 {
				continue
			}
			if len(f) == 0 || f.Matches(t) {
				sh.metrics.get(keys[i], kind, isTime, builtin).add(v, at)
			}
		}
	}
	sh.mu.Unlock()
}

// RecordIteration counts one completed iteration that took d, as k6's
// iterations and iteration_duration, when a threshold wants them
// (WantsIterations).
func (rec Recorder) RecordIteration(d time.Duration, t *Tags) {
	at := time.Now()
	rec.addMetric("iterations", KindCounter, false, true, 1, t, at)
	rec.addMetric("iteration_duration", KindTrend, true, true, float64(d)/float64(time.Millisecond), t, at)
}

// addHTTPSubs adds an HTTP request's sample to the sub-metric rows whose
// filter its tags match. The shard's lock must be held.
func (sh *shard) addHTTPSubs(w *Wants, s *Sample, at time.Time) {
	t := Tags{Name: s.Name, Method: s.Type, Group: s.Group, Scenario: s.Scenario, Status: s.Status, Extra: s.Tags}
	for i, f := range w.HTTP {
		if !f.Matches(&t) {
			continue
		}
		k := w.httpKeys[i]
		e := sh.httpSubs[k]
		if e == nil {
			e = &entry{}
			sh.httpSubs[k] = e
		}
		e.add(s, at)
	}
}

// Metric returns the snapshot's metric called name (with its filter for a
// sub-metric), or nil.
func (s *Snapshot) Metric(name string) *Metric {
	i := sort.Search(len(s.Metrics), func(i int) bool { return s.Metrics[i].Name >= name })
	if i < len(s.Metrics) && s.Metrics[i].Name == name {
		return s.Metrics[i]
	}
	return nil
}

// mergeMetrics adds the metrics of src to dst (copying).
func mergeMetrics(dst metricSet, src []*Metric) {
	for _, m := range src {
		if d := dst[m.Name]; d != nil {
			d.Merge(m)
		} else {
			dst[m.Name] = m.clone()
		}
	}
}

func (ms metricSet) list() []*Metric {
	out := make([]*Metric, 0, len(ms))
	for _, m := range ms {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// MetricValue is one of a metric's summary values.
type MetricValue struct {
	Name  string
	Value float64
}

// Values are m's summary values, named as k6 names them: a counter's
// count and rate (per second over elapsed; 0 when elapsed is not
// positive), a gauge's value, min and max, a rate's rate, passes (values
// not zero) and fails, a trend's avg, min, med, max, p(90) and p(95).
func (m *Metric) Values(elapsed time.Duration) []MetricValue {
	switch m.Kind {
	case KindCounter:
		rate := 0.0
		if elapsed > 0 {
			rate = m.Sum / elapsed.Seconds()
		}
		return []MetricValue{{"count", m.Sum}, {"rate", rate}}
	case KindGauge:
		return []MetricValue{{"value", m.Last}, {"min", m.Min}, {"max", m.Max}}
	case KindRate:
		return []MetricValue{{"rate", m.Rate()}, {"passes", float64(m.NonZero)}, {"fails", float64(m.Count - m.NonZero)}}
	case KindTrend:
		return []MetricValue{{"avg", m.Avg()}, {"min", m.Min}, {"med", m.Percentile(0.5)}, {"max", m.Max},
			{"p(90)", m.Percentile(0.9)}, {"p(95)", m.Percentile(0.95)}}
	}
	return nil
}
