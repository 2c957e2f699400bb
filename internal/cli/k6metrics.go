package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/js"
)

// k6's thresholds: { "metric{tag:value,...}": [expr | { threshold,
// abortOnFail, delayAbortEval }] } on the k6 metrics jsload measures and
// the script's custom metrics. A filtered metric is k6's sub-metric: the
// registry keeps it apart only because a threshold asks (k6Wants).

// k6Measured are the built-in k6 metrics jsload measures for thresholds,
// with the tags their filters may name ("*": also the script's own tags).
var k6Measured = map[string]struct {
	kind   stats.MetricKind
	isTime bool
	tags   []string
}{
	"http_req_duration":  {stats.KindTrend, true, k6HTTPTags},
	"http_req_failed":    {stats.KindRate, false, k6HTTPTags},
	"http_reqs":          {stats.KindCounter, false, k6HTTPTags},
	"data_received":      {stats.KindCounter, false, k6HTTPTags},
	"checks":             {stats.KindRate, false, []string{"check"}},
	"iterations":         {stats.KindCounter, false, []string{"scenario"}},
	"iteration_duration": {stats.KindTrend, true, []string{"scenario"}},
}

// k6HTTPTags are the tags of a k6/http request jsload knows, besides the
// script's own (params.tags).
var k6HTTPTags = []string{"name", "url", "method", "status", "group", "scenario", "*"}

// k6CustomTags are the tags of a custom metric's value besides the
// script's own (add(value, tags)).
var k6CustomTags = []string{"group", "scenario", "*"}

// k6UnsetTags are k6's system tags that jsload does not set: a filter on
// one would never match.
var k6UnsetTags = map[string]bool{"proto": true, "subproto": true, "error": true, "error_code": true,
	"tls_version": true, "service": true, "expected_response": true, "vu": true, "iter": true, "ocsp_status": true, "ip": true}

