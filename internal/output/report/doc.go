// Package report makes what a test run leaves behind for people and tools:
// the JSON summary (--json) and the HTML report (--html, and `jsload report
// RESULTS.json --html FILE` later from a summary).
//
// The CLI keeps a History while the test runs (Add once a second), then
// calls Build with the run's Meta, the final snapshot and the threshold
// results, and writes the Summary with WriteJSON or WriteHTML. ReadJSON
// reads a summary back, so a report can be made from any archived run.
//
// # The JSON summary, version 1
//
// The schema is stable: tools may rely on it. Within version 1 fields may
// be added, never removed or changed in meaning; a change that breaks that
// makes version 2. Times are RFC 3339 strings, durations and response times
// are numbers in the unit their name ends with (_s seconds, _ms
// milliseconds, to the microsecond), rates are per second over the whole
// run unless said otherwise. Arrays are never null.
//
//	{
//	  "format": "jsload-summary",        always this string
//	  "version": 1,
//	  "meta": {
//	    "script": "scripts/locustfile.js",
//	    "host": "http://localhost:8080",  "" when none was given
//	    "version": "0.4.0",               jsload's version
//	    "start": "2025-03-14T15:09:26Z",  when the test started
//	    "end": "2025-03-14T15:10:26Z",    when it ended
//	    "duration_s": 60,                 end - start
//	    "users": 50,                      peak users asked for (-u)
//	    "args": ["run", "..."],           the command line after "jsload"
//	    "saturation": {                   only when the run warned that the load
//	      "seconds": 12,                  generator was saturated: for how long, and
//	      "cpu_percent": 99,              its worst second: CPU in % of one core,
//	      "cores": 1,                     the cores it could use (GOMAXPROCS), the
//	      "wait_p90_ms": 230              90th percentile of goroutines' waits for a core
//	    }
//	  },
//	  "stats": [                          one per (type, name), by name then type
//	    {
//	      "type": "GET", "name": "/items",
//	      "requests": 1200, "failures": 3,
//	      "min_ms": 1.92, "avg_ms": 14.312, "median_ms": 12.01, "max_ms": 210.5,
//	      "avg_size_bytes": 512,
//	      "rps": 20.0, "failures_per_s": 0.05,   over the run; 0 when rates_over_s < 1
//	      "percentiles_ms": {"50": 12.01, "66": ..., "75": ..., "80": ..., "90": ...,
//	                         "95": ..., "98": ..., "99": ..., "99.9": ..., "99.99": ..., "100": 210.5},
//	      "scheduled_percentiles_ms": {...}  arrival-rate tests only: the same
//	                                         percentiles counted from each
//	                                         iteration's scheduled start
//	    }
//	  ],
//	  "aggregated": {...},                 the same fields over all requests,
//	                                       with "type": "" and "name": "Aggregated"
//	  "failures": [                        failed requests grouped, most frequent first
//	    {"type": "POST", "name": "/cart", "error": "500 Server Error: ...", "occurrences": 3}
//	  ],
//	  "exceptions": [                      script exceptions grouped, most frequent first
//	    {"count": 2, "message": "TypeError: ...", "position": "script.js:14:22", "traceback": "..."}
//	  ],
//	  "checks": [                          by name
//	    {"name": "status is 200", "passes": 1197, "fails": 3, "rate": 0.9975}
//	  ],
//	  "dropped_iterations": 0,             arrival-rate starts no user was free for
//	  "rates_over_s": 60,                  the time the stats' rates are over: under 1 s
//	                                       they are not rates, and are written 0
//	  "cut_off_requests": 0,               requests in flight when the test stopped, which
//	                                       the stop interrupted (not in the statistics)
//	  "lost_workers": [                    distributed tests: workers lost during the test that
//	                                       did not come back; their statistics count up to
//	                                       their last report
//	    {"id": "host-a_101", "host": "host-a", "users": 6,
//	     "last_report": "2026-01-02T15:04:05Z", "why": "missing"}   or "left"
//	  ],
//	  "thresholds": [
//	    {"name": "GET /items", "expr": "p95 < 500", "value": 212.4, "passed": true,
//	     "no_data": true}                 only when the statistic never appeared (value 0)
//	  ],
//	  "history": [                         about one point a second (see History)
//	    {"elapsed_s": 1.0,                 seconds since meta.start
//	     "users": 10,
//	     "rps": 19.5, "failures_per_s": 0,  over the last 10 complete seconds (0 when that
//	                                       window holds less than 1 s of the run)
//	     "p50_ms": 12, "p95_ms": 40.1, "p99_ms": 88,   over the last 10 s; 0 if no request ended in them
//	     "requests": 20, "failures": 0}    totals so far
//	  ],
//	  "metrics": [                         custom metrics (k6/metrics); absent without any
//	    {"name": "orders", "kind": "counter", "is_time": false,
//	     "values": {"count": 12, "rate": 3.5}}   gauge: value min max; rate: rate passes
//	  ]                                    fails; trend: avg min med max p(90) p(95)
//	}
//
// Percentiles are nearest-rank values from jsload's histograms (exact below
// 0.5 ms, within 0.2% above), kept within the exact minimum and maximum;
// "100" is the exact maximum. Every time (min, avg, median, max,
// percentiles) is in milliseconds rounded to the microsecond (3 decimals)
// by one rule, so min <= every percentile <= max and "100" == max_ms hold
// in every row. A row without requests has 0 for its times and an empty
// "percentiles_ms".
//
// # The HTML report
//
// WriteHTML renders one page with everything inline: styles, and the charts
// as SVG drawn here in Go. It has no scripts and no links to other
// resources, so it opens offline and shows the same in a year.
package report
