package stats

import (
	"math"
	"testing"
	"time"
)

func metricValues(t *testing.T, s *Snapshot, name string) map[string]float64 {
	t.Helper()
	m := s.Metric(name)
	if m == nil {
		t.Fatalf("no metric %q in %v", name, s.Metrics)
	}
	out := map[string]float64{}
	for _, v := range m.Values(s.Elapsed()) {
		out[v.Name] = v.Value
	}
	return out
}

func TestCustomMetricsMergeAcrossShards(t *testing.T) {
	r := NewRegistry(4)
	start := time.Now()
	r.SetStart(start)
	a, b := r.Recorder(1), r.Recorder(2)
	a.AddMetric("c", KindCounter, false, 2, nil)
	b.AddMetric("c", KindCounter, false, 3, nil)
	a.AddMetric("g", KindGauge, false, 5, nil)
	b.AddMetric("g", KindGauge, false, -1, nil) // the latest value wins
	a.AddMetric("r", KindRate, false, 1, nil)
	b.AddMetric("r", KindRate, false, 0, nil)
	b.AddMetric("r", KindRate, false, 1, nil)
	for i, v := range []float64{10, 70, 130, 190} {
		[]Recorder{a, b}[i%2].AddMetric("t", KindTrend, true, v, nil)
	}
	s := r.Snapshot(start.Add(2 * time.Second))
	if v := metricValues(t, s, "c"); v["count"] != 5 || v["rate"] != 2.5 {
		t.Errorf("counter %v", v)
	}
	if v := metricValues(t, s, "g"); v["value"] != -1 || v["min"] != -1 || v["max"] != 5 {
		t.Errorf("gauge %v", v)
	}
	if v := metricValues(t, s, "r"); math.Abs(v["rate"]-2.0/3) > 1e-12 || v["passes"] != 2 || v["fails"] != 1 {
		t.Errorf("rate %v", v)
	}
	// k6's percentiles: linear interpolation at p*(n-1) of the sorted values.
	if v := metricValues(t, s, "t"); v["avg"] != 100 || v["min"] != 10 || v["med"] != 100 || v["max"] != 190 || v["p(90)"] != 172 || math.Abs(v["p(95)"]-181) > 1e-9 {
		t.Errorf("trend %v", v)
	}
	// Snapshots merge like shards.
	o := r.Snapshot(start.Add(2 * time.Second))
	o.Merge(s)
	if v := metricValues(t, o, "c"); v["count"] != 10 {
		t.Errorf("merged counter %v", v)
	}
	if v := metricValues(t, o, "t"); v["med"] != 100 || v["max"] != 190 {
		t.Errorf("merged trend %v", v)
	}
	r.Reset()
	if s := r.Snapshot(time.Now()); len(s.Metrics) != 0 {
		t.Errorf("after Reset: %v", s.Metrics)
	}
}

func TestTrendPercentilesFromTheHistogramPastTheExactLimit(t *testing.T) {
	r := NewRegistry(1)
	rec := r.Recorder(0)
	n := exactLimit + 1000
	for i := 1; i <= n; i++ {
		rec.AddMetric("t", KindTrend, true, float64(i), nil)
	}
	m := r.Snapshot(time.Now()).Metric("t")
	if m.exact != nil {
		t.Fatalf("kept %d exact values past the limit", len(m.exact))
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		want := q * float64(n)
		if got := m.Percentile(q); math.Abs(got-want)/want > 0.003 {
			t.Errorf("p%v = %v, want %v within 0.3%%", q*100, got, want)
		}
	}
	if m.Percentile(1) != float64(n) || m.Min != 1 {
		t.Errorf("max %v min %v", m.Percentile(1), m.Min)
	}
}

