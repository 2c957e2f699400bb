package stats

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

var wt0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// metricsWants keeps HTTP sub-metrics (all requests, one name), the
// built-in iteration metrics and a custom trend's sub-metric.
var metricsWants = Wants{
	HTTP: []Filter{nil, NewFilter(map[string]string{"name": "/a"})},
	Metrics: map[string][]Filter{
		"iterations":         {nil},
		"iteration_duration": {nil},
		"t":                  {NewFilter(map[string]string{"kind": "x"})},
	},
}

// recordMetrics records n of every kind of metric into reg: each custom
// kind, a trend past exactLimit (histogram only), tagged values for a
// sub-metric, iterations and HTTP requests for the HTTP sub-metrics.
func recordMetrics(reg *Registry, n int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 11))
	rec := reg.Recorder(int(seed))
	x := &Tags{Extra: map[string]string{"kind": "x"}}
	for i := 0; i < n; i++ {
		at := wt0.Add(time.Duration(seed)*time.Hour + time.Duration(i)*time.Millisecond)
		rec.addMetric("c", KindCounter, false, false, float64(rng.IntN(5)), nil, at)
		rec.addMetric("g", KindGauge, false, false, rng.NormFloat64()*10, nil, at)
		rec.addMetric("r", KindRate, false, false, float64(rng.IntN(2)), nil, at)
		var tags *Tags
		if i%3 == 0 {
			tags = x
		}
		rec.addMetric("t", KindTrend, true, false, rng.ExpFloat64()*50, tags, at)
		for k := 0; k < 4; k++ {
			rec.addMetric("big", KindTrend, false, false, rng.Float64()*1000, nil, at)
		}
		rec.RecordIteration(time.Duration(rng.IntN(100_000))*time.Microsecond, nil)
		rec.Record(Sample{Type: "GET", Name: []string{"/a", "/b"}[i%2], Duration: time.Duration(rng.IntN(90)) * time.Millisecond, At: at, HTTP: true, Status: 200})
	}
}

// sameMetrics fails unless a and b hold equal metrics and HTTP sub-metric
// rows.
func sameMetrics(t *testing.T, what string, a, b *Snapshot) {
	t.Helper()
	if len(a.Metrics) != len(b.Metrics) {
		t.Fatalf("%s: %d metrics, want %d", what, len(b.Metrics), len(a.Metrics))
	}
	for i, ma := range a.Metrics {
		mb := b.Metrics[i]
		if !ma.LastAt.Equal(mb.LastAt) {
			t.Errorf("%s: %s last at %v, want %v", what, ma.Name, mb.LastAt, ma.LastAt)
		}
		ca, cb := *ma, *mb
		ca.LastAt, cb.LastAt = time.Time{}, time.Time{}
		if len(ca.exact) == 0 {
			ca.exact = nil
		}
		if len(cb.exact) == 0 {
			cb.exact = nil
		}
		if !reflect.DeepEqual(ca, cb) {
			t.Errorf("%s: metric %s differs:\n want %+v\n got  %+v", what, ma.Name, ca, cb)
		}
		for _, q := range []float64{0, 0.5, 0.9, 0.95, 0.99, 1} {
			if pa, pb := ma.Percentile(q), mb.Percentile(q); pa != pb {
				t.Errorf("%s: %s p%g %v, want %v", what, ma.Name, q*100, pb, pa)
			}
		}
	}
	if len(a.HTTPSubs) != len(b.HTTPSubs) {
		t.Fatalf("%s: %d HTTP sub-metrics, want %d", what, len(b.HTTPSubs), len(a.HTTPSubs))
	}
	for f, ra := range a.HTTPSubs {
		rb := b.HTTPSubs[f]
		if rb == nil || ra.Requests != rb.Requests || ra.Failures != rb.Failures || ra.TotalTime != rb.TotalTime || ra.Max != rb.Max || ra.Percentile(0.95) != rb.Percentile(0.95) {
			t.Errorf("%s: HTTP sub-metric %q: got %+v, want %+v", what, f, rb, ra)
		}
	}
}

