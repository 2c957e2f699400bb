package k6summary

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// knownRun is a registry with known samples: 10 GET /home of 1..10 ms
// (100 bytes each, the 10th failed), 2 POST /login of 20 and 40 ms, one
// custom event, two GROUP rows and two checks.
func knownRun(t *testing.T) *stats.Snapshot {
	t.Helper()
	reg := stats.NewRegistry(1)
	start := time.Unix(1000, 0)
	reg.SetStart(start)
	rec := reg.Recorder(0)
	for i := 1; i <= 10; i++ {
		s := stats.Sample{Type: "GET", Name: "home", Duration: time.Duration(i) * time.Millisecond, Size: 100, At: start.Add(time.Second)}
		if i == 10 {
			s.Err = "HTTP 500"
		}
		rec.Record(s)
	}
	rec.Record(stats.Sample{Type: "POST", Name: "/login", Duration: 20 * time.Millisecond, Size: 50, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "POST", Name: "/login", Duration: 40 * time.Millisecond, Size: 50, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "cache", Name: "lookup", Duration: time.Second, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "GROUP", Name: "::shop::cart", Duration: 5 * time.Millisecond, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "GROUP", Name: "::shop", Duration: 7 * time.Millisecond, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "WS", Name: "connect /ws", Duration: 3 * time.Millisecond, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "WS", Name: "recv /ws", Size: 5, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "WS", Name: "recv /ws", Size: 5, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "WS", Name: "close /ws", Duration: 900 * time.Millisecond, At: start.Add(time.Second)})
	rec.Record(stats.Sample{Type: "gRPC", Name: "/echo.Echo/Say", Duration: 2 * time.Millisecond, At: start.Add(time.Second)})
	for i := 0; i < 4; i++ {
		rec.RecordCheck("status is 200", i < 3)
	}
	rec.RecordCheck("has body", true)
	return reg.Snapshot(start.Add(2 * time.Second))
}

