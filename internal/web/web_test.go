package web_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math"
	"math/big"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/output/csvout"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/web"
)

// panel starts the panel for f on an httptest server.
func panel(t *testing.T, f web.Controller, o web.Options) *httptest.Server {
	t.Helper()
	s, err := web.New(f, o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// call sends a request; hdr holds extra headers as name, value pairs.
func call(t *testing.T, ts *httptest.Server, method, path string, body io.Reader, ctype string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{res.StatusCode, res.Header, string(b)}
}

func get(t *testing.T, ts *httptest.Server, path string, hdr ...string) reply {
	return call(t, ts, http.MethodGet, path, nil, "", hdr...)
}

func postForm(t *testing.T, ts *httptest.Server, path string, form url.Values, hdr ...string) reply {
	return call(t, ts, http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", hdr...)
}

func wantStatus(t *testing.T, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
}

func TestSwarmStartsATest(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{})
	form := url.Values{
		"user_count":   {"10"},
		"spawn_rate":   {"2.5"},
		"host":         {"http://example.com:8080"},
		"run_time":     {"1h20m"},
		"user_classes": {"Shopper", "Visitor"},
	}
	r := postForm(t, ts, "/swarm", form)
	wantStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	got := r.json(t)
	want := map[string]any{"success": true, "message": "Swarming started", "host": "http://example.com:8080", "run_time": 4800.0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answer %v, want %v", got, want)
	}
	req, n := f.lastStart()
	wantReq := web.StartRequest{Users: 10, SpawnRate: 2.5, Host: "http://example.com:8080", RunTime: 80 * time.Minute,
		UserClasses: []string{"Shopper", "Visitor"}}
	if n != 1 || !reflect.DeepEqual(req, wantReq) {
		t.Errorf("Start called %d times, last with %+v, want once with %+v", n, req, wantReq)
	}
}

func TestSwarmOptionalFieldsAndHostDefault(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{})
	r := postForm(t, ts, "/swarm", url.Values{"user_count": {"3"}, "spawn_rate": {"1"}, "host": {""}, "run_time": {""}})
	wantStatus(t, r, 200)
	if h := r.json(t)["host"]; h != "http://localhost:8080" {
		t.Errorf("host %v, want the controller's host", h)
	}
	req, _ := f.lastStart()
	if !reflect.DeepEqual(req, web.StartRequest{Users: 3, SpawnRate: 1}) {
		t.Errorf("Start(%+v)", req)
	}
	// Plain seconds, as Locust takes them.
	postForm(t, ts, "/swarm", url.Values{"user_count": {"3"}, "spawn_rate": {"1"}, "run_time": {"20"}})
	if req, _ := f.lastStart(); req.RunTime != 20*time.Second {
		t.Errorf("run_time 20: %v", req.RunTime)
	}
	// During the run the answer names the host the test runs against, not
	// the one asked for, which the controller may not apply.
	r = postForm(t, ts, "/swarm", url.Values{"user_count": {"4"}, "spawn_rate": {"1"}, "host": {"http://other.example"}})
	wantStatus(t, r, 200)
	if h := r.json(t)["host"]; h != "http://localhost:8080" {
		t.Errorf("host %v during the run, want the running test's", h)
	}
}

func TestSwarmMultipartForm(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{})
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range [][2]string{{"user_count", "7"}, {"spawn_rate", "3"}, {"user_classes", "Admin"}} {
		mw.WriteField(kv[0], kv[1])
	}
	mw.Close()
	r := call(t, ts, http.MethodPost, "/swarm", &b, mw.FormDataContentType())
	wantStatus(t, r, 200)
	req, _ := f.lastStart()
	if req.Users != 7 || req.SpawnRate != 3 || !slices.Equal(req.UserClasses, []string{"Admin"}) {
		t.Errorf("Start(%+v)", req)
	}
}

func TestSwarmBadInputLeavesTheTestAlone(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		form url.Values
		want string // in the message
	}{
		{"negative users", url.Values{"user_count": {"-1"}, "spawn_rate": {"1"}}, "user_count must be 0 or more, got -1"},
		{"text users", url.Values{"user_count": {"many"}, "spawn_rate": {"1"}}, `user_count must be a whole number of users, got "many"`},
		{"fractional users", url.Values{"user_count": {"1.5"}, "spawn_rate": {"1"}}, "user_count must be a whole number"},
		{"no users", url.Values{"spawn_rate": {"1"}}, "user_count is missing"},
		{"too many users", url.Values{"user_count": {"99999999"}, "spawn_rate": {"1"}}, "user_count must be at most"},
		{"zero rate", url.Values{"user_count": {"5"}, "spawn_rate": {"0"}}, "spawn_rate must be more than 0"},
		{"text rate", url.Values{"user_count": {"5"}, "spawn_rate": {"fast"}}, `spawn_rate must be a number of users per second, got "fast"`},
		{"NaN rate", url.Values{"user_count": {"5"}, "spawn_rate": {"NaN"}}, "spawn_rate must be a number"},
		{"no rate", url.Values{"user_count": {"5"}}, "spawn_rate is missing"},
		{"ftp host", url.Values{"user_count": {"5"}, "spawn_rate": {"1"}, "host": {"ftp://x"}}, "must start with http:// or https://"},
		{"bare host", url.Values{"user_count": {"5"}, "spawn_rate": {"1"}, "host": {"localhost"}}, "must start with http://"},
		{"bad run time", url.Values{"user_count": {"5"}, "spawn_rate": {"1"}, "run_time": {"soon"}}, `run_time "soon" is not a duration`},
		{"negative run time", url.Values{"user_count": {"5"}, "spawn_rate": {"1"}, "run_time": {"-5m"}}, "run_time must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake().running()
			ts := panel(t, f, web.Options{})
			r := postForm(t, ts, "/swarm", c.form)
			wantStatus(t, r, 400)
			m := r.json(t)
			if m["success"] != false {
				t.Errorf("success %v", m["success"])
			}
			if msg, _ := m["message"].(string); !strings.Contains(msg, c.want) {
				t.Errorf("message %q, want it to contain %q", msg, c.want)
			}
			if _, n := f.lastStart(); n != 0 || f.State() != engine.Running || f.Snapshot().Users != 25 {
				t.Errorf("the running test was touched: %d starts, state %s", n, f.State())
			}
		})
	}
}

