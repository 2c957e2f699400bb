package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"github.com/jsload/jsload/internal/golden"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestGoldenJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureSummary()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "summary.golden.json", b.Bytes())
}

func TestGoldenHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, fixtureSummary()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.golden.html", b.Bytes())
}

// TestGoldenHTMLMinimal is the report of a run without requests, history,
// checks or thresholds: every section must still read well.
func TestGoldenHTMLMinimal(t *testing.T) {
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	s := Build(Meta{Script: "empty.js", Version: "0.4.0-test", Start: t0, End: t0.Add(3 * time.Second)}, reg.Snapshot(t0.Add(3*time.Second)), nil, nil)
	var b bytes.Buffer
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report_empty.golden.html", b.Bytes())
}

// TestJSONSchema checks the documented field names and shapes of a summary,
// as a tool would read them.
func TestJSONSchema(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureSummary()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		return strings.Join(sorted(k), ",")
	}
	if got, want := keys(doc), "aggregated,checks,cut_off_requests,dropped_iterations,exceptions,failures,format,history,lost_workers,meta,rates_over_s,stats,thresholds,version"; got != want {
		t.Errorf("top-level keys %s, want %s", got, want)
	}
	if doc["format"] != "jsload-summary" || doc["version"] != 1.0 {
		t.Errorf("format %v version %v", doc["format"], doc["version"])
	}
	if got, want := keys(doc["meta"].(map[string]any)), "args,duration_s,end,host,script,start,users,version"; got != want {
		t.Errorf("meta keys %s, want %s", got, want)
	}
	row := doc["stats"].([]any)[1].(map[string]any) // GET /api/items, with scheduled percentiles
	if got, want := keys(row), "avg_ms,avg_size_bytes,failures,failures_per_s,max_ms,median_ms,min_ms,name,percentiles_ms,requests,rps,scheduled_percentiles_ms,type"; got != want {
		t.Errorf("stats row keys %s, want %s", got, want)
	}
	if got, want := keys(doc["stats"].([]any)[0].(map[string]any)), "avg_ms,avg_size_bytes,failures,failures_per_s,max_ms,median_ms,min_ms,name,percentiles_ms,requests,rps,type"; got != want {
		t.Errorf("stats row keys without scheduled times %s, want %s", got, want)
	}
	agg := doc["aggregated"].(map[string]any)
	if agg["name"] != "Aggregated" || agg["type"] != "" {
		t.Errorf("aggregated row %v %v", agg["type"], agg["name"])
	}
	// The percentiles are in order in the document.
	i := bytes.Index(b.Bytes(), []byte(`"percentiles_ms": {`))
	j := bytes.IndexByte(b.Bytes()[i:], '}')
	obj := string(b.Bytes()[i : i+j])
	last := -1
	for _, k := range []string{`"50"`, `"66"`, `"75"`, `"80"`, `"90"`, `"95"`, `"98"`, `"99"`, `"99.9"`, `"99.99"`, `"100"`} {
		p := strings.Index(obj, k+":")
		if p <= last {
			t.Errorf("percentile %s missing or out of order in %s", k, obj)
		}
		last = p
	}
	for name, want := range map[string]string{
		"failures":   "error,name,occurrences,type",
		"exceptions": "count,message,position,traceback",
		"checks":     "fails,name,passes,rate",
		"thresholds": "expr,name,passed,value",
		"history":    "elapsed_s,failures,failures_per_s,p50_ms,p95_ms,p99_ms,requests,rps,users",
	} {
		list := doc[name].([]any)
		if len(list) == 0 {
			t.Errorf("%s is empty in the fixture", name)
			continue
		}
		if got := keys(list[0].(map[string]any)); got != want {
			t.Errorf("%s keys %s, want %s", name, got, want)
		}
	}
}