func TestBuildShape(t *testing.T) {
	t.Parallel()
	s := knownRun(t)
	d := Build(Input{Snapshot: s, Duration: 2 * time.Second, VUs: 2, VUsMin: 1, VUsMax: 3, SetupData: `{"token":"x"}`})
	m := d.Metrics
	want := map[string]map[string]float64{
		"http_reqs":       {"count": 12, "rate": 6},
		"http_req_failed": {"rate": 1.0 / 12, "passes": 1, "fails": 11},
		"data_received":   {"count": 1100, "rate": 550},
		"checks":          {"rate": 0.8, "passes": 4, "fails": 1},
		"vus":             {"value": 2, "min": 1, "max": 3},
		"vus_max":         {"value": 3, "min": 3, "max": 3},
	}
	for name, vals := range want {
		got, ok := m[name]
		if !ok {
			t.Errorf("no metric %s", name)
			continue
		}
		for k, v := range vals {
			if g := got.Values[k]; g < v-1e-9 || g > v+1e-9 {
				t.Errorf("%s.%s = %v, want %v", name, k, g, v)
			}
		}
	}
	types := map[string]string{"http_reqs": "counter", "http_req_duration": "trend", "http_req_failed": "rate", "checks": "rate", "vus": "gauge", "data_received": "counter", "group_duration": "trend"}
	for name, typ := range types {
		if m[name].Type != typ {
			t.Errorf("%s type %q, want %q", name, m[name].Type, typ)
		}
	}
	if m["http_req_duration"].Contains != "time" || m["data_received"].Contains != "data" || m["http_reqs"].Contains != "default" {
		t.Errorf("contains: %+v", m)
	}
	dur := m["http_req_duration"].Values
	if len(dur) != 6 {
		t.Errorf("http_req_duration has %d values, want the 6 default stats: %v", len(dur), dur)
	}
	// 1..10 ms and 20, 40 ms: the mean is 115/12 ms, the extremes exact.
	if dur["min"] != 1 || dur["max"] != 40 || dur["avg"] < 115.0/12-1e-9 || dur["avg"] > 115.0/12+1e-9 {
		t.Errorf("http_req_duration %v", dur)
	}
	if dur["p(90)"] < dur["med"] || dur["p(95)"] < dur["p(90)"] || dur["p(95)"] > 40 {
		t.Errorf("percentiles out of order: %v", dur)
	}
	if g := m["group_duration"].Values; g["min"] != 5 || g["max"] != 7 {
		t.Errorf("group_duration %v", g)
	}
	for name, want := range map[string]float64{"ws_connecting": 3, "ws_session_duration": 900, "grpc_req_duration": 2} {
		if got := m[name].Values["max"]; got != want || m[name].Type != "trend" {
			t.Errorf("%s: %+v, want max %v", name, m[name], want)
		}
	}
	if m["ws_msgs_received"].Values["count"] != 2 || m["ws_sessions"].Values["count"] != 1 {
		t.Errorf("ws counters: %+v %+v", m["ws_msgs_received"], m["ws_sessions"])
	}
	for _, absent := range []string{"iterations", "iteration_duration", "data_sent"} {
		if _, ok := m[absent]; ok {
			t.Errorf("%s is not measured by jsload but is in the data", absent)
		}
	}
	rg := d.RootGroup
	if rg.Name != "" || rg.Path != "" || len(rg.Groups) != 1 || rg.Groups[0].Name != "shop" || rg.Groups[0].Path != "::shop" ||
		len(rg.Groups[0].Groups) != 1 || rg.Groups[0].Groups[0].Path != "::shop::cart" {
		t.Errorf("groups: %+v", rg.Groups)
	}
	if len(rg.Checks) != 2 || rg.Checks[1].Name != "status is 200" || rg.Checks[1].Passes != 3 || rg.Checks[1].Fails != 1 || rg.Checks[1].Path != "::status is 200" {
		t.Errorf("checks: %+v", rg.Checks)
	}
	if d.State.TestRunDurationMs != 2000 || d.Options.SummaryTrendStats[5] != "p(95)" {
		t.Errorf("state %+v options %+v", d.State, d.Options)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"root_group", "options", "state", "metrics", "setup_data"} {
		if _, ok := generic[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	if !strings.Contains(string(b), `"setup_data":{"token":"x"}`) || !strings.Contains(string(b), `"testRunDurationMs":2000`) {
		t.Errorf("json: %s", b)
	}
}

func TestBuildThresholdsAndMore(t *testing.T) {
	t.Parallel()
	s := knownRun(t)
	var ts []threshold.Threshold
	for _, x := range [][2]string{{"home", "p95 < 200"}, {"home", "failRate < 0.05"}, {"checks", "rate > 0.9"}, {"check:has body", "rate == 1"}, {"/login", "count >= 2"}, {"checks", "count > 1"}, {"cache lookup", "p95 < 10"}, {"Aggregated", "fails < 5"}} {
		th, err := threshold.Parse(x[0], x[1])
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, th)
	}
	res := threshold.EvaluateAll(ts, s)
	more := func(d *Data) {
		d.Metrics["my_trend"] = Metric{Type: "trend", Contains: "default", Values: map[string]float64{"avg": 1.5, "min": 1, "med": 1.5, "max": 2, "p(90)": 2, "p(95)": 2}}
	}
	d := Build(Input{Snapshot: s, Duration: time.Second, Thresholds: Verdicts(res, s), More: []func(*Data){more}})
	want := map[string]map[string]bool{
		"http_req_duration{name:home}": {"p(95)<200": true},
		"http_req_failed{name:home}":   {"rate<0.05": false},
		"checks":                       {"rate>0.9": false, "count > 1": true},
		"checks{check:has body}":       {"rate==1": true},
		"http_reqs{name:/login}":       {"count>=2": true},
		// No k6 counterpart: jsload's names and expressions.
		"cache lookup": {"p95 < 10": false},
		"Aggregated":   {"fails < 5": true},
	}
	for name, th := range want {
		m, ok := d.Metrics[name]
		if !ok {
			t.Errorf("no metric %q: %v", name, keys(d.Metrics))
			continue
		}
		for src, ok := range th {
			if got, has := m.Thresholds[src]; !has || got.OK != ok {
				t.Errorf("%s thresholds %v, want %s ok=%v", name, m.Thresholds, src, ok)
			}
		}
	}
	if v := d.Metrics["http_req_failed{name:home}"].Values; v["rate"] != 0.1 || v["passes"] != 1 {
		t.Errorf("submetric values %v", v)
	}
	if v := d.Metrics["http_req_duration{name:home}"].Values; v["max"] != 10 {
		t.Errorf("submetric values %v", v)
	}
	if _, ok := d.Metrics["my_trend"]; !ok {
		t.Error("More did not add its metric")
	}

	txt := Text(d, TextOptions{Indent: " "})
	for _, re := range []string{
		`(?m)^   █ THRESHOLDS $`,
		`(?m)^     http_req_duration\{name:home\}$`,
		`(?m)^     ✓ 'p\(95\)<200' p\(95\)=\d+(\.\d+)?ms$`,
		`(?m)^     ✗ 'rate<0.05' rate=10.00%$`,
		`(?m)^     ✗ 'rate>0.9' rate=80.00%$`,
		`(?m)^   █ TOTAL RESULTS $`,
		`(?m)^     checks_total\.+: 5 +5\.000000/s$`,
		`(?m)^     checks_succeeded\.+: 80\.00% +4 out of 5$`,
		`(?m)^     checks_failed\.+: 20\.00% +1 out of 5$`,
		`(?m)^     ✓ has body$`,
		`(?m)^     ✗ status is 200$`,
		`(?m)^       ↳  75% — ✓ 3 / ✗ 1$`,
		`(?m)^     CUSTOM$`,
		`(?m)^     my_trend\.+: avg=1\.5 +min=1 +med=1\.5 +max=2 +p\(90\)=2 +p\(95\)=2$`,
		`(?m)^     HTTP$`,
		`(?m)^     http_req_duration\.+: avg=9\.58ms +min=1ms +med=\S+ +max=40ms +p\(90\)=\S+ +p\(95\)=\S+$`,
		`(?m)^       \{ name:home \}\.+: avg=5\.5ms +min=1ms `,
		`(?m)^     http_req_failed\.+: 8\.33% +1 out of 12$`,
		`(?m)^     http_reqs\.+: 12 +12\.000000/s$`,
		`(?m)^     NETWORK$`,
		`(?m)^     data_received\.+: 1\.1 kB +1\.1 kB/s$`,
		`(?m)^     GRPC$`,
		`(?m)^     grpc_req_duration\.+: avg=2ms `,
		`(?m)^     WEBSOCKETS$`,
		`(?m)^     ws_connecting\.+: avg=3ms `,
		`(?m)^     ws_msgs_received\.+: 2 `,
		`(?m)^     ws_session_duration\.+: avg=900ms `,
		`(?m)^     ws_sessions\.+: 1 `,
	} {
		if !regexp.MustCompile(re).MatchString(txt) {
			t.Errorf("no line matches %s in:\n%s", re, txt)
		}
	}
	if strings.Contains(txt, "group_duration") {
		t.Errorf("the compact layout leaves group_duration out:\n%s", txt)
	}
	if i, j := strings.Index(txt, "CUSTOM"), strings.Index(txt, "HTTP\n"); i > j {
		t.Errorf("CUSTOM after HTTP:\n%s", txt)
	}

	col := Text(d, TextOptions{Color: true})
	if !strings.Contains(col, "\x1b[31m✗\x1b[0m 'rate<0.05'") || !strings.Contains(col, "\x1b[32m✓\x1b[0m has body") {
		t.Errorf("colours:\n%q", col)
	}

	x := JUnit(d, "", "")
	if !strings.Contains(x, `<testsuites tests="8" failures="3">`) || !strings.Contains(x, `<testcase name="checks - rate&gt;0.9">`) || strings.Count(x, `<failure message="failed">`) != 3 {
		t.Errorf("junit:\n%s", x)
	}
}

func keys(m map[string]Metric) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDuration(t *testing.T) {
	t.Parallel()
	for ms, want := range map[float64]string{0: "0s", 0.8123: "812.3µs", 140.364: "140.36ms", 209.3: "209.3ms", 1520: "1.52s", 62500: "1m2.5s", 3723000: "1h2m3s"} {
		if got := Duration(ms); got != want {
			t.Errorf("Duration(%v) = %q, want %q", ms, got, want)
		}
	}
	for unit, want := range map[string]string{"s": "1.52s", "ms": "1520ms", "us": "1520000µs", "": "1.52s"} {
		if got := timeIn(1520, unit); got != want {
			t.Errorf("timeIn(1520, %q) = %q, want %q", unit, got, want)
		}
	}
	for b, want := range map[float64]string{512: "512 B", 1234: "1.2 kB", 170200: "170 kB", 3.45e6: "3.5 MB"} {
		if got := bytesText(b); got != want {
			t.Errorf("bytesText(%v) = %q, want %q", b, got, want)
		}
	}
}

func TestCheckTrendStats(t *testing.T) {
	t.Parallel()
	if err := CheckTrendStats([]string{"avg", "p(99.9)", "count"}); err != nil {
		t.Error(err)
	}
	if err := CheckTrendStats([]string{"p95"}); err == nil || !strings.Contains(err.Error(), `"p95"`) {
		t.Errorf("p95: %v", err)
	}
}

// BenchmarkBuildText is the end-of-test cost of k6's summary: Build and
// Text over 100 HTTP rows of 1,000 samples each, 20 checks and 5 groups.
func BenchmarkBuildText(b *testing.B) {
	reg := stats.NewRegistry(1)
	start := time.Unix(1000, 0)
	reg.SetStart(start)
	rec := reg.Recorder(0)
	for r := 0; r < 100; r++ {
		for i := 0; i < 1000; i++ {
			rec.Record(stats.Sample{Type: "GET", Name: "/r" + strconv.Itoa(r), Duration: time.Duration(i+1) * 37 * time.Microsecond, Size: 512, At: start.Add(time.Second)})
		}
	}
	for c := 0; c < 20; c++ {
		rec.RecordCheck("check "+strconv.Itoa(c), c%3 != 0)
	}
	for g := 0; g < 5; g++ {
		rec.Record(stats.Sample{Type: "GROUP", Name: "::g" + strconv.Itoa(g), Duration: time.Millisecond, At: start.Add(time.Second)})
	}
	s := reg.Snapshot(start.Add(10 * time.Second))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := Build(Input{Snapshot: s, Duration: 10 * time.Second, VUs: 10, VUsMin: 10, VUsMax: 10})
		if len(Text(d, TextOptions{})) == 0 {
			b.Fatal("no text")
		}
	}
}
