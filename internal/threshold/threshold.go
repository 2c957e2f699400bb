// Package threshold parses pass/fail criteria on a test's statistics
// ("p95 < 200") and evaluates them on snapshots.
package threshold

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// Threshold is one criterion on one statistic.
type Threshold struct {
	Name        string // "GET /profile", "Aggregated", "checks", "check:NAME", "coeus registry"
	Expr        string // as written
	Metric      string // avg, min, max, med, pNN, count, fails, failRate, rps, failsPerSec, rate
	Op          string // <, <=, >, >=, ==, !=
	Value       float64
	AbortOnFail bool
	Source      string // where it was given, for messages
	// DelayAbortEval is how long into the run a failing AbortOnFail
	// threshold does not stop it yet (k6's delayAbortEval).
	DelayAbortEval time.Duration
	// K6 is set for a threshold in k6's syntax on one of k6's metrics
	// (k6.go): Name is then the metric with its filter, and Metric k6's
	// aggregation as written ("p(95)").
	K6 *K6
}

// Result is a threshold's outcome, as Evaluate makes it and the console,
// the JSON summary and the HTML report show it.
type Result struct {
	Threshold
	// Measured is the statistic's value that the condition was checked
	// against, in the metric's unit (see Unit); 0 when NoData is set.
	Measured float64
	// Passed reports whether the condition held; it is false when NoData
	// is set, except for k6 thresholds, which pass without data as in k6.
	Passed bool
	// NoData is set when the statistic never appeared in the run.
	NoData bool
}

var metrics = map[string]string{
	"avg": "ms", "min": "ms", "max": "ms", "med": "ms", "count": "", "fails": "",
	"failRate": "ratio", "rps": "/s", "failsPerSec": "/s", "rate": "ratio",
}

// Parse reads "METRIC OP NUMBER" for the statistic name.
func Parse(name, expr string) (Threshold, error) {
	t := Threshold{Name: strings.TrimSpace(name), Expr: strings.TrimSpace(expr)}
	if t.Name == "" {
		return t, fmt.Errorf("threshold %q: no statistic named", expr)
	}
	f := strings.Fields(t.Expr)
	if len(f) != 3 {
		// Allow "p95<200" without spaces.
		f = splitOps(t.Expr)
	}
	if len(f) != 3 {
		return t, fmt.Errorf("threshold %q on %s: write METRIC OP NUMBER, e.g. \"p95 < 200\"", t.Expr, t.Name)
	}
	t.Metric, t.Op = f[0], f[1]
	switch t.Op {
	case "<", "<=", ">", ">=", "==", "!=":
	default:
		return t, fmt.Errorf("threshold %q on %s: unknown comparison %q (use <, <=, >, >=, ==, !=)", t.Expr, t.Name, t.Op)
	}
	if !validMetric(t.Metric) {
		return t, fmt.Errorf("threshold %q on %s: unknown metric %q (use avg, min, max, med, pNN such as p95 or p99.9, count, fails, failRate, rps, failsPerSec, or rate for checks)", t.Expr, t.Name, t.Metric)
	}
	v, err := strconv.ParseFloat(f[2], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return t, fmt.Errorf("threshold %q on %s: %q is not a number", t.Expr, t.Name, f[2])
	}
	t.Value = v
	isCheck := t.Name == "checks" || strings.HasPrefix(t.Name, "check:")
	if isCheck != (t.Metric == "rate") && !(isCheck && (t.Metric == "count" || t.Metric == "fails")) {
		if isCheck {
			return t, fmt.Errorf("threshold %q on %s: checks have rate, count and fails", t.Expr, t.Name)
		}
		return t, fmt.Errorf("threshold %q on %s: rate is for checks (\"checks\" or \"check:NAME\"); requests have failRate", t.Expr, t.Name)
	}
	return t, nil
}

func splitOps(s string) []string {
	for _, op := range []string{"<=", ">=", "==", "!=", "<", ">"} {
		if i := strings.Index(s, op); i > 0 {
			return []string{strings.TrimSpace(s[:i]), op, strings.TrimSpace(s[i+len(op):])}
		}
	}
	return nil
}

func validMetric(m string) bool {
	if _, ok := metrics[m]; ok {
		return true
	}
	if q, ok := quantile(m); ok && q > 0 && q <= 1 {
		return true
	}
	return false
}

// quantile reads "p95" or "p99.9" as 0.95 or 0.999.
func quantile(m string) (float64, bool) {
	if !strings.HasPrefix(m, "p") {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1:], 64)
	if err != nil {
		return 0, false
	}
	return v / 100, true
}

