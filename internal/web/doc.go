// Package web is jsload's web panel: a page to start, change and stop a
// test and watch it live, and a REST API compatible with Locust's, served by
// the jsload binary itself. The page, its styles and scripts and the chart
// library (uPlot, MIT licence, in assets/vendor, fetched by
// scripts/web-assets) are embedded: running it needs no Node.js.
//
// The panel drives the test through a Controller, which the CLI implements;
// it reads statistics from the Controller's Snapshot and History. The page
// polls GET /stats/requests and GET /api/history every second.
//
// # Endpoints
//
// Locust's (same paths, form fields and JSON field names):
//
//	POST /swarm               start a test, or change the running one's users and spawn rate;
//	                          form fields user_count, spawn_rate, host, run_time, user_classes
//	                          (repeated); answers {"success": true, "message": "Swarming started",
//	                          "host": ...}, or status 400 and {"success": false, "message": ...}
//	GET|POST /stop            stop the test: {"success": true, "message": "Test stopped"}
//	GET|POST /stats/reset     reset the statistics: "ok"
//	GET /stats/requests       JSON: state, user_count, total_rps, total_fail_per_sec, fail_ratio,
//	                          current_response_time_percentile_50 and _95, total_avg_response_time,
//	                          errors [{method, name, error, occurrences}], stats [{method, name,
//	                          safe_name, num_requests, num_failures, avg_response_time,
//	                          min_response_time, max_response_time, median_response_time,
//	                          ninetieth_response_time, ninety_ninth_response_time,
//	                          avg_content_length, current_rps, current_fail_per_sec,
//	                          response_time_percentile_0.95, response_time_percentile_0.99}]
//	                          whose last row is "Aggregated" (method null); at most 500 rows and
//	                          500 errors; plus jsload's host and exception_count
//	GET /stats/requests/csv   Locust's _stats.csv (download)
//	GET /stats/failures/csv   Locust's _failures.csv (download)
//	GET /exceptions           JSON: {"exceptions": [{count, msg, traceback, nodes, position}]}
//	GET /exceptions/csv       Locust's _exceptions.csv (download)
//	GET /stats/report         the HTML report; ?download=1 makes it a download
//
// jsload's own:
//
//	GET /                     the panel
//	GET /assets/...           its files
//	GET /report               the same as /stats/report
//	GET /metrics              Prometheus metrics (package prom)
//	GET /api/info             the script, the start form's defaults, the user classes and tasks
//	GET /api/history?after=T  the per-second history (Unix seconds "time", users, rps,
//	                          failures_per_s, p50_ms, p95_ms, p99_ms) after time T, with the first
//	                          point's time and the number of points, to fetch it incrementally
//
// Response times are in milliseconds, rounded to whole ones where Locust
// rounds them; rates are the recent ones (stats.Row.CurrentRPS). Strings are
// not HTML-escaped (Locust escapes some for its page; safe_name is escaped).
//
// # Safety
//
// With Options.Login set, every route asks for HTTP basic authentication
// (compared in constant time). Requests that change the test (any POST, and
// GET /stop, /stats/reset) are refused with 403 when they come from another
// site: Sec-Fetch-Site "cross-site", or an Origin (else Referer) header that
// names another host:port than the Host the request was sent to. Requests
// without those headers (curl, scripts) are accepted, as with Locust. When
// the panel listens on a loopback address without a login, requests whose
// Host header is not a loopback name are refused (421), which defeats DNS
// rebinding; a reverse proxy in front of such a panel must pass a loopback
// Host, or the panel needs a login. Every
// answer carries X-Content-Type-Options: nosniff, X-Frame-Options: DENY and
// a Content-Security-Policy that allows only the panel's own files.
package web
