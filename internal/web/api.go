package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/output/csvout"
	"github.com/jsload/jsload/internal/output/prom"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
)

// maxForm bounds the body of a control request.
const maxForm = 64 << 10

// maxRows is how many statistics rows and error groups /stats/requests
// returns at most (plus the Aggregated row), as Locust does, so that a
// script with unbounded request names cannot make the panel unusable.
const maxRows = 500

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static := http.FileServerFS(assets())
	mux.HandleFunc("GET /{$}", s.index)
	mux.Handle("GET /assets/", http.StripPrefix("/assets", noCache(static)))

	mux.HandleFunc("POST /swarm", s.swarm)
	mux.HandleFunc("GET /stop", s.stop)
	mux.HandleFunc("POST /stop", s.stop)
	mux.HandleFunc("GET /stats/reset", s.reset)
	mux.HandleFunc("POST /stats/reset", s.reset)

	mux.HandleFunc("GET /stats/requests", s.requests)
	mux.HandleFunc("GET /stats/requests/csv", s.csv("requests", csvout.StatsCSV))
	mux.HandleFunc("GET /stats/failures/csv", s.csv("failures", csvout.FailuresCSV))
	mux.HandleFunc("GET /stats/requests_full_history/csv", s.fullHistory)
	mux.HandleFunc("GET /favicon.ico", s.favicon)
	mux.HandleFunc("GET /exceptions", s.exceptions)
	mux.HandleFunc("GET /exceptions/csv", s.csv("exceptions", csvout.ExceptionsCSV))
	mux.HandleFunc("GET /report", s.report)
	mux.HandleFunc("GET /stats/report", s.report)

	reg := prometheus.NewRegistry()
	reg.MustRegister(prom.NewCollector(s.ctl.Snapshot))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))

	mux.HandleFunc("GET /tasks", s.tasks)
	mux.HandleFunc("GET /logs", s.logs)
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /api/history", s.history)
	mux.HandleFunc("GET /api/history/earlier", s.earlier)
	return s.secure(mux)
}

// noCache serves the embedded files for revalidation on every load, and no
// directory listings.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") || strings.HasSuffix(r.URL.Path, "/index.html") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		if tag, ok := etags[strings.TrimPrefix(r.URL.Path, "/")]; ok {
			w.Header().Set("ETag", tag) // FileServer answers If-None-Match with 304
		}
		h.ServeHTTP(w, r)
	})
}

// etags holds a content hash of every embedded file, by path under assets/.
var etags = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets(), p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return m
}()

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	b, err := assetFS.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

// writeJSON writes v as the JSON answer, never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "encoding JSON: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// result is the answer of Locust's control endpoints.
type result struct {
	Success bool     `json:"success"`
	Message string   `json:"message"`
	Host    string   `json:"host,omitempty"`
	RunTime *float64 `json:"run_time,omitempty"` // seconds, when POST /swarm gave one
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, result{Success: false, Message: msg})
}

// swarm starts a test, or changes the running one's users and spawn rate
// (POST /swarm, Locust's form fields).
func (s *Server) swarm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseMultipartForm(maxForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		jsonError(w, http.StatusBadRequest, "reading the form: "+err.Error())
		return
	}
	info := s.ctl.Info()
	scripted := info.Plan.Kind != "" && info.Plan.Kind != "users"
	req, err := parseSwarm(r.PostForm, scripted, info.Params)
	if err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.ctl.Start(req); err != nil {
		jsonError(w, http.StatusBadRequest, err.Error())
		return
	}
	// The host of the test as it runs now: a controller that kept the old
	// host during a run must not be answered with the one asked for.
	res := result{Success: true, Message: "Swarming started", Host: s.ctl.Info().Host}
	if scripted {
		res.Message = "Swarming started using the script's " + planName(info.Plan.Kind)
	}
	if req.RunTime > 0 {
		sec := req.RunTime.Seconds()
		res.RunTime = &sec
	}
	writeJSON(w, http.StatusOK, res)
}