// k6Thresholds reads a k6 script's thresholds (see above); anything jsload
// cannot judge is an error naming it.
func k6Thresholds(v any, custom map[string]js.MetricInfo) ([]threshold.Threshold, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("options.thresholds in the script must be an object mapping metrics to arrays of expressions")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []threshold.Threshold
	for _, key := range keys {
		base := fmt.Sprintf("options.thresholds[%q]", key)
		where := base + " in the script"
		metric, filter, _ := strings.Cut(strings.TrimSpace(key), "{")
		metric = strings.TrimSpace(metric)
		var spec threshold.K6
		var tags []string
		if b, ok := k6Measured[metric]; ok {
			spec, tags = threshold.K6{Metric: metric, Kind: b.kind, IsTime: b.isTime}, b.tags
		} else if c, ok := custom[metric]; ok {
			spec, tags = threshold.K6{Metric: metric, Kind: c.Kind, IsTime: c.IsTime}, k6CustomTags
		} else {
			var names []string
			for n := range k6Measured {
				names = append(names, n)
			}
			for n := range custom {
				names = append(names, n)
			}
			sort.Strings(names)
			why := "it is neither a custom metric of the script (new Counter/Gauge/Rate/Trend in its top level) nor a k6 metric jsload measures"
			if _, builtin := js.K6BuiltinMetrics[metric]; builtin {
				why = "jsload does not measure this k6 metric yet"
			}
			return nil, fmt.Errorf("%s: %s (thresholds can judge %s)%s", where, why, strings.Join(names, ", "), config.DidYouMean(metric, names))
		}
		if filter != "" {
			f, err := k6Filter(filter, tags)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			spec.Filter = f
		}
		name := metric + spec.Filter.String()
		items, ok := m[key].([]any)
		if !ok {
			return nil, fmt.Errorf("%s must be an array of expressions, as in k6", where)
		}
		for i, it := range items {
			var expr string
			var obj map[string]any
			switch x := it.(type) {
			case string:
				expr = x
			case map[string]any:
				for k := range x {
					if k != "threshold" && k != "abortOnFail" && k != "delayAbortEval" {
						return nil, fmt.Errorf("%s[%d].%s in the script: a threshold object has threshold, abortOnFail and delayAbortEval%s", base, i, k, config.DidYouMean(k, []string{"threshold", "abortOnFail", "delayAbortEval"}))
					}
				}
				e, ok := x["threshold"].(string)
				if !ok {
					return nil, fmt.Errorf("%s[%d] in the script: an object needs threshold: \"EXPR\"", base, i)
				}
				expr, obj = e, x
			default:
				return nil, fmt.Errorf("%s[%d] in the script: expected an expression string, got %v", base, i, it)
			}
			t, err := threshold.ParseK6(name, expr, spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %v", where, expr, err)
			}
			t.Source = "options.thresholds"
			if obj != nil {
				if a, ok := obj["abortOnFail"]; ok {
					b, ok := a.(bool)
					if !ok {
						return nil, fmt.Errorf("%s[%d].abortOnFail in the script must be true or false, got %v", base, i, a)
					}
					t.AbortOnFail = b
				}
				if d, ok := obj["delayAbortEval"]; ok {
					txt, err := optionString(k6DurationText(d))
					if err == nil {
						t.DelayAbortEval, err = config.ParseDuration(txt)
					}
					if err != nil || t.DelayAbortEval < 0 {
						return nil, fmt.Errorf("%s[%d].delayAbortEval in the script: want a duration such as \"10s\", got %v", base, i, d)
					}
				}
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// k6Filter reads a tag filter ("tag:value, tag2:'value 2'}", after the
// "{"): whitespace and quotes around keys and values are trimmed, as k6
// does. allowed are the tags the metric's samples carry ("*": any other
// tag the script gives).
func k6Filter(s string, allowed []string) (stats.Filter, error) {
	body, ok := strings.CutSuffix(strings.TrimSpace(s), "}")
	if !ok {
		return nil, fmt.Errorf("a tag filter is written metric{tag:value}")
	}
	pairs := map[string]string{}
	for _, kv := range strings.Split(body, ",") {
		k, val, ok := strings.Cut(kv, ":")
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		if !ok || k == "" {
			return nil, fmt.Errorf("a tag filter is written metric{tag:value}, got %q", kv)
		}
		named := []string{}
		for _, a := range allowed {
			if a != "*" {
				named = append(named, a)
			}
		}
		switch {
		case k6UnsetTags[k]:
			return nil, fmt.Errorf("jsload does not set k6's %q tag, so {%s:...} would match nothing (it filters by %s)", k, k, strings.Join(named, ", "))
		case !contains(allowed, k) && !contains(allowed, "*"):
			return nil, fmt.Errorf("this metric is filtered by %s only, not by %q%s", strings.Join(named, ", "), k, config.DidYouMean(k, named))
		}
		if k == "url" {
			k = "name" // jsload's name is the URL when no name is given
		}
		pairs[k] = strings.Trim(strings.TrimSpace(val), `"'`)
	}
	return stats.NewFilter(pairs), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// k6Wants are the sub-metrics the registry must keep for ts.
func k6Wants(ts []threshold.Threshold) stats.Wants {
	w := stats.Wants{Metrics: map[string][]stats.Filter{}}
	seen := map[string]bool{}
	for _, t := range ts {
		k := t.K6
		if k == nil || k.Metric == "checks" {
			continue
		}
		f := k.Filter.String()
		isHTTP := contains(stats.HTTPMetrics, k.Metric)
		id := f
		if !isHTTP {
			id = k.Metric + f
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if isHTTP {
			w.HTTP = append(w.HTTP, k.Filter)
		} else {
			w.Metrics[k.Metric] = append(w.Metrics[k.Metric], k.Filter)
		}
	}
	return w
}

// k6WorkerWants are the sub-metrics a cluster's worker records for the
// master's thresholds: the script's k6 thresholds, read as the master
// reads them (resolveConfig), give the same Wants as the master's.
func k6WorkerWants(script *js.Script) (stats.Wants, error) {
	v, ok := script.Options["thresholds"]
	if !script.K6 || !ok || v == nil {
		return stats.Wants{}, nil
	}
	ts, err := k6Thresholds(v, script.Metrics)
	if err != nil {
		return stats.Wants{}, err
	}
	return k6Wants(ts), nil
}
