// Package prom serves a running test's statistics as Prometheus metrics
// (--prometheus ADDR, and /metrics on the web panel).
//
// Nothing is instrumented on the request path: on every scrape, a custom
// collector takes the latest stats.Snapshot and turns it into constant
// metrics. The metrics, all cumulative since the statistics began (a reset
// of the statistics resets the counters, which Prometheus's rate() handles):
//
//	jsload_requests_total{type,name}                 counter: requests made
//	jsload_request_failures_total{type,name}         counter: requests that failed
//	jsload_response_time_seconds{type,name}          histogram: response times, with the
//	                                                 bucket bounds of Buckets
//	jsload_users                                     gauge: users running now
//	jsload_exceptions_total                          counter: script exceptions
//	jsload_checks_total{check,result}                counter: check outcomes, result "pass" or "fail"
//	jsload_dropped_iterations_total                  counter: arrival-rate starts no user was free for
//	jsload_start_time_seconds                        gauge: when the statistics began, Unix time
//	jsload_custom_counter_total{metric}              counter: a custom Counter's sum (k6/metrics)
//	jsload_custom_gauge{metric}                      gauge: a custom Gauge's last value
//	jsload_custom_rate_total{metric,result}          counter: a custom Rate's values, result
//	                                                 "nonzero" or "zero"
//	jsload_custom_trend{metric}                      summary: a custom Trend's count, sum and
//	                                                 quantiles 0.5, 0.9, 0.95, 0.99 (in the
//	                                                 trend's unit: milliseconds for a time trend)
//
// type is the request method (or a custom client's type) and name the stats
// name, as in the console table; there is no Aggregated series: sum() over
// the labels gives it. The histogram's buckets are filled from jsload's own
// histograms, whose buckets are at most 1/256 of their value wide: a
// response time within that of a bound may be counted on either side.
package prom

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jsload/jsload/internal/stats"
)

// Buckets are the upper bounds, in seconds, of the response-time
// histogram's buckets: 1 ms to 60 s in steps of about ×2 (1, 2, 5).
var Buckets = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60}

// Metric descriptions.
var (
	reqLabels = []string{"type", "name"}

	requestsDesc = prometheus.NewDesc("jsload_requests_total",
		"Requests made, by type (method) and name.", reqLabels, nil)
	failuresDesc = prometheus.NewDesc("jsload_request_failures_total",
		"Requests that failed, by type (method) and name.", reqLabels, nil)
	responseDesc = prometheus.NewDesc("jsload_response_time_seconds",
		"Response times in seconds, by type (method) and name.", reqLabels, nil)
	usersDesc = prometheus.NewDesc("jsload_users",
		"Users running now.", nil, nil)
	exceptionsDesc = prometheus.NewDesc("jsload_exceptions_total",
		"Exceptions raised by the script.", nil, nil)
	checksDesc = prometheus.NewDesc("jsload_checks_total",
		"Check outcomes, by check and result (pass or fail).", []string{"check", "result"}, nil)
	droppedDesc = prometheus.NewDesc("jsload_dropped_iterations_total",
		"Arrival-rate iteration starts that no user was free to serve.", nil, nil)
	startDesc = prometheus.NewDesc("jsload_start_time_seconds",
		"When the statistics began, in seconds since the Unix epoch.", nil, nil)

	metricLabel   = []string{"metric"}
	counterDesc   = prometheus.NewDesc("jsload_custom_counter_total", "A custom Counter's sum (k6/metrics).", metricLabel, nil)
	gaugeDesc     = prometheus.NewDesc("jsload_custom_gauge", "A custom Gauge's last value (k6/metrics).", metricLabel, nil)
	rateDesc      = prometheus.NewDesc("jsload_custom_rate_total", "A custom Rate's values, by result (nonzero or zero; k6/metrics).", []string{"metric", "result"}, nil)
	trendDesc     = prometheus.NewDesc("jsload_custom_trend", "A custom Trend's values (milliseconds for a time trend; k6/metrics).", metricLabel, nil)
	trendQuantile = []float64{0.5, 0.9, 0.95, 0.99}
)

// Handler serves the metrics of the latest snapshot in Prometheus's
// exposition formats (the text format, or OpenMetrics or protobuf when the
// scraper asks for them). source is called once per scrape; it may return
// nil before the test has statistics, and then only the metrics without
// labels are served, as zero.
func Handler(source func() *stats.Snapshot) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(source))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// NewCollector returns the collector Handler serves, for callers that
// register it in a registry of their own.
func NewCollector(source func() *stats.Snapshot) prometheus.Collector {
	return collector{source}
}

