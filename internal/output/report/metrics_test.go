package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

func TestCustomMetricsInTheSummaryAndReport(t *testing.T) {
	r := stats.NewRegistry(1)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r.SetStart(start)
	rec := r.Recorder(0)
	rec.AddMetric("signups", stats.KindCounter, false, 4, nil)
	rec.AddMetric("think", stats.KindTrend, true, 10, nil)
	rec.AddMetric("think", stats.KindTrend, true, 30, nil)
	r.Want(stats.Wants{Metrics: map[string][]stats.Filter{"iterations": {nil}}})
	rec.RecordIteration(time.Millisecond, nil) // built-in: not a custom metric
	s := Build(Meta{}, r.Snapshot(start.Add(2*time.Second)), nil, nil)
	if len(s.Metrics) != 2 {
		t.Fatalf("metrics %+v", s.Metrics)
	}
	if m := s.Metrics[0]; m.Name != "signups" || m.Kind != "counter" || m.Values["count"] != 4 || m.Values["rate"] != 2 {
		t.Errorf("signups %+v", m)
	}
	if m := s.Metrics[1]; m.Name != "think" || m.Kind != "trend" || !m.IsTime || m.Values["med"] != 20 || m.Values["p(90)"] != 28 {
		t.Errorf("think %+v", m)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "<h2>Custom metrics</h2>") || !strings.Contains(b.String(), "<td>think</td><td>trend (ms)</td><td>avg 20 &nbsp; max 30 &nbsp; med 20 &nbsp; min 10 &nbsp; p(90) 28 &nbsp; p(95) 29 &nbsp; </td>") {
		t.Errorf("the report has no custom metrics table:\n%s", b.String())
	}
	var j bytes.Buffer
	if err := WriteJSON(&j, s); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&j)
	if err != nil || len(back.Metrics) != 2 || back.Metrics[1].Values["p(95)"] != 29 {
		t.Errorf("read back: %v %+v", err, back)
	}
}
