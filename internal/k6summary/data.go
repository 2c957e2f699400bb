// Package k6summary builds k6's end-of-test summary from jsload's
// statistics: the data a k6 script's handleSummary(data) receives (Build),
// and k6's compact text layout of it (Text), which `--summary k6` prints
// and the textSummary of k6's jslib alias renders. Field names, metric
// names and the layout follow k6's documentation; the numbers are jsload's
// (see Build for which metrics jsload measures).
package k6summary

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// Data is handleSummary's argument, in k6's shape.
type Data struct {
	RootGroup Group             `json:"root_group"`
	Options   Options           `json:"options"`
	State     State             `json:"state"`
	Metrics   map[string]Metric `json:"metrics"`
	// SetupData is what setup() returned, as JSON; absent without one.
	SetupData json.RawMessage `json:"setup_data,omitempty"`
}

// Group is a k6 group: the root one (name and path "") holds the
// top-level groups and checks.
type Group struct {
	Name   string  `json:"name"`
	Path   string  `json:"path"`
	ID     string  `json:"id"`
	Groups []Group `json:"groups"`
	Checks []Check `json:"checks"`
}

// Check is one check's outcomes.
type Check struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	ID     string `json:"id"`
	Passes int64  `json:"passes"`
	Fails  int64  `json:"fails"`
}

// Options are the summary options k6 passes along.
type Options struct {
	SummaryTrendStats []string `json:"summaryTrendStats"`
	SummaryTimeUnit   string   `json:"summaryTimeUnit"`
	NoColor           bool     `json:"noColor"`
}

// State describes the run.
type State struct {
	IsStdOutTTY       bool    `json:"isStdOutTTY"`
	IsStdErrTTY       bool    `json:"isStdErrTTY"`
	TestRunDurationMs float64 `json:"testRunDurationMs"`
}

// Metric is one metric: its type (counter, gauge, rate, trend), what it
// contains (default, time, data), its values (counter: count, rate;
// gauge: value, min, max; rate: rate, passes, fails; trend: the
// summaryTrendStats keys) and the verdicts of its thresholds by source.
type Metric struct {
	Type       string                 `json:"type"`
	Contains   string                 `json:"contains"`
	Values     map[string]float64     `json:"values"`
	Thresholds map[string]ThresholdOK `json:"thresholds,omitempty"`
}

// ThresholdOK is one threshold's verdict.
type ThresholdOK struct {
	OK bool `json:"ok"`
}

// Verdict is a threshold in k6's terms: the metric key it is on
// ("http_req_duration{name:home}"), its source expression ("p(95)<200")
// and whether it held.
type Verdict struct {
	Metric, Source string
	OK             bool
}

// DefaultTrendStats are k6's default summaryTrendStats.
var DefaultTrendStats = []string{"avg", "min", "med", "max", "p(90)", "p(95)"}

// Input is what Build reads.
type Input struct {
	Snapshot   *stats.Snapshot
	Thresholds []Verdict
	// Duration is the test run's duration (testRunDurationMs), also the
	// time rates are over.
	Duration time.Duration
	// VUs is the number of users at the end, VUsMin and VUsMax the
	// fewest and most seen during the run (vus, vus_max).
	VUs, VUsMin, VUsMax int
	TrendStats          []string // nil: DefaultTrendStats
	TimeUnit            string   // summaryTimeUnit: "", "s", "ms" or "us"
	SetupData           string   // setup()'s result as JSON, "" for none
	IsStdOutTTY         bool
	IsStdErrTTY         bool
	NoColor             bool
	// More adds metrics jsload's registry does not hold (custom metrics,
	// other protocols): each is called with the data being built and may
	// add to Metrics and to the groups. This is the extension point for
	// k6/metrics.
	More []func(*Data)
}

// httpMethods are the row types that are HTTP requests.
var httpMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true,
	"OPTIONS": true, "TRACE": true, "CONNECT": true,
}

// IsHTTP tells whether a statistics row of type typ is an HTTP request.
func IsHTTP(typ string) bool { return httpMethods[typ] }

