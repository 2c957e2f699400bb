package js

import (
	"math"
	"regexp"
	"strconv"
	"sync"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/stats"
)

// k6/metrics: Counter, Gauge, Rate and Trend, made in the script's top
// level (as k6 requires) and added to in iterations. A value goes into the
// user's shard of the statistics (stats.Recorder.AddMetric), with no lock
// shared by all users.

// MetricInfo is a custom metric the script declares.
type MetricInfo struct {
	Kind   stats.MetricKind
	IsTime bool
}

// metricDecls are the custom metrics declared so far by any runtime of a
// script, by name.
type metricDecls struct {
	mu sync.Mutex
	m  map[string]MetricInfo
}

// declare records a metric, or says why it cannot be: another kind of
// the same name exists.
func (d *metricDecls) declare(name string, info MetricInfo) (MetricInfo, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.m[name]; ok {
		return old, old.Kind == info.Kind
	}
	if d.m == nil {
		d.m = map[string]MetricInfo{}
	}
	d.m[name] = info
	return info, true
}

func (d *metricDecls) copy() map[string]MetricInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]MetricInfo, len(d.m))
	for k, v := range d.m {
		out[k] = v
	}
	return out
}

// k6MetricName is k6's rule for a metric's name.
var k6MetricName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]{0,127}$`)

// K6BuiltinMetrics are k6's built-in metric names, with their kinds: a
// custom metric may not take one.
var K6BuiltinMetrics = map[string]stats.MetricKind{
	"vus": stats.KindGauge, "vus_max": stats.KindGauge, "iterations": stats.KindCounter,
	"iteration_duration": stats.KindTrend, "dropped_iterations": stats.KindCounter,
	"checks": stats.KindRate, "group_duration": stats.KindTrend, "http_reqs": stats.KindCounter,
	"http_req_failed": stats.KindRate, "http_req_duration": stats.KindTrend,
	"http_req_blocked": stats.KindTrend, "http_req_connecting": stats.KindTrend,
	"http_req_tls_handshaking": stats.KindTrend, "http_req_sending": stats.KindTrend,
	"http_req_waiting": stats.KindTrend, "http_req_receiving": stats.KindTrend,
	"data_sent": stats.KindCounter, "data_received": stats.KindCounter,
	"ws_sessions": stats.KindCounter, "ws_msgs_sent": stats.KindCounter, "ws_msgs_received": stats.KindCounter,
	"ws_ping": stats.KindTrend, "ws_session_duration": stats.KindTrend, "ws_connecting": stats.KindTrend,
	"grpc_req_duration": stats.KindTrend, "grpc_streams": stats.KindCounter,
	"grpc_streams_msgs_sent": stats.KindCounter, "grpc_streams_msgs_received": stats.KindCounter,
}

var k6MetricsTable = []lazyEntry{
	{name: "Counter", make: func(vu *VU) goja.Value { return vu.metricCtor("Counter", stats.KindCounter) }},
	{name: "Gauge", make: func(vu *VU) goja.Value { return vu.metricCtor("Gauge", stats.KindGauge) }},
	{name: "Rate", make: func(vu *VU) goja.Value { return vu.metricCtor("Rate", stats.KindRate) }},
	{name: "Trend", make: func(vu *VU) goja.Value { return vu.metricCtor("Trend", stats.KindTrend) }},
}

// metricCtor is the constructor new Counter(name), new Gauge(name),
// new Rate(name), new Trend(name, isTime).
func (vu *VU) metricCtor(ctor string, kind stats.MetricKind) goja.Value {
	return vu.rt.ToValue(func(c goja.ConstructorCall) *goja.Object {
		rt := vu.rt
		if !vu.loading {
			panic(rt.NewTypeError("new %s(...): custom metrics are made in the script's top level (k6's init context), not in the default function, setup or teardown", ctor))
		}
		nv := c.Argument(0)
		if goja.IsUndefined(nv) || !goja.IsString(nv) {
			panic(rt.NewTypeError("new %s(name): name must be a string", ctor))
		}
		name := nv.String()
		if !k6MetricName.MatchString(name) {
			panic(rt.NewTypeError("new %s(%q): a metric name is 1 to 128 ASCII letters, digits and underscores, not starting with a digit", ctor, name))
		}
		if _, ok := K6BuiltinMetrics[name]; ok {
			panic(rt.NewTypeError("new %s(%q): %s is one of k6's built-in metrics: choose another name", ctor, name, name))
		}
		info := MetricInfo{Kind: kind, IsTime: kind == stats.KindTrend && c.Argument(1).ToBoolean()}
		if old, ok := vu.s.metrics.declare(name, info); !ok {
			panic(rt.NewTypeError("new %s(%q): a %s of that name exists already", ctor, name, old.Kind))
		}
		o := rt.NewObject()
		must(o.Set("name", name))
		must(o.Set("add", vu.metricAdd(ctor, name, info)))
		return o
	})
}

// metricAdd is a metric's add(value, tags): booleans count as 1 and 0;
// a value that is not a number throws, naming the metric.
func (vu *VU) metricAdd(ctor, name string, info MetricInfo) func(goja.FunctionCall) goja.Value {
	return func(c goja.FunctionCall) goja.Value {
		rt := vu.rt
		a := c.Argument(0)
		var v float64
		switch a.Export().(type) {
		case bool:
			if a.ToBoolean() {
				v = 1
			}
		default:
			if !goja.IsNumber(a) {
				got := vu.valueText(a)
				if goja.IsString(a) {
					got = strconv.Quote(a.String())
				}
				panic(rt.NewTypeError("%s %q: add(value): value must be a number or a boolean, got %s", ctor, name, got))
			}
			v = a.ToFloat()
			if math.IsNaN(v) || math.IsInf(v, 0) {
				panic(rt.NewTypeError("%s %q: add(value): value must be a finite number, got %s", ctor, name, a.String()))
			}
		}
		tagsObj, _ := c.Argument(1).(*goja.Object)
		if tv := c.Argument(1); tagsObj == nil && !goja.IsUndefined(tv) && !goja.IsNull(tv) {
			panic(rt.NewTypeError("%s %q: add(value, tags): tags must be an object, got %s", ctor, name, tv.String()))
		}
		var t *stats.Tags
		if vu.rec.WantsTags(name) { // a threshold judges a sub-metric of it
			t = &stats.Tags{Group: vu.group, Scenario: vu.Scenario()}
			if tagsObj != nil {
				keys := tagsObj.Keys()
				t.Extra = make(map[string]string, len(keys))
				for _, k := range keys {
					t.Extra[k] = tagsObj.Get(k).String()
				}
			}
		}
		vu.rec.AddMetric(name, info.Kind, info.IsTime, v, t)
		return goja.Undefined()
	}
}
