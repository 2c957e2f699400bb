package threshold

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

func TestParseK6(t *testing.T) {
	trend := K6{Metric: "t", Kind: stats.KindTrend, IsTime: true}
	counter := K6{Metric: "c", Kind: stats.KindCounter}
	for _, c := range []struct {
		spec     K6
		expr     string
		agg, op  string
		q, value float64
		err      string
	}{
		{spec: trend, expr: "p(95)<200", agg: "p", op: "<", q: 0.95, value: 200},
		{spec: trend, expr: " p(99.9) <= 1.5 ", agg: "p", op: "<=", q: 0.999, value: 1.5},
		{spec: trend, expr: "med===3", agg: "med", op: "==", value: 3},
		{spec: trend, expr: "avg != 3", agg: "avg", op: "!=", value: 3},
		{spec: counter, expr: "count>=10", agg: "count", op: ">=", value: 10},
		{spec: counter, expr: "rate>1", agg: "rate", op: ">", value: 1},
		{spec: K6{Metric: "g", Kind: stats.KindGauge}, expr: "value<5", agg: "value", op: "<", value: 5},
		{spec: K6{Metric: "r", Kind: stats.KindRate}, expr: "rate==1", agg: "rate", op: "==", value: 1},
		{spec: trend, expr: "p(101)<1", err: `"p(101)": a percentile is p(N) with N from 0 to 100`},
		{spec: trend, expr: "count<1", err: `unknown aggregation "count" for t, a trend (use avg, min, max, med, p(N))`},
		{spec: counter, expr: "p(95)<1", err: `unknown aggregation "p(95)" for c, a counter (use count, rate)`},
		{spec: K6{Metric: "g", Kind: stats.KindGauge}, expr: "rate<1", err: `(use value)`},
		{spec: counter, expr: "count<lots", err: `"lots" is not a number`},
		{spec: counter, expr: "count 5", err: `write AGGREGATION OPERATOR NUMBER`},
	} {
		th, err := ParseK6("x", c.expr, c.spec)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.expr, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if th.K6.Agg != c.agg || th.Op != c.op || math.Abs(th.K6.Q-c.q) > 1e-12 || th.Value != c.value || th.Expr != strings.TrimSpace(c.expr) {
			t.Errorf("%q: agg %q op %q q %v value %v", c.expr, th.K6.Agg, th.Op, th.K6.Q, th.Value)
		}
	}
}