func TestWireMetricsRoundTrip(t *testing.T) {
	snap := func(n int, seed uint64) *Snapshot {
		reg := NewRegistry(2)
		reg.Want(metricsWants)
		recordMetrics(reg, n, seed)
		return reg.Drain(wt0)
	}
	a, b := snap(300, 1), snap(500, 2)
	for _, name := range []string{"c", "g", "r", "t", "t{kind:x}", "big", "iterations", "iteration_duration"} {
		if a.Metric(name) == nil {
			t.Fatalf("no metric %s recorded", name)
		}
	}
	if n := len(a.Metric("t").exact); n != 300 {
		t.Fatalf("trend t keeps %d exact values, want 300", n)
	}
	if a.Metric("big").exact != nil {
		t.Fatalf("trend big keeps its exact values past %d", exactLimit)
	}
	if len(a.HTTPSubs) != 2 {
		t.Fatalf("HTTP sub-metrics %v", a.HTTPSubs)
	}
	decode := func(s *Snapshot) *Snapshot {
		t.Helper()
		d, err := DecodeSnapshot(AppendSnapshot(nil, s))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	sameMetrics(t, "decoded", a, decode(a))

	// Merging decoded snapshots equals merging the originals: t stays
	// exact (800 values), big is the histogram's.
	want := decode(a)
	want.Merge(b)
	got := decode(a)
	got.Merge(decode(b))
	sameMetrics(t, "merged", want, got)
	if m := got.Metric("t"); len(m.exact) != 800 || m.Count != 800 {
		t.Errorf("merged trend t: %d exact of %d values", len(m.exact), m.Count)
	}

	// A master absorbing both (one from the wire form) holds the same.
	master := NewRegistry(1)
	if err := master.AbsorbWire(AppendSnapshot(nil, a)); err != nil {
		t.Fatal(err)
	}
	master.Absorb(b)
	sameMetrics(t, "absorbed", want, master.Snapshot(wt0))
	master.Reset()
	if s := master.Snapshot(wt0); len(s.Metrics) != 0 || len(s.HTTPSubs) != 0 {
		t.Errorf("after Reset: %d metrics, %d HTTP sub-metrics", len(s.Metrics), len(s.HTTPSubs))
	}
}

func TestWireMetricsRejects(t *testing.T) {
	good := func(m *Metric) []byte {
		return AppendSnapshot(nil, &Snapshot{Metrics: []*Metric{m}})
	}
	trend := newMetric("t", KindTrend, true, false)
	trend.add(3, wt0)
	trend.add(5, wt0)
	if _, err := DecodeSnapshot(good(trend)); err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*Metric{
		"kind":             {Name: "x", Kind: 9, Count: 1},
		"negative count":   {Name: "x", Kind: KindCounter, Count: -1},
		"non-zero > count": {Name: "x", Kind: KindRate, Count: 1, NonZero: 2},
		"histogram count":  {Name: "x", Kind: KindTrend, Count: 3, Hist: trend.Hist},
	} {
		if _, err := DecodeSnapshot(good(m)); !errors.Is(err, ErrWire) {
			t.Errorf("%s: err = %v, want ErrWire", name, err)
		}
	}
	// More exact values than a trend keeps.
	many := newMetric("t", KindTrend, false, false)
	for i := 0; i <= exactLimit; i++ {
		many.Hist.Record(time.Millisecond)
		many.exact = append(many.exact, 1)
	}
	many.Count = exactLimit + 1
	if _, err := DecodeSnapshot(good(many)); !errors.Is(err, ErrWire) {
		t.Errorf("%d exact values: err = %v, want ErrWire", exactLimit+1, err)
	}
	b := good(trend)
	for i := 1; i < len(b); i++ {
		if _, err := DecodeSnapshot(good(trend)[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
}