func TestSubMetricsAreKeptOnlyWhenWanted(t *testing.T) {
	r := NewRegistry(2)
	rec := r.Recorder(0)
	blue := &Tags{Extra: map[string]string{"team": "blue"}, Group: "::a"}
	rec.AddMetric("c", KindCounter, false, 1, blue)
	rec.Record(Sample{Type: "GET", Name: "/x", HTTP: true, Status: 200, Group: "::a"})
	rec.RecordIteration(time.Millisecond, &Tags{Scenario: "default"})
	s := r.Snapshot(time.Now())
	if len(s.Metrics) != 1 || s.HTTPSubs != nil {
		t.Fatalf("without Want: metrics %v, HTTP subs %v", s.Metrics, s.HTTPSubs)
	}
	if rec.WantsTags("c") || rec.WantsTags("http") || rec.WantsIterations() {
		t.Error("wants tags without Want")
	}

	r.Want(Wants{
		HTTP: []Filter{nil, NewFilter(map[string]string{"status": "404"}), NewFilter(map[string]string{"group": "::a", "method": "GET"})},
		Metrics: map[string][]Filter{
			"c":          {NewFilter(map[string]string{"team": "blue"}), NewFilter(map[string]string{"group": "::b"})},
			"iterations": {nil, NewFilter(map[string]string{"scenario": "default"})},
		},
	})
	if !rec.WantsTags("c") || !rec.WantsTags("http") || !rec.WantsIterations() || rec.WantsTags("other") {
		t.Error("WantsTags/WantsIterations after Want")
	}
	rec.AddMetric("c", KindCounter, false, 2, blue)
	rec.AddMetric("c", KindCounter, false, 4, nil)
	rec.Record(Sample{Type: "GET", Name: "/x", HTTP: true, Status: 200, Group: "::a"})
	rec.Record(Sample{Type: "POST", Name: "/y", HTTP: true, Status: 404, Err: "404"})
	rec.Record(Sample{Type: "GROUP", Name: "::a", Duration: time.Second}) // not an HTTP request
	rec.RecordIteration(2*time.Millisecond, &Tags{Scenario: "default"})
	rec.RecordIteration(2*time.Millisecond, &Tags{Scenario: "other"})
	s = r.Snapshot(time.Now())
	if v := metricValues(t, s, "c"); v["count"] != 7 {
		t.Errorf("c %v", v)
	}
	if v := metricValues(t, s, "c{team:blue}"); v["count"] != 2 {
		t.Errorf("c{team:blue} %v", v)
	}
	if s.Metric("c{group:::b}") != nil {
		t.Error("a sub-metric without a matching value has a row")
	}
	if v := metricValues(t, s, "iterations"); v["count"] != 2 {
		t.Errorf("iterations %v", v)
	}
	if v := metricValues(t, s, "iterations{scenario:default}"); v["count"] != 1 {
		t.Errorf("iterations{scenario:default} %v", v)
	}
	if !s.Metric("iterations").Builtin || s.Metric("iteration_duration") != nil {
		t.Error("iterations is not a built-in metric, or iteration_duration was kept unasked")
	}
	all, st, ga := s.HTTPSubs[""], s.HTTPSubs["{status:404}"], s.HTTPSubs["{group:::a,method:GET}"]
	if all == nil || all.Requests != 2 || all.Failures != 1 || all.Max >= time.Second {
		t.Errorf("all HTTP requests: %+v", all)
	}
	if st == nil || st.Requests != 1 || st.Failures != 1 {
		t.Errorf("{status:404}: %+v", st)
	}
	if ga == nil || ga.Requests != 1 {
		t.Errorf("{group:::a,method:GET}: %+v", ga)
	}
	o := r.Snapshot(time.Now())
	o.Merge(s)
	if o.HTTPSubs[""].Requests != 4 {
		t.Errorf("merged HTTP subs: %+v", o.HTTPSubs[""])
	}
}

func TestFilterString(t *testing.T) {
	f := NewFilter(map[string]string{"status": "200", "group": "::a::b", "method": "GET"})
	if got := f.String(); got != "{group:::a::b,method:GET,status:200}" {
		t.Errorf("got %q", got)
	}
	if Filter(nil).String() != "" {
		t.Error("empty filter")
	}
	if !f.Matches(&Tags{Method: "GET", Status: 200, Group: "::a::b"}) || f.Matches(&Tags{Method: "GET", Status: 201, Group: "::a::b"}) {
		t.Error("Matches")
	}
	// A tag the sample lacks never matches, even an empty value.
	if NewFilter(map[string]string{"team": ""}).Matches(&Tags{}) {
		t.Error("matched a missing tag")
	}
}
