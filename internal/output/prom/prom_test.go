package prom

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jsload/jsload/internal/stats"
)

var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// scrape fetches /metrics from h as Prometheus would and parses it with the
// client library's text parser.
func scrape(t *testing.T, h http.Handler) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parsing the exposition: %v\n%s", err, body)
	}
	return fams, string(body)
}

// find returns the metric of family name with the given labels.
func find(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric family %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(labels)/2 {
			continue
		}
		for i := 0; i < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no %s%v", name, labels)
	return nil
}

func snapshot() *stats.Snapshot {
	reg := stats.NewRegistry(2)
	reg.SetStart(t0)
	rec := reg.Recorder(0)
	at := t0.Add(time.Second)
	for _, ms := range []float64{0.4, 1, 1.5, 3, 7, 15, 40, 90, 150, 400, 900, 1500, 4000, 9000, 70000} {
		rec.Record(stats.Sample{Type: "GET", Name: "/items", Duration: time.Duration(ms * float64(time.Millisecond)), At: at})
	}
	rec.Record(stats.Sample{Type: "POST", Name: "/login", Duration: 30 * time.Millisecond, Err: "HTTP 401", At: at})
	rec.Record(stats.Sample{Type: "POST", Name: "/login", Duration: 20 * time.Millisecond, At: at})
	rec.Record(stats.Sample{Type: "grpc", Name: "bad \xff utf8 \"q\"\n", Duration: time.Millisecond, At: at})
	reg.Recorder(1).RecordException("TypeError: x", "a.js:1:1", "")
	reg.Recorder(1).RecordException("TypeError: x", "a.js:1:1", "")
	reg.Recorder(1).RecordException("Error: y", "", "")
	rec.RecordCheck("status is 200", true)
	rec.RecordCheck("status is 200", true)
	rec.RecordCheck("status is 200", false)
	rec.RecordDropped(5)
	s := reg.Snapshot(t0.Add(2 * time.Second))
	s.Users = 12
	return s
}

func TestScrape(t *testing.T) {
	s := snapshot()
	fams, body := scrape(t, Handler(func() *stats.Snapshot { return s }))

	if f := fams["jsload_requests_total"]; f.GetType() != dto.MetricType_COUNTER || len(f.GetMetric()) != 3 {
		t.Errorf("jsload_requests_total: type %v, %d series", f.GetType(), len(f.GetMetric()))
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"jsload_requests_total", []string{"type", "GET", "name", "/items"}, 15},
		{"jsload_requests_total", []string{"type", "POST", "name", "/login"}, 2},
		{"jsload_requests_total", []string{"type", "grpc", "name", "bad \uFFFD utf8 \"q\"\n"}, 1},
		{"jsload_request_failures_total", []string{"type", "POST", "name", "/login"}, 1},
		{"jsload_request_failures_total", []string{"type", "GET", "name", "/items"}, 0},
		{"jsload_exceptions_total", nil, 3},
		{"jsload_dropped_iterations_total", nil, 5},
		{"jsload_checks_total", []string{"check", "status is 200", "result", "pass"}, 2},
		{"jsload_checks_total", []string{"check", "status is 200", "result", "fail"}, 1},
	} {
		m := find(t, fams, c.name, c.labels...)
		if got := m.GetCounter().GetValue(); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got := find(t, fams, "jsload_users").GetGauge().GetValue(); got != 12 {
		t.Errorf("jsload_users = %v, want 12", got)
	}
	if got := find(t, fams, "jsload_start_time_seconds").GetGauge().GetValue(); got != float64(t0.Unix()) {
		t.Errorf("jsload_start_time_seconds = %v, want %d", got, t0.Unix())
	}

	f := fams["jsload_response_time_seconds"]
	if f.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("jsload_response_time_seconds is a %v", f.GetType())
	}
	h := find(t, fams, "jsload_response_time_seconds", "type", "GET", "name", "/items").GetHistogram()
	if h.GetSampleCount() != 15 {
		t.Errorf("count %d, want 15", h.GetSampleCount())
	}
	wantSum := (0.4 + 1 + 1.5 + 3 + 7 + 15 + 40 + 90 + 150 + 400 + 900 + 1500 + 4000 + 9000 + 70000) / 1000
	if math.Abs(h.GetSampleSum()-wantSum) > 1e-6 {
		t.Errorf("sum %v, want %v", h.GetSampleSum(), wantSum)
	}
	// One sample lands in each bucket, and 70 s beyond the last.
	wantCum := map[float64]uint64{0.001: 2, 0.002: 3, 0.005: 4, 0.01: 5, 0.02: 6, 0.05: 7, 0.1: 8, 0.2: 9, 0.5: 10, 1: 11, 2: 12, 5: 13, 10: 14, 20: 14, 60: 14}
	if len(h.GetBucket()) != len(Buckets)+1 { // the parser adds +Inf
		t.Errorf("%d buckets, want %d and +Inf", len(h.GetBucket()), len(Buckets))
	}
	wantCum[math.Inf(1)] = 15
	for _, b := range h.GetBucket() {
		if want, ok := wantCum[b.GetUpperBound()]; !ok || b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	for _, want := range []string{
		"# TYPE jsload_response_time_seconds histogram",
		`jsload_response_time_seconds_bucket{name="/items",type="GET",le="+Inf"} 15`,
		"# HELP jsload_requests_total Requests made",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if strings.Contains(body, "Aggregated") {
		t.Error("the Aggregated row is exported")
	}
}

// TestBoundaries checks which bucket a value exactly on a bound lands in.
func TestBoundaries(t *testing.T) {
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	for _, d := range []time.Duration{time.Millisecond, 2 * time.Millisecond, time.Second, 60 * time.Second} {
		reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/", Duration: d, At: t0})
	}
	row := reg.Snapshot(t0.Add(time.Second)).Rows[0]
	count, b := histogram(row)
	if count != 4 || b[0.001] != 1 || b[0.002] != 2 || b[1] != 3 || b[60] != 4 {
		t.Errorf("count %d, buckets %v", count, b)
	}
	// Without a histogram only the count is known.
	count, b = histogram(&stats.Row{Counters: stats.Counters{Requests: 3}})
	if count != 3 || b[60] != 0 {
		t.Errorf("no histogram: count %d, buckets %v", count, b)
	}
}

func TestNilSource(t *testing.T) {
	for _, src := range []func() *stats.Snapshot{nil, func() *stats.Snapshot { return nil }, func() *stats.Snapshot { return &stats.Snapshot{} }} {
		fams, _ := scrape(t, Handler(src))
		if got := find(t, fams, "jsload_users").GetGauge().GetValue(); got != 0 {
			t.Errorf("users %v", got)
		}
		if _, ok := fams["jsload_requests_total"]; ok {
			t.Error("request series without a snapshot")
		}
	}
}

// TestSourcePerScrape checks that every scrape reads the latest snapshot.
func TestSourcePerScrape(t *testing.T) {
	var calls atomic.Int64
	s1, s2 := snapshot(), snapshot()
	s2.Users = 99
	h := Handler(func() *stats.Snapshot {
		if calls.Add(1) == 1 {
			return s1
		}
		return s2
	})
	f1, _ := scrape(t, h)
	f2, _ := scrape(t, h)
	if a, b := find(t, f1, "jsload_users").GetGauge().GetValue(), find(t, f2, "jsload_users").GetGauge().GetValue(); a != 12 || b != 99 {
		t.Errorf("users %v then %v, want 12 then 99", a, b)
	}
	if calls.Load() != 2 {
		t.Errorf("source called %d times for 2 scrapes", calls.Load())
	}
}

// TestConcurrentScrapes is for the race detector: scrapes while a test
// records and the source swaps snapshots.
func TestConcurrentScrapes(t *testing.T) {
	reg := stats.NewRegistry(4)
	reg.SetStart(t0)
	var mu sync.Mutex
	latest := reg.Snapshot(t0)
	h := Handler(func() *stats.Snapshot { mu.Lock(); defer mu.Unlock(); return latest })
	srv := httptest.NewServer(h)
	defer srv.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			reg.Recorder(i).Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, At: t0})
			s := reg.Snapshot(t0.Add(time.Second))
			mu.Lock()
			latest = s
			mu.Unlock()
		}
	}()
	for i := 0; i < 20; i++ {
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	close(stop)
	wg.Wait()
}