// Build makes handleSummary's data from jsload's statistics. The metrics
// jsload measures, present only when they have samples as in k6:
//
//   - http_reqs (count, rate), http_req_duration (trend, ms) and
//     http_req_failed (rate: passes are failed requests) over the rows
//     whose type is an HTTP method;
//   - data_received: the bytes of those requests' response bodies (k6
//     counts whole responses);
//   - checks (rate) over every check;
//   - group_duration (trend) over the GROUP rows;
//   - vus and vus_max (gauges of the users);
//   - ws_connecting, ws_sessions, ws_session_duration, ws_msgs_received,
//     ws_ping and grpc_req_duration from the WS and gRPC rows
//     (protocolMetrics);
//   - every metric of the registry (k6/metrics' and the built-in ones
//     kept there, such as iteration_duration).
//
// iterations may also come from the caller (More: internal/cli counts a
// k6 script's completed iterations); data_sent and the http_req_* phase
// trends are not measured by jsload and are left out.
func Build(in Input) *Data {
	s := in.Snapshot
	trendStats := in.TrendStats
	if len(trendStats) == 0 {
		trendStats = DefaultTrendStats
	}
	secs := in.Duration.Seconds()
	rate := func(n int64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	d := &Data{
		Options:   Options{SummaryTrendStats: append([]string(nil), trendStats...), SummaryTimeUnit: in.TimeUnit, NoColor: in.NoColor},
		State:     State{IsStdOutTTY: in.IsStdOutTTY, IsStdErrTTY: in.IsStdErrTTY, TestRunDurationMs: float64(in.Duration) / float64(time.Millisecond)},
		Metrics:   map[string]Metric{},
		RootGroup: Group{Name: "", Path: "", ID: id(""), Groups: []Group{}, Checks: []Check{}},
	}
	if in.SetupData != "" {
		d.SetupData = json.RawMessage(in.SetupData)
	}
	http := &stats.Row{Hist: &stats.Histogram{}}
	groups := &stats.Row{Hist: &stats.Histogram{}}
	var groupRows []*stats.Row
	for _, r := range s.Rows {
		switch {
		case IsHTTP(r.Type):
			http.Merge(r)
		case r.Type == "GROUP":
			groups.Merge(r)
			groupRows = append(groupRows, r)
		}
	}
	if http.Requests > 0 {
		d.Metrics["http_reqs"] = Metric{Type: "counter", Contains: "default", Values: map[string]float64{"count": float64(http.Requests), "rate": rate(http.Requests)}}
		d.Metrics["http_req_duration"] = Metric{Type: "trend", Contains: "time", Values: TrendValues(http, trendStats)}
		d.Metrics["http_req_failed"] = rateMetric(http.Failures, http.Requests-http.Failures)
		d.Metrics["data_received"] = Metric{Type: "counter", Contains: "data", Values: map[string]float64{"count": float64(http.TotalSize), "rate": rate(http.TotalSize)}}
	}
	if groups.Requests > 0 {
		d.Metrics["group_duration"] = Metric{Type: "trend", Contains: "time", Values: TrendValues(groups, trendStats)}
	}
	protocolMetrics(d, s, trendStats, rate)
	for _, m := range s.Metrics {
		if _, ok := d.Metrics[m.Name]; ok || m.Count == 0 {
			continue
		}
		d.Metrics[m.Name] = registryMetric(m, in.Duration, trendStats)
	}
	var passes, fails int64
	for _, c := range s.Checks {
		passes += c.Passes
		fails += c.Fails
		d.RootGroup.Checks = append(d.RootGroup.Checks, Check{Name: c.Name, Path: "::" + c.Name, ID: id("::" + c.Name), Passes: c.Passes, Fails: c.Fails})
	}
	if passes+fails > 0 {
		d.Metrics["checks"] = rateMetric(passes, fails)
	}
	for _, r := range groupRows {
		addGroup(&d.RootGroup, r.Name)
	}
	if in.VUsMax > 0 {
		d.Metrics["vus"] = Metric{Type: "gauge", Contains: "default", Values: map[string]float64{"value": float64(in.VUs), "min": float64(in.VUsMin), "max": float64(in.VUsMax)}}
		d.Metrics["vus_max"] = Metric{Type: "gauge", Contains: "default", Values: map[string]float64{"value": float64(in.VUsMax), "min": float64(in.VUsMax), "max": float64(in.VUsMax)}}
	}
	for _, more := range in.More {
		more(d)
	}
	for _, v := range in.Thresholds {
		m, ok := d.Metrics[v.Metric]
		if !ok {
			m, ok = submetric(s, v.Metric, trendStats, rate)
		}
		if !ok {
			// A threshold on a metric without samples: k6 lists the
			// metric with its verdict and no values.
			m = Metric{Type: metricType(v.Metric), Contains: metricContains(v.Metric), Values: map[string]float64{}}
		}
		if m.Thresholds == nil {
			m.Thresholds = map[string]ThresholdOK{}
		}
		m.Thresholds[v.Source] = ThresholdOK{OK: v.OK}
		d.Metrics[v.Metric] = m
	}
	return d
}

// registryMetric is a metric of the registry (k6/metrics' custom
// metrics, and the built-in ones jsload keeps there such as iterations and
// iteration_duration) in k6's shape.
func registryMetric(m *stats.Metric, d time.Duration, trendStats []string) Metric {
	out := Metric{Type: m.Kind.String(), Contains: "default", Values: map[string]float64{}}
	if m.IsTime {
		out.Contains = "time"
	}
	if m.Kind != stats.KindTrend {
		for _, v := range m.Values(d) {
			out.Values[v.Name] = v.Value
		}
		return out
	}
	for _, n := range trendStats {
		switch n {
		case "avg":
			out.Values[n] = m.Avg()
		case "min":
			out.Values[n] = m.Min
		case "max":
			out.Values[n] = m.Max
		case "med":
			out.Values[n] = m.Percentile(0.5)
		case "count":
			out.Values[n] = float64(m.Count)
		default:
			if q, ok := ParsePercentile(n); ok {
				out.Values[n] = m.Percentile(q / 100)
			}
		}
	}
	return out
}

// protocolMetrics adds the WebSocket and gRPC metrics of the rows jsload's
// clients record (README, "k6/ws, k6/websockets and k6/net/grpc"): type
// WS rows "connect NAME" are ws_connecting, "close NAME" ws_sessions and
// ws_session_duration, "recv NAME" ws_msgs_received, "ping NAME" ws_ping;
// type gRPC rows grpc_req_duration. Sent messages are not counted by
// jsload (ws_msgs_sent is left out).
func protocolMetrics(d *Data, s *stats.Snapshot, trendStats []string, rate func(int64) float64) {
	merged := map[string]*stats.Row{}
	add := func(metric string, r *stats.Row) {
		m := merged[metric]
		if m == nil {
			m = &stats.Row{Hist: &stats.Histogram{}}
			merged[metric] = m
		}
		m.Merge(r)
	}
	for _, r := range s.Rows {
		switch r.Type {
		case "gRPC":
			add("grpc_req_duration", r)
		case "WS":
			kind, _, _ := strings.Cut(r.Name, " ")
			switch kind {
			case "connect":
				add("ws_connecting", r)
			case "close":
				add("ws_session_duration", r)
			case "recv":
				add("ws_msgs_received", r)
			case "ping":
				add("ws_ping", r)
			}
		}
	}
	for name, r := range merged {
		if r.Requests == 0 {
			continue
		}
		switch name {
		case "ws_msgs_received":
			d.Metrics[name] = Metric{Type: "counter", Contains: "default", Values: map[string]float64{"count": float64(r.Requests), "rate": rate(r.Requests)}}
		case "ws_session_duration":
			d.Metrics[name] = Metric{Type: "trend", Contains: "time", Values: TrendValues(r, trendStats)}
			d.Metrics["ws_sessions"] = Metric{Type: "counter", Contains: "default", Values: map[string]float64{"count": float64(r.Requests), "rate": rate(r.Requests)}}
		default:
			d.Metrics[name] = Metric{Type: "trend", Contains: "time", Values: TrendValues(r, trendStats)}
		}
	}
}

// submetric is the metric of a threshold's key with a tag filter:
// http_req_duration, http_req_failed or http_reqs of the HTTP rows named
// {name:NAME}, or checks{check:NAME}; ok is false for any other key, or
// when it has no samples.
func submetric(s *stats.Snapshot, key string, trendStats []string, rate func(int64) float64) (Metric, bool) {
	base, filter, ok := strings.Cut(key, "{")
	filter, ok2 := strings.CutSuffix(filter, "}")
	if !ok || !ok2 {
		return Metric{}, false
	}
	tag, val, _ := strings.Cut(filter, ":")
	if base == "checks" && tag == "check" {
		for _, c := range s.Checks {
			if c.Name == val {
				return rateMetric(c.Passes, c.Fails), true
			}
		}
		return Metric{}, false
	}
	if tag != "name" {
		return Metric{}, false
	}
	row := &stats.Row{Hist: &stats.Histogram{}}
	for _, r := range s.Rows {
		// jsload's thresholds name a row "NAME" or "TYPE NAME".
		if IsHTTP(r.Type) && (r.Name == val || r.Type+" "+r.Name == val) {
			row.Merge(r)
		}
	}
	if row.Requests == 0 {
		return Metric{}, false
	}
	switch base {
	case "http_req_duration":
		return Metric{Type: "trend", Contains: "time", Values: TrendValues(row, trendStats)}, true
	case "http_req_failed":
		return rateMetric(row.Failures, row.Requests-row.Failures), true
	case "http_reqs":
		return Metric{Type: "counter", Contains: "default", Values: map[string]float64{"count": float64(row.Requests), "rate": rate(row.Requests)}}, true
	}
	return Metric{}, false
}

// CounterMetric is a k6 counter of n over the run's duration d (count,
// rate per second).
func CounterMetric(n int64, d time.Duration) Metric {
	v := map[string]float64{"count": float64(n), "rate": 0}
	if secs := d.Seconds(); secs > 0 {
		v["rate"] = float64(n) / secs
	}
	return Metric{Type: "counter", Contains: "default", Values: v}
}

// rateMetric is a k6 rate of passes (non-zero samples) and fails.
func rateMetric(passes, fails int64) Metric {
	v := map[string]float64{"passes": float64(passes), "fails": float64(fails), "rate": 0}
	if n := passes + fails; n > 0 {
		v["rate"] = float64(passes) / float64(n)
	}
	return Metric{Type: "rate", Contains: "default", Values: v}
}

// TrendValues are a row's response times in milliseconds under the
// summaryTrendStats names: avg, min, med, max, count, p(N).
func TrendValues(r *stats.Row, names []string) map[string]float64 {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	v := map[string]float64{}
	for _, n := range names {
		switch n {
		case "avg":
			v[n] = r.AvgMS()
		case "min":
			v[n] = ms(r.Min)
		case "max":
			v[n] = ms(r.Max)
		case "med":
			v[n] = ms(r.Median())
		case "count":
			v[n] = float64(r.Requests)
		default:
			if q, ok := ParsePercentile(n); ok {
				v[n] = ms(r.Percentile(q / 100))
			}
		}
	}
	return v
}

// ParsePercentile reads "p(N)", 0 <= N <= 100.
func ParsePercentile(s string) (float64, bool) {
	inner, ok := strings.CutPrefix(s, "p(")
	if !ok {
		return 0, false
	}
	inner, ok = strings.CutSuffix(inner, ")")
	if !ok {
		return 0, false
	}
	q, err := strconv.ParseFloat(inner, 64)
	if err != nil || q < 0 || q > 100 || math.IsNaN(q) {
		return 0, false
	}
	return q, true
}

// CheckTrendStats checks summaryTrendStats names (k6's: avg, min, med,
// max, count, p(N)).
func CheckTrendStats(names []string) error {
	for _, n := range names {
		switch n {
		case "avg", "min", "med", "max", "count":
			continue
		}
		if _, ok := ParsePercentile(n); !ok {
			return fmt.Errorf("%q is not a trend statistic (use avg, min, med, max, count or p(N) with N from 0 to 100)", n)
		}
	}
	return nil
}

// addGroup adds the group of path ("::outer::inner") and its parents
// under root.
func addGroup(root *Group, path string) {
	g := root
	parts := strings.Split(strings.TrimPrefix(path, "::"), "::")
	p := ""
	for _, name := range parts {
		p += "::" + name
		i := sort.Search(len(g.Groups), func(i int) bool { return g.Groups[i].Path >= p })
		if i == len(g.Groups) || g.Groups[i].Path != p {
			g.Groups = append(g.Groups, Group{})
			copy(g.Groups[i+1:], g.Groups[i:])
			g.Groups[i] = Group{Name: name, Path: p, ID: id(p), Groups: []Group{}, Checks: []Check{}}
		}
		g = &g.Groups[i]
	}
}

// id is k6's id of a group or check: a hash of its path.
func id(path string) string {
	h := md5.Sum([]byte(path))
	return hex.EncodeToString(h[:])
}

// metricType is the type of a built-in k6 metric by name ("trend" for an
// unknown one).
func metricType(key string) string {
	name, _, _ := strings.Cut(key, "{")
	switch name {
	case "http_reqs", "iterations", "data_received", "data_sent", "dropped_iterations":
		return "counter"
	case "http_req_failed", "checks":
		return "rate"
	case "vus", "vus_max":
		return "gauge"
	}
	return "trend"
}

func metricContains(key string) string {
	name, _, _ := strings.Cut(key, "{")
	switch {
	case name == "data_received" || name == "data_sent":
		return "data"
	case metricType(key) == "trend":
		return "time"
	}
	return "default"
}

// Verdicts turns jsload's threshold results into k6's terms. jsload's
// thresholds of k6 scripts are k6's translated (internal/cli's
// k6Thresholds); this maps them back: "checks" and "check:NAME" rates to
// checks and checks{check:NAME}, and on an HTTP request row of s (named
// NAME or TYPE NAME) the times to http_req_duration{name:ROW} (avg min
// max med p(N)), failRate to http_req_failed{name:ROW} (rate), count and
// rps to http_reqs{name:ROW} (count, rate). The expression is written
// without spaces ("p(95)<200"). Thresholds with no k6 counterpart (other
// rows, fails, failsPerSec, the Aggregated row) keep jsload's name and
// expression.
func Verdicts(results []threshold.Result, s *stats.Snapshot) []Verdict {
	out := make([]Verdict, 0, len(results))
	for _, r := range results {
		if r.K6 != nil {
			// A threshold in k6's syntax on a k6 metric: its own key and
			// expression.
			out = append(out, Verdict{Metric: r.Name, Source: r.Expr, OK: r.Passed})
			continue
		}
		metric, agg := "", ""
		isCheck := r.Name == "checks" || strings.HasPrefix(r.Name, "check:")
		switch {
		case r.Name == "checks" && r.Metric == "rate":
			metric, agg = "checks", "rate"
		case strings.HasPrefix(r.Name, "check:") && r.Metric == "rate":
			metric, agg = "checks{check:"+strings.TrimPrefix(r.Name, "check:")+"}", "rate"
		case isCheck || !httpRow(s, r.Name):
		case r.Metric == "avg" || r.Metric == "min" || r.Metric == "max" || r.Metric == "med":
			metric, agg = "http_req_duration{name:"+r.Name+"}", r.Metric
		case strings.HasPrefix(r.Metric, "p"):
			metric, agg = "http_req_duration{name:"+r.Name+"}", "p("+strings.TrimPrefix(r.Metric, "p")+")"
		case r.Metric == "failRate":
			metric, agg = "http_req_failed{name:"+r.Name+"}", "rate"
		case r.Metric == "count":
			metric, agg = "http_reqs{name:"+r.Name+"}", "count"
		case r.Metric == "rps":
			metric, agg = "http_reqs{name:"+r.Name+"}", "rate"
		}
		if metric == "" {
			out = append(out, Verdict{Metric: r.Name, Source: r.Expr, OK: r.Passed})
			continue
		}
		out = append(out, Verdict{Metric: metric, Source: agg + r.Op + strconv.FormatFloat(r.Value, 'f', -1, 64), OK: r.Passed})
	}
	return out
}

// httpRow tells whether name ("NAME" or "TYPE NAME") is an HTTP request
// row of s; with no snapshot, whether it is not the Aggregated row.
func httpRow(s *stats.Snapshot, name string) bool {
	if name == "Aggregated" {
		return false
	}
	if s == nil {
		return true
	}
	for _, r := range s.Rows {
		if IsHTTP(r.Type) && (r.Name == name || r.Type+" "+r.Name == name) {
			return true
		}
	}
	return false
}