// planName names a load plan the script sets.
func planName(kind string) string {
	switch kind {
	case "shape":
		return "shape()"
	case "stages":
		return "stages"
	case "arrival":
		return "arrival rate"
	}
	return kind
}

// parseSwarm reads the fields of POST /swarm. Errors name the field and
// say what it takes. With scripted (the script sets its own load),
// user_count and spawn_rate are not needed, and ignored. The script's
// parameters are fields named as declared (pageSize) or as their flag
// (page-size), as Locust's form sends custom arguments by name; the
// controller checks their values.
func parseSwarm(f url.Values, scripted bool, params []ParamInfo) (StartRequest, error) {
	var req StartRequest
	if !scripted {
		if err := parseUsers(f, &req); err != nil {
			return req, err
		}
	}
	if h := strings.TrimSpace(f.Get("host")); h != "" {
		u, err := url.Parse(h)
		switch {
		case err != nil:
			return req, fmt.Errorf("host %q is not a URL", h)
		case u.Scheme != "http" && u.Scheme != "https":
			return req, fmt.Errorf("host %q must start with http:// or https://", h)
		case u.Host == "":
			return req, fmt.Errorf("host %q has no host name", h)
		}
		req.Host = h
	}

	if rt := strings.TrimSpace(f.Get("run_time")); rt != "" {
		d, err := config.ParseDuration(rt)
		if err != nil {
			return req, fmt.Errorf("run_time %q is not a duration: use e.g. 20, 20s, 3m, 2h, 1h20m or 3h30m10s", rt)
		}
		if d < 0 {
			return req, fmt.Errorf("run_time must not be negative, got %q", rt)
		}
		req.RunTime = d
	}

	for _, c := range f["user_classes"] {
		if c = strings.TrimSpace(c); c != "" {
			req.UserClasses = append(req.UserClasses, c)
		}
	}
	for _, p := range params {
		for _, key := range []string{p.Name, p.Flag} {
			if v, ok := f[key]; ok && len(v) > 0 {
				if req.Params == nil {
					req.Params = map[string]string{}
				}
				req.Params[p.Name] = strings.TrimSpace(v[0])
				break
			}
		}
	}
	return req, nil
}

func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	s.ctl.Stop()
	writeJSON(w, http.StatusOK, result{Success: true, Message: "Test stopped"})
}

// reset answers "ok", as Locust's /stats/reset does.
func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	s.ctl.Reset()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok"))
}

// snapshot returns the controller's snapshot, or an empty one.
func (s *Server) snapshot() *stats.Snapshot {
	if snap := s.ctl.Snapshot(); snap != nil {
		if snap.Total == nil {
			cp := *snap
			cp.Total = &stats.Row{Key: stats.Key{Name: "Aggregated"}, Hist: &stats.Histogram{}}
			for _, r := range cp.Rows {
				cp.Total.Merge(r)
			}
			return &cp
		}
		return snap
	}
	now := time.Now()
	return &stats.Snapshot{Start: now, Time: now, Total: &stats.Row{Key: stats.Key{Name: "Aggregated"}, Hist: &stats.Histogram{}}}
}

// statRow is one row of /stats/requests, with today's Locust's field names
// (StatsEntry.to_dict) and the ninetieth/ninety_ninth fields of Locust 2.x
// before it. The Aggregated row's method is "", as Locust's today.
type statRow struct {
	Method            string  `json:"method"`
	Name              string  `json:"name"`
	SafeName          string  `json:"safe_name"`
	NumRequests       int64   `json:"num_requests"`
	NumFailures       int64   `json:"num_failures"`
	AvgResponseTime   float64 `json:"avg_response_time"`
	MinResponseTime   int64   `json:"min_response_time"`
	MaxResponseTime   int64   `json:"max_response_time"`
	MedianResponse    int64   `json:"median_response_time"`
	Ninetieth         int64   `json:"ninetieth_response_time"`
	NinetyNinth       int64   `json:"ninety_ninth_response_time"`
	AvgContentLength  float64 `json:"avg_content_length"`
	CurrentRPS        float64 `json:"current_rps"`
	CurrentFailPerSec float64 `json:"current_fail_per_sec"`
	// Whole-run averages, as Locust's: requests (failures) divided by the
	// time from the start of the statistics to the last request of any row.
	TotalRPS        float64 `json:"total_rps"`
	TotalFailPerSec float64 `json:"total_fail_per_sec"`
	// Percentile columns as Locust 2.x names them.
	P95 int64 `json:"response_time_percentile_0.95"`
	P99 int64 `json:"response_time_percentile_0.99"`
}