// ParseFlag reads --threshold 'NAME: EXPR'.
func ParseFlag(s string) (Threshold, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return Threshold{}, fmt.Errorf("--threshold %q: write 'NAME: EXPR', e.g. 'GET /profile: p95 < 200'", s)
	}
	t, err := Parse(s[:i], s[i+1:])
	t.Source = "--threshold"
	return t, err
}

// FromOptions reads a script's options.thresholds: { NAME: EXPR | [EXPR |
// { threshold: EXPR, abortOnFail: true }, ...] }.
func FromOptions(v any) ([]Threshold, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("options.thresholds must be an object mapping statistic names to expressions")
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []Threshold
	for _, name := range names {
		items, ok := m[name].([]any)
		if !ok {
			items = []any{m[name]}
		}
		for _, it := range items {
			var expr string
			abort := false
			switch x := it.(type) {
			case string:
				expr = x
			case map[string]any:
				e, ok := x["threshold"].(string)
				if !ok {
					return nil, fmt.Errorf("options.thresholds[%q]: an object needs threshold: \"EXPR\"", name)
				}
				expr = e
				abort, _ = x["abortOnFail"].(bool)
			default:
				return nil, fmt.Errorf("options.thresholds[%q]: expected an expression string, got %v", name, it)
			}
			t, err := Parse(name, expr)
			if err != nil {
				return nil, fmt.Errorf("options.thresholds: %v", err)
			}
			t.AbortOnFail = abort
			t.Source = "options.thresholds"
			out = append(out, t)
		}
	}
	return out, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// findRow finds the statistics row a threshold names: "Aggregated",
// "TYPE NAME", or a name alone when one type has it.
func findRow(s *stats.Snapshot, name string) *stats.Row {
	if name == "Aggregated" {
		return s.Total
	}
	var byName *stats.Row
	n := 0
	for _, r := range s.Rows {
		if r.Type+" "+r.Name == name {
			return r
		}
		if r.Name == name {
			byName = r
			n++
		}
	}
	if n == 1 {
		return byName
	}
	return nil
}

// Evaluate measures t on s.
func Evaluate(t Threshold, s *stats.Snapshot) Result {
	res := Result{Threshold: t}
	var v float64
	switch {
	case t.K6 != nil:
		var ok bool
		if v, ok = t.K6.measure(s); !ok {
			res.NoData, res.Passed = true, true // k6 passes a metric without data
			return res
		}
	case t.Name == "checks" || strings.HasPrefix(t.Name, "check:"):
		var pass, fail int64
		found := false
		for _, c := range s.Checks {
			if t.Name == "checks" || t.Name == "check:"+c.Name {
				pass += c.Passes
				fail += c.Fails
				found = true
			}
		}
		if !found {
			res.NoData = true
			return res
		}
		switch t.Metric {
		case "rate":
			v = float64(pass) / float64(max(pass+fail, 1))
		case "count":
			v = float64(pass + fail)
		case "fails":
			v = float64(fail)
		}
	default:
		r := findRow(s, t.Name)
		if r == nil || r.Requests == 0 {
			res.NoData = true
			return res
		}
		el := s.Elapsed()
		switch t.Metric {
		case "avg":
			v = r.AvgMS()
		case "min":
			v = ms(r.Min)
		case "max":
			v = ms(r.Max)
		case "med":
			v = ms(r.Median())
		case "count":
			v = float64(r.Requests)
		case "fails":
			v = float64(r.Failures)
		case "failRate":
			v = r.FailRatio()
		case "rps":
			v, _ = r.RPS(el)
		case "failsPerSec":
			_, v = r.RPS(el)
		default:
			q, _ := quantile(t.Metric)
			v = ms(r.Percentile(q))
		}
	}
	res.Measured = v
	switch t.Op {
	case "<":
		res.Passed = v < t.Value
	case "<=":
		res.Passed = v <= t.Value
	case ">":
		res.Passed = v > t.Value
	case ">=":
		res.Passed = v >= t.Value
	case "==":
		res.Passed = v == t.Value
	case "!=":
		res.Passed = v != t.Value
	}
	return res
}

// EvaluateAll measures every threshold.
func EvaluateAll(ts []Threshold, s *stats.Snapshot) []Result {
	out := make([]Result, len(ts))
	for i, t := range ts {
		out[i] = Evaluate(t, s)
	}
	return out
}

// Unit is how a threshold's metric is shown.
func Unit(metric string) string {
	if u, ok := metrics[metric]; ok {
		return u
	}
	return "ms"
}