func TestSwarmWhileRunningChangesUsers(t *testing.T) {
	t.Parallel()
	f := newFake().running()
	ts := panel(t, f, web.Options{})
	r := postForm(t, ts, "/swarm", url.Values{"user_count": {"50"}, "spawn_rate": {"5"}})
	wantStatus(t, r, 200)
	req, n := f.lastStart()
	if n != 1 || req.Users != 50 || req.SpawnRate != 5 {
		t.Errorf("Start(%+v) x%d", req, n)
	}
	if f.State() != engine.Running {
		t.Errorf("state %s", f.State())
	}
	j := get(t, ts, "/stats/requests").json(t)
	if j["user_count"] != 50.0 {
		t.Errorf("user_count %v after the change", j["user_count"])
	}
}

func TestSwarmControllerErrorIsShown(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{})
	r := postForm(t, ts, "/swarm", url.Values{"user_count": {"0"}, "spawn_rate": {"1"}})
	wantStatus(t, r, 400)
	if m := r.json(t); m["message"] != "a test needs at least 1 user" || m["success"] != false {
		t.Errorf("answer %v", m)
	}
}

func TestSwarmIsPostOnly(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake(), web.Options{})
	wantStatus(t, get(t, ts, "/swarm?user_count=1&spawn_rate=1"), http.StatusMethodNotAllowed)
}

func TestStop(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			f := newFake().running()
			ts := panel(t, f, web.Options{})
			r := call(t, ts, method, "/stop", nil, "")
			wantStatus(t, r, 200)
			want := map[string]any{"success": true, "message": "Test stopped"}
			if got := r.json(t); !reflect.DeepEqual(got, want) {
				t.Errorf("answer %v", got)
			}
			if f.stops != 1 || f.State() != engine.Stopped {
				t.Errorf("stops %d, state %s", f.stops, f.State())
			}
		})
	}
}

func TestReset(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			f := newFake().running()
			ts := panel(t, f, web.Options{})
			r := call(t, ts, method, "/stats/reset", nil, "")
			wantStatus(t, r, 200)
			if r.body != "ok" {
				t.Errorf("body %q, want ok", r.body)
			}
			if f.resets != 1 || f.Snapshot().Total.Requests != 0 {
				t.Errorf("resets %d, requests %d", f.resets, f.Snapshot().Total.Requests)
			}
		})
	}
}