// thresholdJSON is a threshold's result in /stats/requests.
type thresholdJSON struct {
	Name        string `json:"name"`
	Expr        string `json:"expr"`
	AbortOnFail bool   `json:"abort_on_fail"`
	Measured    string `json:"measured"`
	Passed      bool   `json:"passed"`
	NoData      bool   `json:"no_data"`
}

type errorRow struct {
	Method      string `json:"method"`
	Name        string `json:"name"`
	Error       string `json:"error"`
	Occurrences int64  `json:"occurrences"`
}

// requestsReport is GET /stats/requests: Locust's fields, then jsload's
// own (host, exception_count) that the panel shows.
//
// Locust's top-level total_rps and total_fail_per_sec are the Aggregated
// row's current rates (not its whole-run total_rps): so are jsload's, and
// current_rps and current_fail_per_sec repeat them under their plain names.
type requestsReport struct {
	State          string             `json:"state"`
	UserCount      int                `json:"user_count"`
	TotalRPS       float64            `json:"total_rps"`
	TotalFailRate  float64            `json:"total_fail_per_sec"`
	CurrentRPS     float64            `json:"current_rps"`
	CurrentFail    float64            `json:"current_fail_per_sec"`
	FailRatio      float64            `json:"fail_ratio"`
	CurrentPcts    map[string]float64 `json:"current_response_time_percentiles"`
	CurrentP50     float64            `json:"current_response_time_percentile_50"`
	CurrentP95     float64            `json:"current_response_time_percentile_95"`
	TotalAvg       float64            `json:"total_avg_response_time"`
	Stats          []statRow          `json:"stats"`
	Errors         []errorRow         `json:"errors"`
	Host           string             `json:"host"`
	ExceptionCount int                `json:"exception_count"`
	// The thresholds' results so far (jsload's own; none without).
	Thresholds []thresholdJSON `json:"thresholds,omitempty"`
	// Distributed tests only, as Locust's master.
	Workers     []Worker `json:"workers,omitempty"`
	WorkerCount *int     `json:"worker_count,omitempty"`
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// ms is d in whole milliseconds, as Locust reports them, by the one
// rounding rule of every time column (stats.RoundMS: to the nearest, halves
// to even), so that min <= percentiles <= max here as in the console.
func ms(d time.Duration) int64 { return stats.RoundMS(d) }

func round(v float64, places int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func toStatRow(r *stats.Row, now, start, last time.Time) statRow {
	// A rate over less than a second is not one: 0, as in the CSV files.
	rps, fps := r.CurrentRate(now, start).Or0()
	var trps, tfps float64
	if el := last.Sub(start).Seconds(); el > 0 && !last.IsZero() {
		trps, tfps = float64(r.Requests)/el, float64(r.Failures)/el
	}
	row := statRow{
		Method:            r.Type,
		Name:              r.Name,
		SafeName:          htmlEscaper.Replace(r.Name),
		NumRequests:       r.Requests,
		NumFailures:       r.Failures,
		AvgResponseTime:   round(r.AvgMS(), 3),
		MinResponseTime:   ms(r.Min),
		MaxResponseTime:   ms(r.Max),
		MedianResponse:    ms(r.Median()),
		Ninetieth:         ms(r.Percentile(0.90)),
		NinetyNinth:       ms(r.Percentile(0.99)),
		AvgContentLength:  round(r.AvgSize(), 3),
		CurrentRPS:        round(rps, 3),
		CurrentFailPerSec: round(fps, 3),
		TotalRPS:          round(trps, 3),
		TotalFailPerSec:   round(tfps, 3),
		P95:               ms(r.Percentile(0.95)),
		P99:               ms(r.Percentile(0.99)),
	}
	return row
}

func (s *Server) requests(w http.ResponseWriter, r *http.Request) {
	snap := s.snapshot()
	now := snap.Time
	if now.IsZero() {
		now = time.Now()
	}
	rep := requestsReport{
		State:          s.ctl.State().String(),
		UserCount:      snap.Users,
		Stats:          []statRow{},
		Errors:         []errorRow{},
		Host:           s.ctl.Info().Host,
		ExceptionCount: len(snap.Exceptions),
	}
	for i, row := range snap.Rows {
		if i == maxRows {
			break
		}
		rep.Stats = append(rep.Stats, toStatRow(row, now, snap.Start, snap.Total.Last))
	}
	total := toStatRow(snap.Total, now, snap.Start, snap.Total.Last)
	total.Method = ""
	rep.Stats = append(rep.Stats, total)
	for i, f := range snap.Failures {
		if i == maxRows {
			break
		}
		rep.Errors = append(rep.Errors, errorRow{f.Type, f.Name, f.Error, f.Count})
	}
	rep.TotalRPS = total.CurrentRPS
	rep.TotalFailRate = total.CurrentFailPerSec
	rep.FailRatio = round(snap.Total.FailRatio(), 6)
	rep.TotalAvg = total.AvgResponseTime
	rep.CurrentRPS, rep.CurrentFail = total.CurrentRPS, total.CurrentFailPerSec
	rep.CurrentP50, rep.CurrentP95 = s.currentPercentiles(snap)
	// Locust's PERCENTILES_TO_CHART, 0.5 and 0.95.
	rep.CurrentPcts = map[string]float64{"response_time_percentile_0.5": rep.CurrentP50, "response_time_percentile_0.95": rep.CurrentP95}
	if ts, ok := s.ctl.(ThresholdSource); ok {
		for _, t := range ts.ThresholdResults() {
			rep.Thresholds = append(rep.Thresholds, thresholdJSON{t.Name, t.Expr, t.AbortOnFail, t.Measured, t.Passed, t.NoData})
		}
	}
	if wl, ok := s.ctl.(WorkerLister); ok {
		if ws := wl.Workers(); ws != nil {
			n := 0
			for _, w := range ws {
				if w.State != "missing" {
					n++
				}
			}
			rep.Workers, rep.WorkerCount = ws, &n
		}
	}
	writeJSON(w, http.StatusOK, rep)
}

// currentPercentiles are the median and 95th percentile of the recent
// response times: the history's latest point while it is fresh, else the
// run's.
func (s *Server) currentPercentiles(snap *stats.Snapshot) (p50, p95 float64) {
	if h := s.ctl.History(); h != nil && h.Len() > 0 {
		pts := h.Points(time.Unix(0, 0))
		last := pts[len(pts)-1]
		at := time.Unix(0, int64(last.Elapsed*1e9))
		if snap.Time.Sub(at) <= 3*time.Second && !at.Before(snap.Start) {
			return math.RoundToEven(last.P50), math.RoundToEven(last.P95)
		}
	}
	if snap.Total.Requests == 0 {
		return 0, 0
	}
	return float64(ms(snap.Total.Median())), float64(ms(snap.Total.Percentile(0.95)))
}

// exceptionRow is one group of /exceptions, with Locust's field names plus
// the source position.
type exceptionRow struct {
	Count     int64  `json:"count"`
	Msg       string `json:"msg"`
	Traceback string `json:"traceback"`
	Nodes     string `json:"nodes"`
	Position  string `json:"position"`
}

func (s *Server) exceptions(w http.ResponseWriter, r *http.Request) {
	snap := s.snapshot()
	out := struct {
		Exceptions []exceptionRow `json:"exceptions"`
	}{Exceptions: []exceptionRow{}}
	for _, x := range snap.Exceptions {
		tb := x.Traceback
		if tb == "" {
			tb = x.Position
		}
		out.Exceptions = append(out.Exceptions, exceptionRow{x.Count, x.Message, tb, "local", x.Position})
	}
	writeJSON(w, http.StatusOK, out)
}

// csv serves one of Locust's CSV files as a download.
func (s *Server) csv(what string, render func(*stats.Snapshot) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := render(s.snapshot())
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", s.fileName(what, "csv")))
		w.Write([]byte(body))
	}
}

// fileName is a download's name: jsload_<what>_<time>.<ext>, as Locust
// names its downloads with the script's name and the time.
func (s *Server) fileName(what, ext string) string {
	return fmt.Sprintf("jsload_%s_%s.%s", what, time.Now().Format("20060102_150405"), ext)
}

// report serves the HTML report of the current or last test: inline, or as
// a download with ?download=1.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	sum := s.ctl.Summary()
	if sum == nil {
		info := s.ctl.Info()
		snap := s.snapshot()
		sum = report.Build(report.Meta{Script: info.Script, Host: info.Host, Version: s.opts.Version, Users: snap.Users},
			snap, s.ctl.History(), nil)
	}
	if st := s.ctl.State(); st == engine.Spawning || st == engine.Running {
		// Not finished: the report must not say how it finished.
		cp := *sum
		cp.Meta.Running = true
		sum = &cp
	}
	var b bytes.Buffer
	if err := report.WriteHTML(&b, sum); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", reportCSP)
	if v := r.URL.Query().Get("download"); v != "" && v != "0" && v != "false" {
		h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", s.fileName("report", "html")))
	}
	w.Write(b.Bytes())
}

