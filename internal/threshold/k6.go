package threshold

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jsload/jsload/internal/stats"
)

// K6 is a threshold on one of k6's metrics, in k6's syntax: built-in ones
// measured by jsload (http_req_duration, http_req_failed, http_reqs and
// data_received over HTTP requests only, checks, iterations,
// iteration_duration) and the script's custom metrics, each with an
// optional tag filter (k6's sub-metric).
type K6 struct {
	Metric string       // "http_req_duration", "iterations", a custom metric
	Filter stats.Filter // the sub-metric's tags; empty for the metric itself
	Kind   stats.MetricKind
	IsTime bool    // the values are milliseconds
	Agg    string  // k6's aggregation: avg min max med p count rate value
	Q      float64 // p(N)'s quantile, 0 to 1
}

// k6Aggs are the aggregations of each kind of metric.
var k6Aggs = map[stats.MetricKind][]string{
	stats.KindCounter: {"count", "rate"},
	stats.KindGauge:   {"value"},
	stats.KindRate:    {"rate"},
	stats.KindTrend:   {"avg", "min", "max", "med", "p(N)"},
}

// ParseK6 reads k6's "AGG OP NUMBER" (operators tried in k6's order, ===
// the same as ==) for the metric m, whose Agg and Q it fills. name is the
// metric with its filter, as shown.
func ParseK6(name, expr string, m K6) (Threshold, error) {
	t := Threshold{Name: name, Expr: strings.TrimSpace(expr)}
	for _, op := range []string{"<=", "<", ">=", ">", "===", "==", "!="} {
		i := strings.Index(t.Expr, op)
		if i < 0 {
			continue
		}
		agg, val := strings.TrimSpace(t.Expr[:i]), strings.TrimSpace(t.Expr[i+len(op):])
		if op == "===" {
			op = "=="
		}
		allowed := k6Aggs[m.Kind]
		if q, ok := strings.CutPrefix(agg, "p("); ok && strings.HasSuffix(q, ")") && m.Kind == stats.KindTrend {
			n, err := strconv.ParseFloat(strings.TrimSuffix(q, ")"), 64)
			if err != nil || n < 0 || n > 100 {
				return t, fmt.Errorf("%q: a percentile is p(N) with N from 0 to 100", agg)
			}
			m.Agg, m.Q = "p", n/100
		} else if agg != "p(N)" && contains(allowed, agg) {
			m.Agg = agg
		} else {
			return t, fmt.Errorf("unknown aggregation %q for %s, a %s (use %s)", agg, m.Metric, m.Kind, strings.Join(allowed, ", "))
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return t, fmt.Errorf("%q is not a number", val)
		}
		t.Metric, t.Op, t.Value = agg, op, v
		t.K6 = &m
		return t, nil
	}
	return t, fmt.Errorf("write AGGREGATION OPERATOR NUMBER, e.g. \"p(95)<200\"")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// measure is the threshold's value on s; ok is false when the metric has
// no data.
func (k *K6) measure(s *stats.Snapshot) (v float64, ok bool) {
	perSec := func(n float64) float64 {
		if el := s.Elapsed().Seconds(); el > 0 {
			return n / el
		}
		return 0
	}
	switch k.Metric {
	case "checks":
		var pass, fail int64
		check, byName := "", false
		for _, p := range k.Filter {
			if p.Key == "check" {
				check, byName = p.Value, true
			}
		}
		for _, c := range s.Checks {
			if !byName || c.Name == check {
				pass += c.Passes
				fail += c.Fails
			}
		}
		if pass+fail == 0 {
			return 0, false
		}
		return float64(pass) / float64(pass+fail), true
	case "http_req_duration", "http_req_failed", "http_reqs", "data_received":
		r := s.HTTPSubs[k.Filter.String()]
		if r == nil || r.Requests == 0 {
			return 0, false
		}
		switch k.Metric + " " + k.Agg {
		case "http_req_failed rate":
			return r.FailRatio(), true
		case "http_reqs count":
			return float64(r.Requests), true
		case "http_reqs rate":
			return perSec(float64(r.Requests)), true
		case "data_received count":
			return float64(r.TotalSize), true
		case "data_received rate":
			return perSec(float64(r.TotalSize)), true
		case "http_req_duration avg":
			return r.AvgMS(), true
		case "http_req_duration min":
			return ms(r.Min), true
		case "http_req_duration max":
			return ms(r.Max), true
		case "http_req_duration med":
			return ms(r.Median()), true
		case "http_req_duration p":
			if k.Q == 0 {
				return ms(r.Min), true
			}
			return ms(r.Percentile(k.Q)), true
		}
		return 0, false
	}
	m := s.Metric(k.Metric + k.Filter.String())
	if m == nil || m.Count == 0 {
		return 0, false
	}
	switch k.Agg {
	case "count":
		return m.Sum, true
	case "rate":
		if k.Kind == stats.KindCounter {
			return perSec(m.Sum), true
		}
		return m.Rate(), true
	case "value":
		return m.Last, true
	case "avg":
		return m.Avg(), true
	case "min":
		return m.Min, true
	case "max":
		return m.Max, true
	case "med":
		return m.Percentile(0.5), true
	case "p":
		if k.Q == 0 {
			return m.Min, true
		}
		return m.Percentile(k.Q), true
	}
	return 0, false
}

// UnitOf is how t's measured value is shown: "ms", "/s", "ratio" or "".
func UnitOf(t Threshold) string {
	k := t.K6
	if k == nil {
		return Unit(t.Metric)
	}
	switch {
	case k.Kind == stats.KindTrend && k.IsTime:
		return "ms"
	case k.Kind == stats.KindRate:
		return "ratio"
	case k.Kind == stats.KindCounter && k.Agg == "rate":
		return "/s"
	}
	return ""
}
