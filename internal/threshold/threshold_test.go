package threshold

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

func snapshot() *stats.Snapshot {
	reg := stats.NewRegistry(1)
	t0 := time.Unix(1_700_000_000, 0)
	reg.SetStart(t0)
	rec := reg.Recorder(0)
	for i := 1; i <= 100; i++ { // 1..100 ms
		s := stats.Sample{Type: "GET", Name: "/profile", Duration: time.Duration(i) * time.Millisecond, At: t0.Add(time.Second)}
		if i > 98 {
			s.Err = "500 Server Error"
		}
		rec.Record(s)
	}
	rec.Record(stats.Sample{Type: "coeus", Name: "registry", Duration: 5 * time.Millisecond, At: t0.Add(time.Second)})
	for i := 0; i < 10; i++ {
		rec.RecordCheck("status is 200", i < 9)
		rec.RecordCheck("has body", true)
	}
	return reg.Snapshot(t0.Add(10 * time.Second))
}

func TestEvaluate(t *testing.T) {
	s := snapshot()
	cases := []struct {
		name, expr string
		passed     bool
		measured   float64
	}{
		{"GET /profile", "p95 < 96", true, 95},
		{"GET /profile", "p95 < 95", false, 95},
		{"GET /profile", "p99.9 <= 100", true, 100},
		{"GET /profile", "avg < 50", false, 50.5},
		{"GET /profile", "max == 100", true, 100},
		{"GET /profile", "min >= 1", true, 1},
		{"GET /profile", "med < 51", true, 50},
		{"GET /profile", "failRate < 0.01", false, 0.02},
		{"GET /profile", "fails <= 2", true, 2},
		{"GET /profile", "count > 99", true, 100},
		{"GET /profile", "rps > 9.9", true, 10},
		{"/profile", "p50<=50", true, 50},
		{"Aggregated", "count == 101", true, 101},
		{"coeus registry", "avg < 6", true, 5},
		{"checks", "rate > 0.99", false, 0.95},
		{"check:has body", "rate == 1", true, 1},
		{"check:status is 200", "fails < 2", true, 1},
	}
	for _, c := range cases {
		th, err := Parse(c.name, c.expr)
		if err != nil {
			t.Fatalf("%s: %s: %v", c.name, c.expr, err)
		}
		r := Evaluate(th, s)
		if r.Passed != c.passed || r.NoData || math.Abs(r.Measured-c.measured) > 0.002*c.measured {
			t.Errorf("%s: %s = %+v, want passed %v measured %v", c.name, c.expr, r, c.passed, c.measured)
		}
	}
	th, _ := Parse("GET /nope", "p95 < 1")
	if r := Evaluate(th, s); !r.NoData || r.Passed {
		t.Errorf("a missing statistic must fail with NoData: %+v", r)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, expr, want string }{
		{"GET /x", "p95", "write METRIC OP NUMBER"},
		{"GET /x", "p95 ~ 3", "unknown comparison"},
		{"GET /x", "p950 < 3", "unknown metric"},
		{"GET /x", "speed < 3", "unknown metric"},
		{"GET /x", "p95 < fast", "is not a number"},
		{"GET /x", "rate > 0.9", "rate is for checks"},
		{"checks", "p95 < 3", "checks have rate, count and fails"},
		{"", "p95 < 3", "no statistic named"},
	}
	for _, c := range cases {
		if _, err := Parse(c.name, c.expr); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q, %q) = %v, want %q", c.name, c.expr, err, c.want)
		}
	}
	if _, err := ParseFlag("p95 < 3"); err == nil {
		t.Errorf("ParseFlag without a name accepted")
	}
	th, err := ParseFlag("GET /profile: p95 < 200")
	if err != nil || th.Name != "GET /profile" || th.Value != 200 {
		t.Errorf("ParseFlag = %+v, %v", th, err)
	}
}

func TestFromOptions(t *testing.T) {
	ts, err := FromOptions(map[string]any{
		"GET /profile": []any{"p95 < 200", map[string]any{"threshold": "failRate < 0.01", "abortOnFail": true}},
		"checks":       "rate > 0.99",
	})
	if err != nil || len(ts) != 3 || !ts[1].AbortOnFail || ts[0].Name != "GET /profile" || ts[1].Metric != "failRate" || ts[2].Name != "checks" {
		t.Fatalf("FromOptions = %+v, %v", ts, err)
	}
	for _, bad := range []any{"x", map[string]any{"a": 3}, map[string]any{"a": map[string]any{"abortOnFail": true}}, map[string]any{"a": "p95 <"}} {
		if _, err := FromOptions(bad); err == nil {
			t.Errorf("FromOptions(%v) accepted", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"p95 < 200", "avg<1", "rate >= 0.5", "p99.99 != 3", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Parse("GET /", s) // must not panic
	})
}