func sorted(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestEmptyArraysAreNotNull(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, Build(Meta{}, nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b.Bytes(), []byte("null")) {
		t.Errorf("summary has null values:\n%s", b.String())
	}
}

func TestRoundTrip(t *testing.T) {
	s := fixtureSummary()
	var b bytes.Buffer
	if err := WriteJSON(&b, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Error("the summary read back differs from the one written")
	}
	var b2 bytes.Buffer
	if err := WriteJSON(&b2, got); err != nil {
		t.Fatal(err)
	}
	if b.String() != b2.String() {
		t.Errorf("rewriting the summary changed it:\n%s", golden.FirstDiff(b2.String(), b.String()))
	}
	// The report from the summary read back is the same as the original's.
	var h1, h2 bytes.Buffer
	if err := WriteHTML(&h1, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&h2, got); err != nil {
		t.Fatal(err)
	}
	if h1.String() != h2.String() {
		t.Errorf("report from the JSON differs:\n%s", golden.FirstDiff(h2.String(), h1.String()))
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct {
		in, want string
		notSum   bool
	}{
		{"", "not a jsload summary: the input is empty", true},
		{"  \n", "not a jsload summary: the input is empty", true},
		{"Type,Name,Request Count\r\n", "not a jsload summary: not JSON", true},
		{"<html></html>", "not a jsload summary: not JSON", true},
		{`{"format": "jsload-summary", "version": 1`, "not a jsload summary: not JSON", true},
		{`[1, 2]`, "not a jsload summary: the JSON is not an object", true},
		{`"jsload-summary"`, "not a jsload summary: the JSON is not an object", true},
		{`{}`, `not a jsload summary: no "format" field`, true},
		{`{"state": "running", "stats": []}`, `not a jsload summary: no "format" field`, true},
		{`{"format": "k6-summary", "version": 1}`, `not a jsload summary: its format is "k6-summary"`, true},
		{`{"format": 7}`, "not a jsload summary: the JSON is not an object", true},
		{`{"format": "jsload-summary"}`, `not a jsload summary: no "version" field`, true},
		{`{"format": "jsload-summary", "version": "1"}`, `its version "1" is not a whole number`, true},
		{`{"format": "jsload-summary", "version": 2}`, "unsupported jsload summary version 2 (this jsload reads version 1)", false},
		{`{"format": "jsload-summary", "version": 0}`, "unsupported jsload summary version 0", false},
		{`{"format": "jsload-summary", "version": 1, "stats": {}}`, "invalid jsload summary: field stats", false},
		{`{"format": "jsload-summary", "version": 1, "meta": {"start": "yesterday"}}`, "invalid jsload summary", false},
	}
	for _, tt := range tests {
		_, err := ReadJSON(strings.NewReader(tt.in))
		if err == nil {
			t.Errorf("ReadJSON(%q) succeeded", tt.in)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadJSON(%q) = %q, want it to contain %q", tt.in, err, tt.want)
		}
		if errors.Is(err, ErrNotSummary) != tt.notSum {
			t.Errorf("ReadJSON(%q): errors.Is(err, ErrNotSummary) = %v", tt.in, !tt.notSum)
		}
	}
	// A minimal summary and one with fields from a later version 1 are fine.
	for _, in := range []string{
		`{"format": "jsload-summary", "version": 1}`,
		`{"format": "jsload-summary", "version": 1, "future_field": {"x": 1}, "stats": [{"name": "/", "new": true}]}`,
	} {
		s, err := ReadJSON(strings.NewReader(in))
		if err != nil {
			t.Errorf("ReadJSON(%s): %v", in, err)
			continue
		}
		if err := WriteHTML(&bytes.Buffer{}, s); err != nil {
			t.Errorf("WriteHTML of %s: %v", in, err)
		}
	}
}

func FuzzReadJSON(f *testing.F) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureSummary()); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	b.Reset()
	WriteJSON(&b, Build(Meta{}, nil, nil, nil))
	f.Add(b.Bytes())
	for _, s := range []string{
		`{"format": "jsload-summary", "version": 1, "history": [{"elapsed_s": 1e308, "rps": -5, "p99_ms": 1e300}, {"elapsed_s": -1e308}]}`,
		`{"format": "jsload-summary", "version": 1, "stats": [{"requests": 3, "percentiles_ms": {"50": 1e999}}]}`,
		`{"format": "jsload-summary", "version": 1, "checks": [{"rate": -3}], "thresholds": [{"value": 1e308}]}`,
		`{"format": "jsload-summary", "version": 2}`,
		`not json`, `[]`, `{"format": null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadJSON(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatal("summary returned with an error")
			}
			return
		}
		var out bytes.Buffer
		if err := WriteJSON(&out, s); err != nil {
			t.Fatalf("WriteJSON of a summary read: %v", err)
		}
		s2, err := ReadJSON(bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatalf("reading back what WriteJSON wrote: %v\n%s", err, out.Bytes())
		}
		var out2 bytes.Buffer
		if err := WriteJSON(&out2, s2); err != nil {
			t.Fatal(err)
		}
		if out.String() != out2.String() {
			t.Fatalf("round trip changed the summary:\n%s", golden.FirstDiff(out2.String(), out.String()))
		}
		var page bytes.Buffer
		if err := WriteHTML(&page, s); err != nil {
			t.Fatalf("WriteHTML: %v", err)
		}
	})
}

// attrURL finds attributes and CSS that would make the browser fetch
// something.
var (
	attrURL   = regexp.MustCompile(`(?i)\b(src|href|srcset|action|poster|data|xmlns(:\w+)?|xlink:href|formaction|background)\s*=\s*["']?\s*[a-z][a-z0-9+.-]*:`)
	cssURL    = regexp.MustCompile(`(?i)url\s*\(|@import`)
	anyTag    = regexp.MustCompile(`(?i)<(script|link|img|iframe|object|embed|image|use|video|audio|source|base|meta\s+http-equiv)\b`)
	httpInTag = regexp.MustCompile(`(?i)<[^>]*https?://[^>]*>`)
)

// TestHTMLIsSelfContained checks that the reports load nothing: no
// attribute with a URL, no CSS url() or @import, no tag that fetches, no
// http(s) URL inside any tag (the host in the text is fine).
func TestHTMLIsSelfContained(t *testing.T) {
	for _, s := range []*Summary{fixtureSummary(), Build(Meta{}, nil, nil, nil), hostileSummary()} {
		var b bytes.Buffer
		if err := WriteHTML(&b, s); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, re := range []*regexp.Regexp{attrURL, cssURL, anyTag, httpInTag} {
			if m := re.FindString(page); m != "" {
				t.Errorf("the report would load something: %q", m)
			}
		}
	}
}

// hostileSummary has names and messages that try to inject markup.
func hostileSummary() *Summary {
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	rec := reg.Recorder(0)
	bad := `<script src="https://evil.example/x.js"></script><img src=x onerror=alert(1)>`
	rec.Record(stats.Sample{Type: "GET" + bad, Name: "/a" + bad, Duration: time.Millisecond, Err: "boom " + bad, At: t0.Add(time.Second)})
	rec.RecordException("Error: "+bad, "x.js:1:1"+bad, "at "+bad)
	rec.RecordCheck("check "+bad, false)
	s := Build(Meta{Script: bad, Host: "https://evil.example/" + bad, Version: bad, Args: []string{bad}}, reg.Snapshot(t0.Add(2*time.Second)), nil,
		[]threshold.Result{{Threshold: threshold.Threshold{Name: bad, Expr: bad}, Measured: 1}})
	return s
}

func TestHTMLEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileSummary()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", "<img", "onerror=alert"} {
		if strings.Contains(strings.ToLower(page), bad) && !strings.Contains(page, "&lt;") {
			t.Errorf("unescaped %q in the report", bad)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "<img") {
		t.Error("user text was inserted as markup")
	}
	if !strings.Contains(page, "&lt;script src=&#34;https://evil.example/x.js&#34;&gt;") {
		t.Error("user text was not shown escaped")
	}
}

func TestHTMLContent(t *testing.T) {
	s := fixtureSummary()
	var b bytes.Buffer
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<h1>scripts/shop.js</h1>",
		"Thresholds failed",
		`<tr class="failed">`, `<tr class="passed">`, "✓ pass", "✗ fail",
		"p(95) &lt; 500",
		"Throughput", "Response times", "Users",
		`<svg class="chart"`, `class="line s-rps"`, `class="line s-fail"`, `class="line s-p99"`, `class="area s-users"`,
		"Request statistics", "Response time percentiles", "99.99%",
		"Response time percentiles from the scheduled start",
		"items list is not empty",
		"500 Server Error: Internal Server Error",
		"scripts/shop.js:42:17", "Stack trace",
		"iteration starts were dropped",
		"jsload run scripts/shop.js --headless -u 80",
		"http://localhost:8080",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func TestVerdict(t *testing.T) {
	clean := &Summary{Aggregated: Stat{Requests: 3}, Thresholds: []threshold.Result{{Threshold: threshold.Threshold{Name: "x"}, Passed: true}}}
	if v := buildView(clean); v.Verdict != "pass" || len(v.Reasons) != 0 {
		t.Errorf("clean run: verdict %s, %q", v.Verdict, v.Reasons)
	}
	if v := buildView(Build(Meta{}, nil, nil, nil)); v.Verdict != "warn" || v.VerdictText != "No requests were made" {
		t.Errorf("empty run: verdict %s %q", v.Verdict, v.VerdictText)
	}
	errs := &Summary{Aggregated: Stat{Requests: 3, Failures: 1}}
	if v := buildView(errs); v.Verdict != "warn" || len(v.Reasons) != 1 || v.Reasons[0] != "1 failed request" {
		t.Errorf("run with failures: verdict %s, %q", v.Verdict, v.Reasons)
	}
	lastReport := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	snap := &stats.Snapshot{Total: &stats.Row{Hist: &stats.Histogram{}}, LostWorkers: []stats.LostWorker{{ID: "host-a_101", Host: "host-a", Users: 6, LastReport: lastReport, Why: "missing"}}}
	snap.Total.Requests = 5
	lost := Build(Meta{}, snap, nil, nil)
	if len(lost.LostWorkers) != 1 || lost.LostWorkers[0].ID != "host-a_101" || !lost.LostWorkers[0].LastReport.Equal(lastReport) {
		t.Errorf("lost workers in the summary: %+v", lost.LostWorkers)
	}
	if v := buildView(lost); v.Verdict != "warn" || v.VerdictText != "Workers were lost" || len(v.Reasons) != 1 || !strings.Contains(v.Reasons[0], "worker host-a_101 on host-a lost") {
		t.Errorf("run with a lost worker: verdict %s %q, %q", v.Verdict, v.VerdictText, v.Reasons)
	}
	// A report taken while the test runs does not say how it finished.
	running := &Summary{Meta: SummaryMeta{Meta: Meta{Running: true}}, Aggregated: Stat{Requests: 3}}
	if v := buildView(running); v.Verdict != "running" || v.VerdictText != "Running" {
		t.Errorf("running: verdict %s %q", v.Verdict, v.VerdictText)
	}
	running.Aggregated.Failures = 1
	if v := buildView(running); v.Verdict != "warn" || v.VerdictText != "Running, with errors so far" || strings.Join(v.Reasons, "; ") != "1 failed request" {
		t.Errorf("running with failures: verdict %s %q %q", v.Verdict, v.VerdictText, v.Reasons)
	}
	sat := Build(Meta{Saturation: &Saturation{Seconds: 12, CPUPercent: 99, Cores: 1, WaitP90Ms: 230}}, snap, nil, nil)
	sat.LostWorkers = nil
	want := "the load generator was saturated for 12 seconds (worst: CPU 99% of 1 core, goroutines waited 230 ms for a core): tasks started late and response times may include its own queueing"
	if v := buildView(sat); v.Verdict != "pass" || strings.Join(v.Reasons, "; ") != want {
		t.Errorf("saturated generator: verdict %s, %q, want %q", v.Verdict, v.Reasons, want)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, sat); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"saturation": {
      "seconds": 12,
      "cpu_percent": 99,
      "cores": 1,
      "wait_p90_ms": 230
    }`) {
		t.Errorf("the JSON summary lacks meta.saturation: %s", js.String())
	}
	back, err := ReadJSON(&js)
	if err != nil {
		t.Fatalf("reading the JSON summary back: %v", err)
	}
	if back.Meta.Saturation == nil || *back.Meta.Saturation != *sat.Meta.Saturation {
		t.Errorf("meta.saturation read back: %+v, %v", back.Meta.Saturation, err)
	}
	failed := &Summary{Thresholds: []threshold.Result{{Passed: false}, {Passed: true}}, Exceptions: []Exception{{Count: 4}}}
	if v := buildView(failed); v.Verdict != "fail" || strings.Join(v.Reasons, "; ") != "1 threshold failed; 4 exceptions" {
		t.Errorf("failed thresholds: verdict %s, %q", v.Verdict, v.Reasons)
	}
}

func TestBuild(t *testing.T) {
	s := fixtureSummary()
	if s.Format != Format || s.Version != Version {
		t.Errorf("format %q version %d", s.Format, s.Version)
	}
	if s.Meta.Duration != 180 {
		t.Errorf("duration %v, want 180", s.Meta.Duration)
	}
	if len(s.Stats) != 5 {
		t.Fatalf("%d stats rows, want 5", len(s.Stats))
	}
	var sum int64
	for _, st := range s.Stats {
		sum += st.Requests
		if st.Name == "/api/items" && st.Type == "GET" {
			if len(st.Scheduled) != len(stats.Percentiles) {
				t.Errorf("GET /api/items has %d scheduled percentiles", len(st.Scheduled))
			}
			if st.Scheduled["99"] < st.Percentiles["99"] {
				t.Errorf("scheduled p99 %v below p99 %v", st.Scheduled["99"], st.Percentiles["99"])
			}
		} else if st.Scheduled != nil {
			t.Errorf("%s %s has scheduled percentiles", st.Type, st.Name)
		}
		if st.Percentiles["100"] != st.MaxMS {
			t.Errorf("%s: 100%% = %v, max %v", st.Name, st.Percentiles["100"], st.MaxMS)
		}
	}
	if sum != s.Aggregated.Requests || s.Aggregated.Name != "Aggregated" {
		t.Errorf("aggregated %d requests, rows sum to %d", s.Aggregated.Requests, sum)
	}
	if want := float64(s.Aggregated.Requests) / 180; math.Abs(s.Aggregated.RPS-want) > 0.001 {
		t.Errorf("rps %v, want %v", s.Aggregated.RPS, want)
	}
	if len(s.History) != fixtureSeconds {
		t.Errorf("%d history points, want %d", len(s.History), fixtureSeconds)
	}
	if s.Dropped != 17 || len(s.Exceptions) != 2 || len(s.Checks) != 2 || len(s.Thresholds) != 3 {
		t.Errorf("dropped %d, %d exceptions, %d checks, %d thresholds", s.Dropped, len(s.Exceptions), len(s.Checks), len(s.Thresholds))
	}
	c := s.Checks[0]
	if c.Name != "items list is not empty" || c.Rate != float64(c.Passes)/float64(c.Passes+c.Fails) {
		t.Errorf("check %+v", c)
	}

	// A threshold without a value is marked, and the summary stays JSON.
	nd := Build(Meta{}, nil, nil, []threshold.Result{{Threshold: threshold.Threshold{Name: "x"}, Measured: math.NaN()}, {Threshold: threshold.Threshold{Name: "y"}, Measured: math.Inf(1)}, {Threshold: threshold.Threshold{Name: "z"}, Measured: 2}})
	if !nd.Thresholds[0].NoData || !nd.Thresholds[1].NoData || nd.Thresholds[2].NoData || nd.Thresholds[0].Measured != 0 {
		t.Errorf("thresholds %+v", nd.Thresholds)
	}
	if err := WriteJSON(io.Discard, nd); err != nil {
		t.Error(err)
	}
	var page bytes.Buffer
	WriteHTML(&page, nd)
	if !strings.Contains(page.String(), "no data") {
		t.Error("the report does not say no data")
	}

	// Without a start and end, the snapshot's are used.
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	e := Build(Meta{}, reg.Snapshot(t0.Add(5*time.Second)), nil, nil)
	if !e.Meta.Start.Equal(t0) || e.Meta.Duration != 5 || len(e.Aggregated.Percentiles) != 0 {
		t.Errorf("empty run: %+v", e.Meta)
	}
	// A hand-made snapshot without a Total.
	h := Build(Meta{}, &stats.Snapshot{Rows: []*stats.Row{{Key: stats.Key{Type: "GET", Name: "/"}, Counters: stats.Counters{Requests: 2}, Hist: &stats.Histogram{}}}}, nil, nil)
	if h.Aggregated.Requests != 2 {
		t.Errorf("aggregated of a snapshot without Total: %d requests", h.Aggregated.Requests)
	}
}

func TestHistoryWindow(t *testing.T) {
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	h := NewHistory()
	for sec := 0; sec < 30; sec++ {
		v := 10 * time.Millisecond
		if sec < 5 {
			v = 500 * time.Millisecond
		}
		reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/", Duration: v, At: t0.Add(time.Duration(sec)*time.Second + time.Second/2)})
		s := reg.Snapshot(t0.Add(time.Duration(sec+1) * time.Second))
		s.Users = sec
		h.Add(s)
	}
	pts := h.Points(t0)
	if len(pts) != 30 {
		t.Fatalf("%d points", len(pts))
	}
	if p := pts[4]; p.P99 != 500 || p.Elapsed != 5 || p.Users != 4 || p.Requests != 5 {
		t.Errorf("point 5: %+v", p)
	}
	if p := pts[29]; p.P99 != 10 || p.P50 != 10 {
		t.Errorf("last point: %+v, want percentiles of the last 10 s (10 ms)", p)
	}
	if p := pts[12]; p.P99 != 500 {
		t.Errorf("point 13: %+v, want the slow seconds still in the window", p)
	}
	if p := pts[29]; math.Abs(p.RPS-1) > 0.001 {
		t.Errorf("last point rps %v, want 1", p.RPS)
	}
	if len(h.recent) > 12 {
		t.Errorf("history keeps %d histograms", len(h.recent))
	}
	// Points relative to the first point when no start is given.
	if p := h.Points(time.Time{}); p[0].Elapsed != 0 || p[29].Elapsed != 29 {
		t.Errorf("relative points %v .. %v", p[0].Elapsed, p[29].Elapsed)
	}
}

func TestHistoryBounded(t *testing.T) {
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	h := &History{max: 100, stride: 1}
	for sec := 0; sec < 1000; sec++ {
		s := reg.Snapshot(t0.Add(time.Duration(sec) * time.Second))
		s.Users = sec
		h.Add(s)
	}
	pts := h.Points(t0)
	if len(pts) >= 100 || len(pts) < 50 {
		t.Fatalf("%d points kept, want between 50 and 100", len(pts))
	}
	// Evenly spaced, in order, covering the run.
	step := pts[1].Elapsed - pts[0].Elapsed
	for i := 1; i < len(pts); i++ {
		if d := pts[i].Elapsed - pts[i-1].Elapsed; d != step {
			t.Fatalf("points %d and %d are %v apart, others %v", i-1, i, d, step)
		}
		if pts[i].Users != int(pts[i].Elapsed) {
			t.Fatalf("point %d: users %d at %v", i, pts[i].Users, pts[i].Elapsed)
		}
	}
	if pts[0].Elapsed != 0 || pts[len(pts)-1].Elapsed < 1000-2*step {
		t.Errorf("points cover %v to %v", pts[0].Elapsed, pts[len(pts)-1].Elapsed)
	}
	if NewHistory().max != MaxPoints {
		t.Error("NewHistory does not keep MaxPoints")
	}
}

func TestHistoryZeroValueAndNil(t *testing.T) {
	var h History
	h.Add(nil)
	h.Add(&stats.Snapshot{})
	reg := stats.NewRegistry(1)
	h.Add(reg.Snapshot(time.Now()))
	if h.Len() != 1 {
		t.Errorf("%d points", h.Len())
	}
}

func TestHistoryConcurrent(t *testing.T) {
	reg := stats.NewRegistry(2)
	reg.SetStart(t0)
	h := NewHistory()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				reg.Recorder(g).Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, At: t0.Add(time.Second)})
				h.Add(reg.Snapshot(t0.Add(time.Duration(i) * time.Second)))
				_ = h.Points(t0)
			}
		}()
	}
	wg.Wait()
	if h.Len() != 200 {
		t.Errorf("%d points", h.Len())
	}
}

func TestPercentileKey(t *testing.T) {
	var got []string
	for _, q := range stats.Percentiles {
		got = append(got, PercentileKey(q))
	}
	if s := strings.Join(got, " "); s != "50 66 75 80 90 95 98 99 99.9 99.99 100" {
		t.Errorf("keys %s", s)
	}
}

func TestPercentilesMarshalOrder(t *testing.T) {
	b, err := json.Marshal(Percentiles{"100": 9, "9": 1, "99.9": 8, "x": 0, "50": 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"9":1,"50":2,"99.9":8,"100":9,"x":0}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	b, _ = json.Marshal(struct{ P Percentiles }{})
	if string(b) != `{"P":{}}` {
		t.Errorf("nil percentiles: %s", b)
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got, *update)
}