// infoJSON is GET /api/info: the start form's defaults and the script's
// user classes.
type infoJSON struct {
	Script    string      `json:"script"`
	Host      string      `json:"host"`
	Users     int         `json:"users"`
	SpawnRate float64     `json:"spawn_rate"`
	RunTime   string      `json:"run_time"` // "" for none, else like "1h2m3s"
	Version   string      `json:"version"`
	Classes   []classJSON `json:"user_classes"`
	// FullHistory: GET /stats/requests_full_history/csv has the history
	// (--csv-full-history).
	FullHistory bool            `json:"full_history"`
	Plan        planJSON        `json:"plan"`
	Thresholds  []thresholdInfo `json:"thresholds"`
	// Parameters are the script's custom parameters and their current
	// values; parameters_fixed says why the form cannot change them.
	Parameters      []ParamInfo `json:"parameters"`
	ParametersFixed string      `json:"parameters_fixed,omitempty"`
}

type planJSON struct {
	Kind  string   `json:"kind"` // "users", "shape", "stages" or "arrival"
	Title string   `json:"title"`
	Steps []string `json:"steps"`
}

type thresholdInfo struct {
	Name        string `json:"name"`
	Expr        string `json:"expr"`
	AbortOnFail bool   `json:"abort_on_fail"`
}

