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
// Locust's (same paths, form fields and JSON field names as today's Locust;
// testdata/locust_api_fields.json lists them and a test checks them):
//
//	POST /swarm               start a test, or change the running one's users and spawn rate;
//	                          form fields user_count, spawn_rate (not needed when the script
//	                          sets its own load: Info.Plan), host, run_time, user_classes
//	                          (repeated); answers {"success": true, "message": ..., "host": the
//	                          running test's host, "run_time": seconds if given}, or status 400
//	                          and {"success": false, "message": ...}
//	GET|POST /stop            stop the test: {"success": true, "message": "Test stopped"}
//	GET|POST /stats/reset     reset the statistics: "ok"
//	GET /stats/requests       JSON: state, user_count, total_rps and total_fail_per_sec (the
//	                          Aggregated row's current rates, as Locust's; also as current_rps,
//	                          current_fail_per_sec), fail_ratio, current_response_time_percentiles
//	                          {response_time_percentile_0.5, _0.95} (and Locust 2.x's
//	                          current_response_time_percentile_50, _95), total_avg_response_time,
//	                          errors [{method, name, error, occurrences}], stats [{method, name,
//	                          safe_name, num_requests, num_failures, avg_response_time,
//	                          min_response_time, max_response_time, median_response_time,
//	                          ninetieth_response_time, ninety_ninth_response_time,
//	                          avg_content_length, current_rps, current_fail_per_sec, total_rps,
//	                          total_fail_per_sec (whole-run averages), response_time_percentile_0.95,
//	                          response_time_percentile_0.99}] whose last row is "Aggregated"
//	                          (method ""); at most 500 rows and 500 errors; plus jsload's host,
//	                          exception_count and thresholds (ThresholdSource)
//	GET /stats/requests/csv   Locust's _stats.csv (download)
//	GET /stats/failures/csv   Locust's _failures.csv (download)
//	GET /stats/requests_full_history/csv  the history CSV (FullHistorySource), else 404
//	GET /exceptions           JSON: {"exceptions": [{count, msg, traceback, nodes, position}]}
//	GET /exceptions/csv       Locust's _exceptions.csv (download)
//	GET /tasks                JSON: {"per_class": {class: {ratio, tasks: {task: {ratio}}}},
//	                          "total": ..., "user_counts": {class: n}} from UserCounter
//	GET /logs                 JSON: {"master": [lines], "workers": {}} from LogSource
//	GET /stats/report         the HTML report; ?download=1 makes it a download; "Running"
//	                          while the test spawns or runs
//
// jsload's own:
//
//	GET /                     the panel
//	GET /assets/...           its files; GET /favicon.ico its icon
//	GET /report               the same as /stats/report
//	GET /metrics              Prometheus metrics (package prom)
//	GET /api/info             the script, the start form's defaults, the user classes and tasks,
//	                          the load plan and the thresholds
//	GET /api/history?after=T  the per-second history (Unix seconds "time", users, rps,
//	                          failures_per_s, p50_ms, p95_ms, p99_ms) after time T, with the first
//	                          point's time and the number of points, to fetch it incrementally
//	GET /api/history/earlier  {"runs": [[points]]}: the earlier tests' histories (EarlierRuns)
//
// Response times are in milliseconds, rounded to whole ones where Locust
// rounds them. Strings are not HTML-escaped (Locust escapes some for its
// page; safe_name is escaped).
//
// # Safety
//
// With Options.Login set, every route asks for HTTP basic authentication
// (compared in constant time); the page's own requests strip the
// credentials of a http://user:pass@host/ address, which fetch() refuses.
// Options.TLSCert and TLSKey serve the panel over HTTPS. Requests that
// change the test (any POST, and GET /stop, /stats/reset, /swarm) are
// refused with 403 unless they come from the panel's page or from a client
// that is not a browser page: Sec-Fetch-Site must be "same-origin" or
// "none" (typed by the user) when present, so "same-site" pages (another
// port of this host) are refused too; without it, an Origin (else Referer)
// header must name the Host the request was sent to; requests with none of
// these headers (curl, scripts) are accepted, as with Locust. When the
// panel listens on a loopback address without a login, requests whose Host
// header is not a loopback name are refused (421), which defeats DNS
// rebinding; a reverse proxy in front of such a panel must pass a loopback
// Host, or the panel needs a login. Every answer carries
// X-Content-Type-Options: nosniff, X-Frame-Options: DENY and a
// Content-Security-Policy that allows only the panel's own files.
package web