func TestEvaluateK6(t *testing.T) {
	r := stats.NewRegistry(2)
	start := time.Now()
	r.SetStart(start)
	r.Want(stats.Wants{HTTP: []stats.Filter{nil, stats.NewFilter(map[string]string{"status": "500"})}, Metrics: map[string][]stats.Filter{"iterations": {nil}}})
	rec := r.Recorder(0)
	for i, d := range []time.Duration{10, 20, 30, 40} {
		s := stats.Sample{Type: "GET", Name: "/a", HTTP: true, Status: 200, Duration: d * time.Millisecond, Size: 100}
		if i == 3 {
			s.Status, s.Err = 500, "500"
		}
		rec.Record(s)
	}
	rec.Record(stats.Sample{Type: "GROUP", Name: "::g", Duration: time.Minute})
	rec.AddMetric("hits", stats.KindCounter, false, 6, nil)
	rec.AddMetric("lvl", stats.KindGauge, false, 7, nil)
	rec.RecordIteration(5*time.Millisecond, nil)
	rec.RecordCheck("a", true)
	rec.RecordCheck("b", false)
	snap := r.Snapshot(start.Add(2 * time.Second))

	http := func(metric string, kind stats.MetricKind, filter map[string]string) K6 {
		return K6{Metric: metric, Kind: kind, IsTime: kind == stats.KindTrend, Filter: stats.NewFilter(filter)}
	}
	for _, c := range []struct {
		spec   K6
		expr   string
		want   float64
		noData bool
	}{
		{spec: http("http_req_duration", stats.KindTrend, nil), expr: "max<1000", want: 40}, // the GROUP row's minute does not count
		{spec: http("http_req_duration", stats.KindTrend, nil), expr: "avg<1000", want: 25},
		{spec: http("http_req_duration", stats.KindTrend, nil), expr: "p(0)<1000", want: 10},
		{spec: http("http_req_failed", stats.KindRate, nil), expr: "rate<1", want: 0.25},
		{spec: http("http_reqs", stats.KindCounter, nil), expr: "count<10", want: 4},
		{spec: http("http_reqs", stats.KindCounter, nil), expr: "rate<10", want: 2},
		{spec: http("http_reqs", stats.KindCounter, map[string]string{"status": "500"}), expr: "count<10", want: 1},
		{spec: http("data_received", stats.KindCounter, nil), expr: "count<1000", want: 400},
		{spec: http("http_reqs", stats.KindCounter, map[string]string{"status": "404"}), expr: "count>10", noData: true},
		{spec: K6{Metric: "hits", Kind: stats.KindCounter}, expr: "rate<10", want: 3},
		{spec: K6{Metric: "lvl", Kind: stats.KindGauge}, expr: "value<10", want: 7},
		{spec: K6{Metric: "iterations", Kind: stats.KindCounter}, expr: "count<10", want: 1},
		{spec: K6{Metric: "never", Kind: stats.KindTrend}, expr: "avg<1", noData: true},
		{spec: K6{Metric: "checks", Kind: stats.KindRate}, expr: "rate<1", want: 0.5},
		{spec: http("checks", stats.KindRate, map[string]string{"check": "a"}), expr: "rate<=1", want: 1},
	} {
		th, err := ParseK6(c.spec.Metric, c.expr, c.spec)
		if err != nil {
			t.Fatal(err)
		}
		res := Evaluate(th, snap)
		if res.NoData != c.noData || !res.Passed || (!c.noData && res.Measured != c.want) {
			t.Errorf("%s %s: measured %v (no data %v, passed %v), want %v (no data %v)", c.spec.Metric+c.spec.Filter.String(), c.expr, res.Measured, res.NoData, res.Passed, c.want, c.noData)
		}
	}
	th, _ := ParseK6("http_reqs", "count>4", http("http_reqs", stats.KindCounter, nil))
	if Evaluate(th, snap).Passed {
		t.Error("count>4 passed with 4 requests")
	}
	for _, c := range []struct {
		spec K6
		unit string
	}{{http("http_req_duration", stats.KindTrend, nil), "ms"}, {K6{Kind: stats.KindTrend}, ""}, {K6{Kind: stats.KindRate}, "ratio"}, {K6{Kind: stats.KindCounter, Agg: "rate"}, "/s"}, {K6{Kind: stats.KindCounter, Agg: "count"}, ""}} {
		if u := UnitOf(Threshold{K6: &c.spec}); u != c.unit {
			t.Errorf("unit of %+v = %q, want %q", c.spec, u, c.unit)
		}
	}
}

// FuzzParseK6 checks that any expression either parses into a threshold
// whose aggregation the metric's kind has, or fails with a message.
func FuzzParseK6(f *testing.F) {
	for _, s := range []string{"p(95)<200", "avg<=1", "count===3", "rate!=0.5", "value>1", "p(-1)<1", "p(95", "<1", "med > 1e309"} {
		f.Add(s, uint8(stats.KindTrend))
	}
	f.Fuzz(func(t *testing.T, expr string, kind uint8) {
		k := stats.MetricKind(kind%4 + 1)
		th, err := ParseK6("m", expr, K6{Metric: "m", Kind: k})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		agg := th.K6.Agg
		if agg == "p" {
			agg = "p(N)"
			if k != stats.KindTrend || th.K6.Q < 0 || th.K6.Q > 1 {
				t.Fatalf("%q: percentile %v on a %s", expr, th.K6.Q, k)
			}
		}
		if !contains(k6Aggs[k], agg) || math.IsNaN(th.Value) || math.IsInf(th.Value, 0) {
			t.Fatalf("%q on a %s: agg %q value %v", expr, k, th.K6.Agg, th.Value)
		}
	})
}