type classJSON struct {
	Name       string     `json:"name"`
	Weight     int        `json:"weight"`
	FixedCount int        `json:"fixed_count"`
	Tasks      []taskJSON `json:"tasks"`
}

type taskJSON struct {
	Name   string  `json:"name"`
	Weight int     `json:"weight"`
	Share  float64 `json:"share"`
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	in := s.ctl.Info()
	out := infoJSON{Script: in.Script, Host: in.Host, Users: in.Users, SpawnRate: in.SpawnRate,
		Version: s.opts.Version, Classes: []classJSON{}}
	if in.RunTime > 0 {
		out.RunTime = timespan(in.RunTime)
	}
	if fh, ok := s.ctl.(FullHistorySource); ok {
		_, out.FullHistory = fh.FullHistoryCSV()
	}
	out.Plan = planJSON{Kind: in.Plan.Kind, Title: in.Plan.Title, Steps: in.Plan.Steps}
	if out.Plan.Kind == "" {
		out.Plan.Kind = "users"
	}
	if out.Plan.Steps == nil {
		out.Plan.Steps = []string{}
	}
	out.Thresholds = []thresholdInfo{}
	for _, t := range in.Thresholds {
		out.Thresholds = append(out.Thresholds, thresholdInfo{t.Name, t.Expr, t.AbortOnFail})
	}
	out.Parameters, out.ParametersFixed = in.Params, in.ParamsFixed
	if out.Parameters == nil {
		out.Parameters = []ParamInfo{}
	}
	for i := range out.Parameters {
		if out.Parameters[i].Choices == nil {
			out.Parameters[i].Choices = []string{}
		}
	}
	for _, c := range in.Classes {
		cj := classJSON{Name: c.Name, Weight: c.Weight, FixedCount: c.FixedCount, Tasks: []taskJSON{}}
		for _, t := range c.Tasks {
			cj.Tasks = append(cj.Tasks, taskJSON{t.Name, t.Weight, round(t.Share, 2)})
		}
		out.Classes = append(out.Classes, cj)
	}
	writeJSON(w, http.StatusOK, out)
}