func TestStatsRequests(t *testing.T) {
	t.Parallel()
	f := newFake().running()
	ts := panel(t, f, web.Options{})
	r := get(t, ts, "/stats/requests")
	wantStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	j := r.json(t)
	for _, k := range []string{"state", "user_count", "total_rps", "fail_ratio",
		"current_response_time_percentile_50", "current_response_time_percentile_95", "errors", "stats"} {
		if _, ok := j[k]; !ok {
			t.Errorf("no %q field", k)
		}
	}
	if j["state"] != "running" || j["user_count"] != 25.0 {
		t.Errorf("state %v, user_count %v", j["state"], j["user_count"])
	}
	rows := j["stats"].([]any)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 3 and Aggregated", len(rows))
	}
	rowKeys := []string{"method", "name", "safe_name", "num_requests", "num_failures", "avg_response_time",
		"min_response_time", "max_response_time", "median_response_time", "ninetieth_response_time",
		"ninety_ninth_response_time", "avg_content_length", "current_rps", "current_fail_per_sec",
		"total_rps", "total_fail_per_sec", "response_time_percentile_0.95", "response_time_percentile_0.99"}
	sort.Strings(rowKeys)
	for _, row := range rows {
		var keys []string
		for k := range row.(map[string]any) {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, rowKeys) {
			t.Errorf("row fields %v, want %v", keys, rowKeys)
		}
	}
	byName := map[string]map[string]any{}
	for _, row := range rows {
		m := row.(map[string]any)
		byName[m["name"].(string)] = m
	}
	e := byName["/entries"]
	want := map[string]any{
		"method": "GET", "name": "/entries", "safe_name": "/entries",
		"num_requests": 200.0, "num_failures": 0.0,
		"min_response_time": 100.0, "max_response_time": 299.0,
		"avg_response_time": 199.5, "avg_content_length": 1024.0,
	}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("/entries %s = %v, want %v", k, e[k], v)
		}
	}
	if m := e["median_response_time"].(float64); m < 198 || m > 201 {
		t.Errorf("/entries median %v", m)
	}
	if p := e["ninetieth_response_time"].(float64); p < 278 || p > 281 {
		t.Errorf("/entries 90%% %v", p)
	}
	agg := rows[len(rows)-1].(map[string]any)
	if agg["name"] != "Aggregated" || agg["method"] != "" {
		t.Errorf("last row %v %v, want Aggregated with method \"\"", agg["method"], agg["name"])
	}
	// total_rps: whole-run averages, over the time from the start to the
	// last request (at 19.9 s).
	if e["total_rps"] != math.Round(200/19.9*1000)/1000 || agg["total_rps"] != math.Round(310/19.9*1000)/1000 ||
		agg["total_fail_per_sec"] != math.Round(10/19.9*1000)/1000 {
		t.Errorf("total_rps: /entries %v, Aggregated %v, %v failures/s", e["total_rps"], agg["total_rps"], agg["total_fail_per_sec"])
	}
	if j["current_rps"] != agg["current_rps"] || j["current_fail_per_sec"] != agg["current_fail_per_sec"] {
		t.Errorf("current_rps %v, current_fail_per_sec %v; Aggregated row %v, %v", j["current_rps"], j["current_fail_per_sec"], agg["current_rps"], agg["current_fail_per_sec"])
	}
	cp := j["current_response_time_percentiles"].(map[string]any)
	if cp["response_time_percentile_0.5"] != j["current_response_time_percentile_50"] || cp["response_time_percentile_0.95"] != j["current_response_time_percentile_95"] {
		t.Errorf("current_response_time_percentiles %v", cp)
	}
	if agg["num_requests"] != 310.0 || agg["num_failures"] != 10.0 {
		t.Errorf("aggregated %v requests, %v failures", agg["num_requests"], agg["num_failures"])
	}
	if fr := j["fail_ratio"].(float64); fr < 0.0322 || fr > 0.0323 {
		t.Errorf("fail_ratio %v, want 10/310", fr)
	}
	if j["total_rps"] != agg["current_rps"] {
		t.Errorf("total_rps %v, aggregated current_rps %v", j["total_rps"], agg["current_rps"])
	}
	errs := j["errors"].([]any)
	wantErr := map[string]any{"method": "GET", "name": "/shujie", "error": "404 Client Error: Not Found", "occurrences": 10.0}
	if len(errs) != 1 || !reflect.DeepEqual(errs[0], wantErr) {
		t.Errorf("errors %v, want [%v]", errs, wantErr)
	}
	if j["exception_count"] != 1.0 || j["host"] != "http://localhost:8080" {
		t.Errorf("exception_count %v host %v", j["exception_count"], j["host"])
	}
}

func TestStatsRequestsBeforeAnyTest(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake(), web.Options{})
	j := get(t, ts, "/stats/requests").json(t)
	rows := j["stats"].([]any)
	if j["state"] != "ready" || len(rows) != 1 || rows[0].(map[string]any)["name"] != "Aggregated" {
		t.Errorf("state %v, rows %v", j["state"], rows)
	}
	if errs, ok := j["errors"].([]any); !ok || len(errs) != 0 {
		t.Errorf("errors %v, want []", j["errors"])
	}
}

func TestSafeNameIsEscaped(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{})
	f.reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: `/search?q=<b>&x`, Duration: time.Millisecond})
	rows := get(t, ts, "/stats/requests").json(t)["stats"].([]any)
	r := rows[0].(map[string]any)
	if r["name"] != `/search?q=<b>&x` || r["safe_name"] != `/search?q=&lt;b&gt;&amp;x` {
		t.Errorf("name %v, safe_name %v", r["name"], r["safe_name"])
	}
}