func TestBucketsIncrease(t *testing.T) {
	if Buckets[0] != 0.001 || Buckets[len(Buckets)-1] != 60 {
		t.Errorf("buckets from %v to %v", Buckets[0], Buckets[len(Buckets)-1])
	}
	for i := 1; i < len(Buckets); i++ {
		if r := Buckets[i] / Buckets[i-1]; r < 1.4 || r > 3.01 {
			t.Errorf("bucket %v is %.2f times the previous", Buckets[i], r)
		}
	}
}

// TestCustomMetrics: k6/metrics' Counter, Gauge, Rate and Trend are
// served by kind; k6's built-in metrics kept for thresholds and
// sub-metrics are not.
func TestCustomMetrics(t *testing.T) {
	reg := stats.NewRegistry(1)
	rec := reg.Recorder(0)
	for _, v := range []float64{2, 3} {
		rec.AddMetric("orders", stats.KindCounter, false, v, nil)
	}
	rec.AddMetric("queue", stats.KindGauge, false, 7, nil)
	rec.AddMetric("queue", stats.KindGauge, false, 4, nil)
	for _, v := range []float64{1, 0, 1, 1} {
		rec.AddMetric("ok_rate", stats.KindRate, false, v, nil)
	}
	for v := 1.0; v <= 100; v++ {
		rec.AddMetric("wait", stats.KindTrend, true, v, nil)
	}
	rec.RecordIteration(time.Millisecond, nil) // built-in: iterations, iteration_duration
	s := reg.Snapshot(time.Now())
	fams, body := scrape(t, Handler(func() *stats.Snapshot { return s }))
	if got := find(t, fams, "jsload_custom_counter_total", "metric", "orders").GetCounter().GetValue(); got != 5 {
		t.Errorf("counter = %v, want 5", got)
	}
	if got := find(t, fams, "jsload_custom_gauge", "metric", "queue").GetGauge().GetValue(); got != 4 {
		t.Errorf("gauge = %v, want 4 (the last value)", got)
	}
	for result, want := range map[string]float64{"nonzero": 3, "zero": 1} {
		if got := find(t, fams, "jsload_custom_rate_total", "metric", "ok_rate", "result", result).GetCounter().GetValue(); got != want {
			t.Errorf("rate %s = %v, want %v", result, got, want)
		}
	}
	sum := find(t, fams, "jsload_custom_trend", "metric", "wait").GetSummary()
	if sum.GetSampleCount() != 100 || sum.GetSampleSum() != 5050 {
		t.Errorf("trend count %d sum %v, want 100 and 5050", sum.GetSampleCount(), sum.GetSampleSum())
	}
	for _, q := range sum.GetQuantile() {
		// k6's interpolation over 1..100: value at q is 1 + 99q.
		if want := 1 + 99*q.GetQuantile(); math.Abs(q.GetValue()-want) > 1e-9 {
			t.Errorf("trend quantile %v = %v, want %v", q.GetQuantile(), q.GetValue(), want)
		}
	}
	if strings.Contains(body, `metric="iteration`) {
		t.Errorf("k6's built-in metrics are exported as custom ones:\n%s", body)
	}
}