// timespan writes d as Locust's run-time values look: "1h20m", "3m",
// "45s"; fractions of a second as Go writes them.
func timespan(d time.Duration) string {
	if d%time.Second != 0 {
		return d.String()
	}
	var b strings.Builder
	sec := int64(d / time.Second)
	if h := sec / 3600; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m := sec / 60 % 60; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s := sec % 60; s > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

// historyJSON is GET /api/history?after=T: the history's points (with
// "time", Unix seconds, in place of elapsed_s) after time T, and what the
// panel needs to tell whether its copy is still a prefix of the history:
// the first point's time and the number of points.
type historyJSON struct {
	First  float64     `json:"first"`
	Count  int         `json:"count"`
	Points []histPoint `json:"points"`
}

type histPoint struct {
	Time     float64 `json:"time"`
	Users    int     `json:"users"`
	RPS      float64 `json:"rps"`
	FailRate float64 `json:"failures_per_s"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	after := math.Inf(-1)
	if a := r.URL.Query().Get("after"); a != "" {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || math.IsNaN(v) {
			jsonError(w, http.StatusBadRequest, fmt.Sprintf("after must be a time in Unix seconds, got %q", a))
			return
		}
		after = v
	}
	out := historyJSON{Points: []histPoint{}}
	if h := s.ctl.History(); h != nil {
		pts := h.Points(time.Unix(0, 0))
		out.Count = len(pts)
		if len(pts) > 0 {
			out.First = pts[0].Elapsed
		}
		for _, p := range pts {
			if p.Elapsed > after {
				out.Points = append(out.Points, histPoint{p.Elapsed, p.Users, p.RPS, p.FailRate, p.P50, p.P95, p.P99})
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// ratioJSON is one user class or task in GET /tasks: its share ("ratio",
// 0-1) and, for a class, its tasks'.
type ratioJSON struct {
	Ratio float64              `json:"ratio"`
	Tasks map[string]ratioJSON `json:"tasks,omitempty"`
}

// tasksJSON is GET /tasks, as Locust's: per_class gives each class's share
// of the running users and each task's share of its class's picks; total
// gives each task's share of all picks (the class's share times the
// task's). jsload adds user_counts, the running users per class.
type tasksJSON struct {
	PerClass   map[string]ratioJSON `json:"per_class"`
	Total      map[string]ratioJSON `json:"total"`
	UserCounts map[string]int       `json:"user_counts"`
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request) {
	counts := map[string]int{}
	if uc, ok := s.ctl.(UserCounter); ok {
		for k, v := range uc.UserCounts() {
			counts[k] = v
		}
	}
	users := 0
	for _, n := range counts {
		users += n
	}
	if users == 0 {
		users = 1 // as Locust: every class's ratio is then 0
	}
	out := tasksJSON{PerClass: map[string]ratioJSON{}, Total: map[string]ratioJSON{}, UserCounts: counts}
	for _, c := range s.ctl.Info().Classes {
		share := float64(counts[c.Name]) / float64(users)
		per := ratioJSON{Ratio: share, Tasks: map[string]ratioJSON{}}
		tot := ratioJSON{Ratio: share, Tasks: map[string]ratioJSON{}}
		for _, t := range c.Tasks {
			per.Tasks[t.Name] = ratioJSON{Ratio: t.Share / 100}
			tot.Tasks[t.Name] = ratioJSON{Ratio: share * t.Share / 100}
		}
		out.PerClass[c.Name], out.Total[c.Name] = per, tot
	}
	writeJSON(w, http.StatusOK, out)
}

// logs is GET /logs, as Locust's: {"master": [lines], "workers": {id:
// [lines]}}; the workers' logs stay on their machines (empty).
func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Master  []string            `json:"master"`
		Workers map[string][]string `json:"workers"`
	}{Master: []string{}, Workers: map[string][]string{}}
	if ls, ok := s.ctl.(LogSource); ok {
		if l := ls.Logs(); l != nil {
			out.Master = l
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// fullHistory serves the full history CSV (Locust's
// /stats/requests_full_history/csv), up to its last complete line.
func (s *Server) fullHistory(w http.ResponseWriter, r *http.Request) {
	fh, ok := s.ctl.(FullHistorySource)
	path, enabled := "", false
	if ok {
		path, enabled = fh.FullHistoryCSV()
	}
	if !enabled {
		http.Error(w, "Error: Server was not started with option to generate full history (--csv-full-history).", http.StatusNotFound)
		return
	}
	if path == "" {
		http.Error(w, "Error: no test has run yet, so there is no history.", http.StatusNotFound)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		http.Error(w, "Error: reading the history: "+err.Error(), http.StatusInternalServerError)
		return
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1] // a line being written waits for the next download
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", s.fileName("requests_full_history", "csv")))
	w.Write(b)
}

// favicon answers /favicon.ico, which browsers ask for on every page (the
// report, the metrics), with the panel's icon.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := assetFS.ReadFile("assets/favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "max-age=86400")
	w.Write(b)
}

// parseUsers reads user_count and spawn_rate into req.
func parseUsers(f url.Values, req *StartRequest) error {
	uc := strings.TrimSpace(f.Get("user_count"))
	if uc == "" {
		return errors.New("user_count is missing: give the number of users, e.g. user_count=10")
	}
	n, err := strconv.Atoi(uc)
	if err != nil {
		// Locust's panel may send "10.0"; accept whole numbers written so.
		if v, ferr := strconv.ParseFloat(uc, 64); ferr == nil && v == math.Trunc(v) && math.Abs(v) <= config.MaxUsers {
			n, err = int(v), nil
		}
	}
	switch {
	case err != nil:
		return fmt.Errorf("user_count must be a whole number of users, got %q", uc)
	case n < 0:
		return fmt.Errorf("user_count must be 0 or more, got %d", n)
	case n > config.MaxUsers:
		return fmt.Errorf("user_count must be at most %d, got %d", config.MaxUsers, n)
	}
	req.Users = n

	sr := strings.TrimSpace(f.Get("spawn_rate"))
	if sr == "" {
		return errors.New("spawn_rate is missing: give the users to start per second, e.g. spawn_rate=1")
	}
	rate, err := strconv.ParseFloat(sr, 64)
	if err != nil || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return fmt.Errorf("spawn_rate must be a number of users per second, got %q", sr)
	}
	if rate <= 0 {
		return fmt.Errorf("spawn_rate must be more than 0, got %v", rate)
	}
	req.SpawnRate = rate
	return nil
}

// earlier is GET /api/history/earlier: the points of the tests before the
// current or last one, oldest test first, in /api/history's form.
func (s *Server) earlier(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Runs [][]histPoint `json:"runs"`
	}{Runs: [][]histPoint{}}
	if er, ok := s.ctl.(EarlierRuns); ok {
		for _, h := range er.EarlierHistories() {
			pts := []histPoint{}
			for _, p := range h.Points(time.Unix(0, 0)) {
				pts = append(pts, histPoint{p.Elapsed, p.Users, p.RPS, p.FailRate, p.P50, p.P95, p.P99})
			}
			if len(pts) > 0 {
				out.Runs = append(out.Runs, pts)
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}