func TestCSVDownloads(t *testing.T) {
	t.Parallel()
	f := newFake().running()
	ts := panel(t, f, web.Options{})
	for _, c := range []struct {
		path   string
		header []string
		row    string
	}{
		{"/stats/requests/csv", csvout.StatsHeader, `GET,/entries,200,0,`},
		{"/stats/failures/csv", csvout.FailuresHeader, "GET,/shujie,404 Client Error: Not Found,10"},
		{"/exceptions/csv", csvout.ExceptionsHeader, "1,TypeError: Cannot read property 'id' of undefined,"},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := get(t, ts, c.path)
			wantStatus(t, r, 200)
			if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="jsload_`) || !strings.HasSuffix(cd, `.csv"`) {
				t.Errorf("Content-Disposition %q", cd)
			}
			first, _, _ := strings.Cut(r.body, "\r\n")
			if first != strings.Join(c.header, ",") {
				t.Errorf("header line %q", first)
			}
			if !strings.Contains(r.body, "\r\n"+c.row) {
				t.Errorf("no row starting %q in\n%s", c.row, r.body)
			}
		})
	}
}

func TestExceptionsJSON(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake().running(), web.Options{})
	r := get(t, ts, "/exceptions")
	wantStatus(t, r, 200)
	xs := r.json(t)["exceptions"].([]any)
	want := map[string]any{
		"count":     1.0,
		"msg":       "TypeError: Cannot read property 'id' of undefined",
		"traceback": "TypeError: Cannot read property 'id' of undefined\n    at browse (scripts/locustfile.js:12:5)",
		"nodes":     "local",
		"position":  "scripts/locustfile.js:12:5",
	}
	if len(xs) != 1 || !reflect.DeepEqual(xs[0], want) {
		t.Errorf("exceptions %v, want [%v]", xs, want)
	}
	empty := get(t, panel(t, newFake(), web.Options{}), "/exceptions")
	if strings.TrimSpace(empty.body) != `{"exceptions":[]}` {
		t.Errorf("no exceptions: %s", empty.body)
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	f := newFake().running()
	ts := panel(t, f, web.Options{Version: "9.9.9"})
	for _, path := range []string{"/report", "/stats/report"} {
		r := get(t, ts, path)
		wantStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if r.header.Get("Content-Disposition") != "" {
			t.Errorf("%s: a download without ?download=1", path)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if !strings.Contains(r.body, "/entries") || !strings.Contains(r.body, "scripts/locustfile.js") {
			t.Errorf("%s: the report lacks the run's rows or script", path)
		}
		// The test runs (with failures so far): not "Finished with errors".
		if strings.Contains(r.body, "Finished with errors") || !strings.Contains(r.body, "Running, with errors so far") {
			t.Errorf("%s: the report of a running test does not say it runs", path)
		}
	}
	d := get(t, ts, "/report?download=1")
	if cd := d.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="jsload_report_`) || !strings.HasSuffix(cd, `.html"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	// The controller's summary wins when it has one.
	f.mu.Lock()
	f.summary = report.Build(report.Meta{Script: "other-script.js"}, f.reg.Snapshot(time.Now()), nil, nil)
	f.mu.Unlock()
	if r := get(t, ts, "/report"); !strings.Contains(r.body, "other-script.js") {
		t.Error("the controller's Summary was not used")
	}
	f.Stop()
	if r := get(t, ts, "/report"); !strings.Contains(r.body, "Finished with errors") {
		t.Error("the report of a stopped test with failures does not say it finished with errors")
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake().running(), web.Options{})
	r := get(t, ts, "/metrics")
	wantStatus(t, r, 200)
	for _, want := range []string{`jsload_requests_total{name="/entries",type="GET"} 200`, "jsload_users 25", "jsload_exceptions_total 1"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("no %q in\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "go_goroutines") {
		t.Error("the panel's metrics include the default registry's")
	}
}

func TestInfo(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake(), web.Options{Version: "1.2.3"})
	r := get(t, ts, "/api/info")
	wantStatus(t, r, 200)
	var got map[string]any
	json.Unmarshal([]byte(r.body), &got)
	want := map[string]any{
		"script": "scripts/locustfile.js", "host": "http://localhost:8080", "users": 10.0, "spawn_rate": 2.0,
		"run_time": "1m30s", "version": "1.2.3",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	classes := got["user_classes"].([]any)
	shopper := classes[1].(map[string]any)
	if len(classes) != 3 || shopper["name"] != "Shopper" || shopper["weight"] != 3.0 || shopper["fixed_count"] != 0.0 {
		t.Fatalf("classes %v", classes)
	}
	task := shopper["tasks"].([]any)[0].(map[string]any)
	if !reflect.DeepEqual(task, map[string]any{"name": "browse", "weight": 3.0, "share": 75.0}) {
		t.Errorf("task %v", task)
	}
}

func TestHistory(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake().running(), web.Options{})
	var all struct {
		First  float64 `json:"first"`
		Count  int     `json:"count"`
		Points []struct {
			Time  float64 `json:"time"`
			Users int     `json:"users"`
			RPS   float64 `json:"rps"`
			P50   float64 `json:"p50_ms"`
			P95   float64 `json:"p95_ms"`
		} `json:"points"`
	}
	r := get(t, ts, "/api/history")
	wantStatus(t, r, 200)
	if err := json.Unmarshal([]byte(r.body), &all); err != nil {
		t.Fatal(err)
	}
	if all.Count != 20 || len(all.Points) != 20 || all.First != all.Points[0].Time {
		t.Fatalf("count %d, %d points, first %v", all.Count, len(all.Points), all.First)
	}
	if d := time.Since(time.Unix(int64(all.First), 0)); d < 15*time.Second || d > time.Minute {
		t.Errorf("first point %v ago: times are not Unix seconds", d)
	}
	last := all.Points[19]
	if last.Users != 25 || last.RPS <= 0 || last.P50 <= 0 || last.P95 < last.P50 {
		t.Errorf("last point %+v", last)
	}
	after := all.Points[16].Time
	var tail struct {
		Count  int              `json:"count"`
		Points []map[string]any `json:"points"`
	}
	json.Unmarshal([]byte(get(t, ts, "/api/history?after="+url.QueryEscape(jsonNumber(after))).body), &tail)
	if tail.Count != 20 || len(tail.Points) != 3 {
		t.Errorf("after the 17th point: count %d, %d points, want 20 and 3", tail.Count, len(tail.Points))
	}
	wantStatus(t, get(t, ts, "/api/history?after=yesterday"), 400)
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func TestIndexAndAssets(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake(), web.Options{})
	r := get(t, ts, "/")
	wantStatus(t, r, 200)
	if !strings.Contains(r.body, `<script src="assets/app.js"`) || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("index: %s %.200s", r.header.Get("Content-Type"), r.body)
	}
	for _, p := range []string{"/assets/app.js", "/assets/app.css", "/assets/favicon.svg",
		"/assets/vendor/uPlot.iife.min.js", "/assets/vendor/uPlot.min.css", "/assets/vendor/uPlot.LICENSE"} {
		r := get(t, ts, p)
		if r.status != 200 || len(r.body) < 100 {
			t.Errorf("%s: status %d, %d bytes", p, r.status, len(r.body))
		}
	}
	if r := get(t, ts, "/assets/vendor/uPlot.LICENSE"); !strings.Contains(r.body, "MIT License") {
		t.Error("uPlot's licence is not embedded")
	}
	js := get(t, ts, "/assets/app.js")
	tag := js.header.Get("ETag")
	if tag == "" || js.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("app.js: ETag %q, Cache-Control %q", tag, js.header.Get("Cache-Control"))
	}
	wantStatus(t, get(t, ts, "/assets/app.js", "If-None-Match", tag), http.StatusNotModified)
	for _, p := range []string{"/nothing-here", "/assets/", "/assets/vendor/", "/assets/index.html"} {
		wantStatus(t, get(t, ts, p), 404) // no directory listings
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts := panel(t, newFake(), web.Options{})
	for _, p := range []string{"/", "/stats/requests", "/assets/app.js", "/nothing-here"} {
		r := get(t, ts, p)
		h := r.header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: X-Content-Type-Options %q, X-Frame-Options %q", p, h.Get("X-Content-Type-Options"), h.Get("X-Frame-Options"))
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{Login: "ada:s3cret:with-colon"})
	for _, p := range []string{"/", "/stats/requests", "/metrics", "/assets/app.js", "/api/info", "/stop"} {
		r := get(t, ts, p)
		wantStatus(t, r, 401)
		if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), `Basic realm="jsload"`) {
			t.Errorf("%s: WWW-Authenticate %q", p, r.header.Get("WWW-Authenticate"))
		}
	}
	if f.stops != 0 {
		t.Error("an unauthenticated /stop stopped the test")
	}
	auth := func(user, pass string) string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(user, pass)
		return req.Header.Get("Authorization")
	}
	wantStatus(t, get(t, ts, "/stats/requests", "Authorization", auth("ada", "wrong")), 401)
	wantStatus(t, get(t, ts, "/stats/requests", "Authorization", auth("bob", "s3cret:with-colon")), 401)
	wantStatus(t, get(t, ts, "/stats/requests", "Authorization", auth("ada", "s3cret:with-colon")), 200)
	r := postForm(t, ts, "/swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"1"}}, "Authorization", auth("ada", "s3cret:with-colon"))
	wantStatus(t, r, 200)
}

func TestCrossSiteRequestsAreRefused(t *testing.T) {
	t.Parallel()
	f := newFake().running()
	ts := panel(t, f, web.Options{})
	self := ts.URL
	form := url.Values{"user_count": {"1000"}, "spawn_rate": {"100"}}
	refused := []struct {
		name string
		do   func() reply
	}{
		{"POST /swarm, other Origin", func() reply { return postForm(t, ts, "/swarm", form, "Origin", "http://evil.example") }},
		{"POST /swarm, other port", func() reply {
			return postForm(t, ts, "/swarm", form, "Origin", "http://127.0.0.1:1")
		}},
		{"POST /swarm, null Origin", func() reply { return postForm(t, ts, "/swarm", form, "Origin", "null") }},
		{"POST /swarm, Sec-Fetch-Site", func() reply {
			return postForm(t, ts, "/swarm", form, "Sec-Fetch-Site", "cross-site", "Origin", self)
		}},
		{"POST /swarm, other Referer", func() reply {
			return postForm(t, ts, "/swarm", form, "Referer", "https://evil.example/page")
		}},
		{"GET /stop, other Referer", func() reply { return get(t, ts, "/stop", "Referer", "http://evil.example/") }},
		{"GET /stop, Sec-Fetch-Site", func() reply { return get(t, ts, "/stop", "Sec-Fetch-Site", "cross-site") }},
		{"GET /stats/reset, other Origin", func() reply { return get(t, ts, "/stats/reset", "Origin", "http://evil.example") }},
		// An <img> on a page served from another port of this host: no
		// Origin, no Referer (referrerpolicy=no-referrer), same-site.
		{"GET /stop, same-site", func() reply { return get(t, ts, "/stop", "Sec-Fetch-Site", "same-site") }},
		{"GET /stats/reset, same-site", func() reply { return get(t, ts, "/stats/reset", "Sec-Fetch-Site", "same-site") }},
		{"POST /swarm, same-site", func() reply { return postForm(t, ts, "/swarm", form, "Sec-Fetch-Site", "same-site") }},
		{"POST /stop, same-site with the panel's Origin", func() reply {
			return call(t, ts, "POST", "/stop", nil, "", "Sec-Fetch-Site", "same-site", "Origin", self)
		}},
		{"GET /stop, unknown Sec-Fetch-Site", func() reply { return get(t, ts, "/stop", "Sec-Fetch-Site", "other") }},
		{"POST /stop, other Origin", func() reply {
			return call(t, ts, "POST", "/stop", nil, "", "Origin", "http://evil.example")
		}},
	}
	for _, c := range refused {
		r := c.do()
		if r.status != 403 {
			t.Errorf("%s: status %d, want 403", c.name, r.status)
			continue
		}
		if m := r.json(t); m["success"] != false || !strings.Contains(m["message"].(string), "cross-site request refused") {
			t.Errorf("%s: answer %v", c.name, m)
		}
	}
	if _, n := f.lastStart(); n != 0 || f.stops != 0 || f.resets != 0 {
		t.Fatalf("a cross-site request got through: %d starts, %d stops, %d resets", n, f.stops, f.resets)
	}
	// Reads are not refused: the browser keeps their answers from other sites.
	wantStatus(t, get(t, ts, "/stats/requests", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"), 200)

	// The panel's own requests, and clients that send none of the headers.
	wantStatus(t, postForm(t, ts, "/swarm", form, "Origin", self, "Sec-Fetch-Site", "same-origin"), 200)
	wantStatus(t, postForm(t, ts, "/swarm", form, "Referer", self+"/#charts"), 200)
	wantStatus(t, postForm(t, ts, "/swarm", form), 200)
	wantStatus(t, get(t, ts, "/stats/reset", "Referer", self+"/"), 200)
	wantStatus(t, call(t, ts, "POST", "/stop", nil, "", "Origin", self), 200)
	// The user typing /stop into the address bar (Locust's GET /stop).
	wantStatus(t, get(t, ts, "/stop", "Sec-Fetch-Site", "none"), 200)
	wantStatus(t, get(t, ts, "/stats/reset", "Sec-Fetch-Site", "same-origin", "Origin", self), 200)
	if _, n := f.lastStart(); n != 3 || f.stops != 2 || f.resets != 2 {
		t.Errorf("same-origin requests: %d starts, %d stops, %d resets, want 3, 2, 2", n, f.stops, f.resets)
	}
}

func TestHostHeaderOnLoopback(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{Addr: "127.0.0.1:8089"})
	for _, h := range []string{"localhost:8089", "127.0.0.1:8089", "[::1]:8089", "localhost"} {
		wantStatus(t, get(t, ts, "/stats/requests", "Host", h), 200)
	}
	// DNS rebinding: a page of evil.example whose name now resolves to
	// 127.0.0.1 is "same-origin" with itself.
	r := postForm(t, ts, "/swarm", url.Values{"user_count": {"5"}, "spawn_rate": {"1"}},
		"Host", "evil.example:8089", "Origin", "http://evil.example:8089")
	wantStatus(t, r, http.StatusMisdirectedRequest)
	wantStatus(t, get(t, ts, "/stats/requests", "Host", "evil.example:8089"), http.StatusMisdirectedRequest)
	if _, n := f.lastStart(); n != 0 {
		t.Error("the rebinding request started a test")
	}
	// Listening on every interface, names are not known: any Host goes.
	open := panel(t, f, web.Options{Addr: "0.0.0.0:8089"})
	wantStatus(t, get(t, open, "/stats/requests", "Host", "loadbox.internal:8089"), 200)
	// With a login (a reverse proxy's name, say), the credentials decide.
	withLogin := panel(t, f, web.Options{Addr: "127.0.0.1:8089", Login: "a:b"})
	wantStatus(t, get(t, withLogin, "/stats/requests", "Host", "loadtest.example.com"), 401)
	wantStatus(t, get(t, withLogin, "/stats/requests", "Host", "loadtest.example.com", "Authorization", "Basic YTpi"), 200)
}

func TestNewChecksOptions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		o    web.Options
		want string
	}{
		{web.Options{Login: "nocolon"}, "--web-login must be USER:PASSWORD"},
		{web.Options{Login: ":pw"}, "--web-login must be USER:PASSWORD"},
		{web.Options{Login: "user:"}, "--web-login must be USER:PASSWORD"},
		{web.Options{Addr: "localhost"}, "web panel address"},
		{web.Options{Addr: "127.0.0.1:http"}, "--web-port must be a number"},
		{web.Options{Addr: "127.0.0.1:70000"}, "--web-port must be a number"},
	} {
		_, err := web.New(newFake(), c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v): %v, want an error containing %q", c.o, err, c.want)
		}
		if err != nil && c.o.Login != "" && strings.Contains(err.Error(), c.o.Login) && c.o.Login != "nocolon" {
			t.Errorf("the error repeats the login: %v", err)
		}
	}
	if _, err := web.New(newFake(), web.Options{}); err != nil {
		t.Errorf("default options: %v", err)
	}
	// --web-host '*' is every interface, as with Locust: any Host header
	// goes (no loopback check).
	ts := panel(t, newFake(), web.Options{Addr: "*:8089"})
	wantStatus(t, get(t, ts, "/stats/requests", "Host", "loadbox.internal:8089"), 200)
}

func TestListenAndServe(t *testing.T) {
	t.Parallel()
	s, err := web.New(newFake(), web.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, func(u string) { urls <- u }) }()
	var u string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("ready was not called")
	}
	if !strings.HasPrefix(u, "http://127.0.0.1:") || strings.HasSuffix(u, ":0") {
		t.Fatalf("url %q", u)
	}
	res, err := http.Get(u + "/stats/requests")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("status %d", res.StatusCode)
	}

	// A second panel on the same port says the port is busy.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(u, "http://"))
	s2, _ := web.New(newFake(), web.Options{Addr: "127.0.0.1:" + port})
	err = s2.ListenAndServe(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--web-port") {
		t.Errorf("busy port: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return after cancel")
	}
}

// clusterFake is a controller of a distributed test.
type clusterFake struct {
	*fakeController
	workers []web.Worker
}

func (c clusterFake) Workers() []web.Worker { return c.workers }

func TestStatsRequestsWorkers(t *testing.T) {
	t.Parallel()
	// A local test has no workers fields.
	j := get(t, panel(t, newFake(), web.Options{}), "/stats/requests").json(t)
	if _, ok := j["workers"]; ok {
		t.Errorf("a local test lists workers: %v", j["workers"])
	}
	c := clusterFake{newFake().running(), []web.Worker{
		{ID: "a_1", Host: "h1", State: "running", UserCount: 13, CPUUsage: 41.5},
		{ID: "b_2", Host: "h2", State: "missing", UserCount: 12},
	}}
	j = get(t, panel(t, c, web.Options{}), "/stats/requests").json(t)
	ws, _ := j["workers"].([]any)
	if len(ws) != 2 || j["worker_count"] != 1.0 {
		t.Fatalf("workers %v, worker_count %v: want 2 listed, 1 counted (one missing)", j["workers"], j["worker_count"])
	}
	w := ws[0].(map[string]any)
	if w["id"] != "a_1" || w["state"] != "running" || w["user_count"] != 13.0 || w["cpu_usage"] != 41.5 || w["host"] != "h1" {
		t.Errorf("worker %v", w)
	}
	page := get(t, panel(t, c, web.Options{}), "/").body
	if !strings.Contains(page, `id="view-workers"`) {
		t.Error("the page has no Workers view")
	}
}

// GET /tasks answers as Locust's: each class's share of the running users
// (not its weight), each task's share of its class's picks, and of all.
func TestTasks(t *testing.T) {
	t.Parallel()
	f := newFake().running()
	ts := panel(t, f, web.Options{})
	var got map[string]map[string]map[string]any
	r := get(t, ts, "/tasks")
	wantStatus(t, r, 200)
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	if got["per_class"]["Shopper"]["ratio"] != 0.0 || len(got["user_counts"]) != 0 {
		t.Errorf("no users counted: %v", got)
	}
	// 1 of 10 users is of the fixed-count class, as in the issue.
	f.mu.Lock()
	f.counts = map[string]int{"Admin": 1, "Shopper": 6, "Visitor": 3}
	f.mu.Unlock()
	r = get(t, ts, "/tasks")
	var m struct {
		PerClass map[string]struct {
			Ratio float64
			Tasks map[string]struct{ Ratio float64 }
		} `json:"per_class"`
		Total map[string]struct {
			Ratio float64
			Tasks map[string]struct{ Ratio float64 }
		} `json:"total"`
		UserCounts map[string]int `json:"user_counts"`
	}
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatal(err)
	}
	if m.PerClass["Admin"].Ratio != 0.1 || m.PerClass["Shopper"].Ratio != 0.6 || m.PerClass["Visitor"].Ratio != 0.3 {
		t.Errorf("per_class ratios %+v", m.PerClass)
	}
	if m.PerClass["Shopper"].Tasks["browse"].Ratio != 0.75 || m.Total["Shopper"].Tasks["browse"].Ratio != 0.6*0.75 {
		t.Errorf("browse: per class %v, total %v", m.PerClass["Shopper"].Tasks["browse"], m.Total["Shopper"].Tasks["browse"])
	}
	if m.UserCounts["Shopper"] != 6 {
		t.Errorf("user_counts %v", m.UserCounts)
	}
}

// The names of Locust's API, from a fixture written from its source: each
// answer has every field Locust's has.
func TestLocustFieldNames(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/locust_api_fields.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx map[string]any
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	names := func(k string) []string {
		var l []string
		for _, v := range fx[k].([]any) {
			l = append(l, v.(string))
		}
		if len(l) == 0 {
			t.Fatalf("fixture: no names in %s", k)
		}
		return l
	}
	has := func(what string, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s has no %q: %v", what, k, m)
			}
		}
	}
	f := newFake().running()
	f.counts = map[string]int{"Shopper": 3}
	ts := panel(t, f, web.Options{})
	j := get(t, ts, "/stats/requests").json(t)
	has("/stats/requests", j, names("stats_requests")...)
	has("current_response_time_percentiles", j["current_response_time_percentiles"].(map[string]any), names("current_response_time_percentiles")...)
	rows := j["stats"].([]any)
	for _, r := range rows {
		has("a row of /stats/requests", r.(map[string]any), append(names("stats_row"), names("stats_row_locust_2_12")...)...)
	}
	if m := rows[len(rows)-1].(map[string]any)["method"]; m != fx["aggregated_method"] {
		t.Errorf("Aggregated method %#v, Locust's %#v", m, fx["aggregated_method"])
	}
	for _, e := range j["errors"].([]any) {
		has("an error of /stats/requests", e.(map[string]any), names("error_row")...)
	}
	c := clusterFake{newFake().running(), []web.Worker{{ID: "a_1", Host: "h1", State: "running", UserCount: 3}}}
	jc := get(t, panel(t, c, web.Options{}), "/stats/requests").json(t)
	has("a distributed /stats/requests", jc, names("stats_requests_distributed")...)
	has("a worker", jc["workers"].([]any)[0].(map[string]any), names("worker")...)

	sw := postForm(t, ts, "/swarm", url.Values{"user_count": {"3"}, "spawn_rate": {"1"}, "run_time": {"1m"}}).json(t)
	has("/swarm", sw, append(names("swarm"), names("swarm_with_run_time")...)...)
	ex := get(t, ts, "/exceptions").json(t)
	has("/exceptions", ex, names("exceptions")...)
	for _, e := range ex["exceptions"].([]any) {
		has("an exception", e.(map[string]any), names("exception_row")...)
	}
	tk := get(t, ts, "/tasks").json(t)
	has("/tasks", tk, names("tasks")...)
	cl := tk["per_class"].(map[string]any)["Shopper"].(map[string]any)
	has("a class of /tasks", cl, names("tasks_class")...)
	has("a task of /tasks", cl["tasks"].(map[string]any)["browse"].(map[string]any), names("tasks_task")...)
	lg := get(t, ts, "/logs").json(t)
	has("/logs", lg, names("logs")...)
	if l := lg["master"].([]any); len(l) != 2 || l[1] != "[2026-01-02 15:04:06] WARNING: something to see" {
		t.Errorf("/logs master %v", l)
	}
}

// Locust's full history download: 404 without --csv-full-history, else
// the history file up to its last complete line.
func TestFullHistoryCSV(t *testing.T) {
	t.Parallel()
	f := newFake().running()
	ts := panel(t, f, web.Options{})
	r := get(t, ts, "/stats/requests_full_history/csv")
	wantStatus(t, r, 404)
	if !strings.Contains(r.body, "--csv-full-history") {
		t.Errorf("answer %q", r.body)
	}
	if get(t, ts, "/api/info").json(t)["full_history"] != false {
		t.Error("full_history offered without the option")
	}
	f.mu.Lock()
	f.histOn = true
	f.mu.Unlock()
	wantStatus(t, get(t, ts, "/stats/requests_full_history/csv"), 404) // no test yet
	p := t.TempDir() + "/h.csv"
	os.WriteFile(p, []byte("Timestamp,User Count\n1,2\n3,"), 0o644)
	f.mu.Lock()
	f.histPath = p
	f.mu.Unlock()
	r = get(t, ts, "/stats/requests_full_history/csv")
	wantStatus(t, r, 200)
	if r.body != "Timestamp,User Count\n1,2\n" || !strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="jsload_requests_full_history_`) {
		t.Errorf("download %q, %q", r.body, r.header.Get("Content-Disposition"))
	}
	if get(t, ts, "/api/info").json(t)["full_history"] != true {
		t.Error("full_history not offered with the option")
	}
}