type collector struct {
	source func() *stats.Snapshot
}

var _ prometheus.Collector = collector{}

func (collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{requestsDesc, failuresDesc, responseDesc, usersDesc, exceptionsDesc, checksDesc, droppedDesc, startDesc, counterDesc, gaugeDesc, rateDesc, trendDesc} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	var s *stats.Snapshot
	if c.source != nil {
		s = c.source()
	}
	if s == nil {
		s = &stats.Snapshot{}
	}
	var excs int64
	for _, x := range s.Exceptions {
		excs += x.Count
	}
	ch <- prometheus.MustNewConstMetric(usersDesc, prometheus.GaugeValue, float64(s.Users))
	ch <- prometheus.MustNewConstMetric(exceptionsDesc, prometheus.CounterValue, float64(excs))
	ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(s.Dropped))
	if !s.Start.IsZero() {
		ch <- prometheus.MustNewConstMetric(startDesc, prometheus.GaugeValue, float64(s.Start.UnixNano())/1e9)
	}
	for _, r := range s.Rows {
		if r == nil {
			continue
		}
		typ, name := label(r.Type), label(r.Name)
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(r.Requests), typ, name)
		ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(r.Failures), typ, name)
		count, buckets := histogram(r)
		ch <- prometheus.MustNewConstHistogram(responseDesc, count, r.TotalTime.Seconds(), buckets, typ, name)
	}
	for _, k := range s.Checks {
		ch <- prometheus.MustNewConstMetric(checksDesc, prometheus.CounterValue, float64(k.Passes), label(k.Name), "pass")
		ch <- prometheus.MustNewConstMetric(checksDesc, prometheus.CounterValue, float64(k.Fails), label(k.Name), "fail")
	}
	custom(ch, s.Metrics)
}

// custom sends the script's custom metrics: not k6's built-in ones that
// jsload keeps for thresholds, nor sub-metrics (a threshold's filter).
func custom(ch chan<- prometheus.Metric, ms []*stats.Metric) {
	for _, m := range ms {
		if m == nil || m.Builtin || m.Count == 0 || strings.Contains(m.Name, "{") {
			continue
		}
		name := label(m.Name)
		switch m.Kind {
		case stats.KindCounter:
			ch <- prometheus.MustNewConstMetric(counterDesc, prometheus.CounterValue, m.Sum, name)
		case stats.KindGauge:
			ch <- prometheus.MustNewConstMetric(gaugeDesc, prometheus.GaugeValue, m.Last, name)
		case stats.KindRate:
			ch <- prometheus.MustNewConstMetric(rateDesc, prometheus.CounterValue, float64(m.NonZero), name, "nonzero")
			ch <- prometheus.MustNewConstMetric(rateDesc, prometheus.CounterValue, float64(m.Count-m.NonZero), name, "zero")
		case stats.KindTrend:
			q := make(map[float64]float64, len(trendQuantile))
			for _, p := range trendQuantile {
				q[p] = m.Percentile(p)
			}
			ch <- prometheus.MustNewConstSummary(trendDesc, uint64(m.Count), m.Sum, q, name)
		}
	}
}

// histogram returns r's response times as the cumulative counts of Buckets
// and their total count. A bucket of jsload's histogram is counted under
// every bound at or above its lowest value.
func histogram(r *stats.Row) (uint64, map[float64]uint64) {
	counts := make([]uint64, len(Buckets))
	var total uint64
	if r.Hist != nil {
		bounds := make([]uint64, len(Buckets)) // in µs
		for i, b := range Buckets {
			bounds[i] = uint64(b * 1e6)
		}
		i := 0
		r.Hist.Buckets(func(lowUS, n uint64) {
			for i < len(bounds) && lowUS > bounds[i] {
				i++
			}
			if i < len(counts) {
				counts[i] += n
			}
			total += n
		})
	} else if r.Requests > 0 {
		total = uint64(r.Requests) // no histogram: only the count is known
	}
	out := make(map[float64]uint64, len(Buckets))
	var cum uint64
	for i, b := range Buckets {
		cum += counts[i]
		out[b] = cum
	}
	return total, out
}

// label makes s a valid label value (UTF-8), whatever the script named
// its requests or checks.
func label(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
