package cli

import (
	"fmt"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/js"
)

func TestK6ThresholdsBecomeSubMetricWants(t *testing.T) {
	ts, err := k6Thresholds(map[string]any{
		"http_req_duration":                  []any{"p(95)<200"},
		"http_reqs":                          []any{"count>1"}, // the same (empty) filter: one row
		"http_req_failed{status:500}":        []any{"rate<0.1"},
		"http_reqs{ status : '500' }":        []any{"count<10"}, // the same filter, written otherwise
		"http_reqs{url:/a}":                  []any{"count<10"}, // url is jsload's name
		"iterations":                         []any{"count>1"},
		"hits{team:blue}":                    []any{"count>1"},
		"checks{check:ok}":                   []any{"rate>0.9"},
		"iteration_duration{scenario:smoke}": []any{map[string]any{"threshold": "p(90)<5", "abortOnFail": true, "delayAbortEval": "10s"}},
	}, map[string]js.MetricInfo{"hits": {Kind: stats.KindCounter}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 9 {
		t.Fatalf("%d thresholds", len(ts))
	}
	last := ts[len(ts)-1]
	for _, th := range ts {
		if th.Name == "iteration_duration{scenario:smoke}" {
			last = th
		}
	}
	if !last.AbortOnFail || last.DelayAbortEval != 10*time.Second || last.K6.Agg != "p" || !last.K6.IsTime {
		t.Errorf("iteration_duration threshold: %+v %+v", last, last.K6)
	}
	w := k6Wants(ts)
	if got := fmt.Sprint(w.HTTP); got != "[ {status:500} {name:/a}]" {
		t.Errorf("HTTP wants %s", got)
	}
	if got := fmt.Sprint(w.Metrics); got != "map[hits:[{team:blue}] iteration_duration:[{scenario:smoke}] iterations:[]]" {
		t.Errorf("metric wants %s", got)
	}
}

func TestAbortingThresholdsWaitForDelayAbortEval(t *testing.T) {
	r := stats.NewRegistry(1)
	start := time.Now()
	r.SetStart(start)
	r.Want(stats.Wants{HTTP: []stats.Filter{nil}})
	r.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/", HTTP: true, Status: 500, Err: "500"})
	th, err := threshold.ParseK6("http_req_failed", "rate<0.1", threshold.K6{Metric: "http_req_failed", Kind: stats.KindRate})
	if err != nil {
		t.Fatal(err)
	}
	th.AbortOnFail, th.DelayAbortEval = true, 5*time.Second
	quiet, noAbort := th, th
	noAbort.AbortOnFail = false
	for _, c := range []struct {
		at   time.Duration
		ts   []threshold.Threshold
		want int
	}{{4 * time.Second, []threshold.Threshold{th}, 0}, {5 * time.Second, []threshold.Threshold{th}, 1}, {6 * time.Second, []threshold.Threshold{quiet, noAbort}, 1}} {
		if got := abortingThresholds(c.ts, r.Snapshot(start.Add(c.at))); len(got) != c.want {
			t.Errorf("at %v: %d aborting, want %d", c.at, len(got), c.want)
		}
	}
}

// FuzzK6Filter checks that a tag filter either reads into pairs of tags
// the metric allows (url read as name) or fails with a message.
func FuzzK6Filter(f *testing.F) {
	for _, s := range []string{"name:a}", " status : '200' , group:::a::b}", "team:x}", "expected_response:true}", "}", "a}", "name:a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := k6Filter(s, k6HTTPTags)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, p := range fl {
			if p.Key == "" || k6UnsetTags[p.Key] || p.Key == "url" {
				t.Fatalf("%q gave the pair %q", s, p)
			}
		}
	})
}