func TestFavicon(t *testing.T) {
	t.Parallel()
	r := get(t, panel(t, newFake(), web.Options{}), "/favicon.ico")
	wantStatus(t, r, 200)
	if r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(r.body, "<svg") {
		t.Errorf("favicon %q %q", r.header.Get("Content-Type"), r.body)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jsload test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = dir+"/cert.pem", dir+"/key.pem"
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

// --web-tls-cert/--web-tls-key: the panel answers over HTTPS, its URL says
// so, and a plain HTTP request is not served the panel.
func TestListenAndServeTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	for _, c := range []struct {
		o    web.Options
		want string
	}{
		{web.Options{TLSCert: cert}, "--web-tls-cert needs --web-tls-key"},
		{web.Options{TLSKey: key}, "--web-tls-key needs --web-tls-cert"},
		{web.Options{TLSCert: key, TLSKey: key}, "--web-tls-cert " + key},
	} {
		if _, err := web.New(newFake(), c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v): %v, want %q", c.o, err, c.want)
		}
	}
	s, err := web.New(newFake(), web.Options{Addr: "127.0.0.1:0", TLSCert: cert, TLSKey: key, Login: "ada:pw"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, func(u string) { urls <- u }) }()
	var u string
	select {
	case u = <-urls:
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("ready was not called")
	}
	if !strings.HasPrefix(u, "https://127.0.0.1:") {
		t.Fatalf("url %q", u)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", u+"/stats/requests", nil)
	req.SetBasicAuth("ada", "pw")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.TLS == nil {
		t.Errorf("status %d over TLS %v", res.StatusCode, res.TLS != nil)
	}
	plain, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + strings.TrimPrefix(u, "https://") + "/stats/requests")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == 200 {
			t.Error("plain HTTP was served")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the panel did not shut down")
	}
}

// GET /api/history/earlier: the earlier tests' points, oldest first.
func TestEarlierHistories(t *testing.T) {
	t.Parallel()
	f := newFake()
	ts := panel(t, f, web.Options{})
	var got struct{ Runs [][]map[string]any }
	r := get(t, ts, "/api/history/earlier")
	wantStatus(t, r, 200)
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || len(got.Runs) != 0 || !strings.Contains(r.body, `"runs":[]`) {
		t.Fatalf("before any test: %s (%v)", r.body, err)
	}
	f.fillOnStart = true
	for i := 0; i < 3; i++ {
		f.Start(web.StartRequest{Users: 10, SpawnRate: 1})
		f.Stop()
	}
	r = get(t, ts, "/api/history/earlier")
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Runs) != 2 || len(got.Runs[0]) != 20 || got.Runs[1][0]["users"] != 1.0 {
		t.Errorf("earlier runs: %d runs, %s", len(got.Runs), r.body[:min(len(r.body), 300)])
	}
	for _, k := range []string{"time", "users", "rps", "failures_per_s", "p50_ms", "p95_ms", "p99_ms"} {
		if _, ok := got.Runs[0][0][k]; !ok {
			t.Errorf("a point has no %q", k)
		}
	}
}
