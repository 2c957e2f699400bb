package web

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
)

// Controller is what the panel drives; the CLI implements it. Its methods
// are called from HTTP handlers, concurrently, so they must be safe for
// concurrent use.
type Controller interface {
	// Start starts a test with r when none is running ("ready" or
	// "stopped"). While one is running ("spawning" or "running") it
	// changes the running test's user count and spawn rate live instead,
	// as Locust's POST /swarm does; the other fields may then be ignored.
	// An error means bad input: its message is shown to the user as is,
	// and the running test, if any, must be left alone.
	Start(r StartRequest) error
	// Stop stops the running test gracefully, as the CLI does on its
	// first interrupt, and returns when it has stopped. It does nothing
	// when no test is running.
	Stop()
	// Reset discards the statistics collected so far.
	Reset()
	// State is the test's state: engine.Ready before the first test, then
	// Spawning, Running, Stopping or Stopped.
	State() engine.State
	// Snapshot returns the current statistics with Users filled in. It may
	// return nil before any statistics exist.
	Snapshot() *stats.Snapshot
	// History returns the per-second history of the current or last test,
	// or nil.
	History() *report.History
	// Info describes the script and the defaults of the start form.
	Info() Info
	// Summary returns the report of the current or last test, or nil when
	// there is none (the panel then builds one from Snapshot and History).
	Summary() *report.Summary
}

// WorkerLister is implemented by a Controller that runs a distributed
// test: the panel then shows its workers (Locust's "workers" in
// /stats/requests, and a Workers tab). Workers returns nil when the test
// is not distributed.
type WorkerLister interface {
	Workers() []Worker
}

// UserCounter is implemented by a Controller that can tell how many users
// of each class are running (Locust's user_classes_count): GET /tasks and
// the ratio tab then show the users actually running rather than the
// classes' weights. UserCounts returns nil or an empty map when none run.
type UserCounter interface {
	UserCounts() map[string]int
}

// LogSource is implemented by a Controller that keeps its log: GET /logs
// (Locust's) and the Logs tab show its lines, oldest first.
type LogSource interface {
	Logs() []string
}

// FullHistorySource is implemented by a Controller that can keep Locust's
// full history CSV (--csv-full-history): GET
// /stats/requests_full_history/csv serves the file at path, which may be
// growing. enabled is false when the option was not given; path is "" when
// no test has run yet.
type FullHistorySource interface {
	FullHistoryCSV() (path string, enabled bool)
}

// EarlierRuns is implemented by a Controller that keeps the histories of
// the tests before the current or last one (oldest first): the panel's
// charts then show them before a marker per test, also after a reload.
type EarlierRuns interface {
	EarlierHistories() []*report.History
}

// Worker is one worker of a distributed test, as Locust's API shows it.
type Worker struct {
	ID        string  `json:"id"`
	Host      string  `json:"host"`
	State     string  `json:"state"` // "ready", "spawning", "running", "stopping", "stopped" or "missing"
	UserCount int     `json:"user_count"`
	CPUUsage  float64 `json:"cpu_usage"` // percent of one core
}

// StartRequest is a start (or change) of a test, as the start form or
// POST /swarm asks for it.
type StartRequest struct {
	Users       int           // number of users, 0 or more
	SpawnRate   float64       // users started (or stopped) per second, more than 0
	Host        string        // base URL; "" keeps the script's or the flags' host
	RunTime     time.Duration // 0: until stopped
	UserClasses []string      // the classes to run; empty: all of them
	// Params are the script's custom parameters given in the form, as
	// text by declared name; missing ones keep their current values.
	Params map[string]string
}

// Info describes the loaded script for the panel: where it comes from, the
// start form's defaults, its user classes, its load plan and thresholds.
type Info struct {
	Script    string
	Host      string // the host of the current test, or the default one
	Users     int
	SpawnRate float64
	RunTime   time.Duration
	Classes   []ClassInfo
	// Plan is how the script sets its load; its zero value (Kind "") is
	// users at a spawn rate, as the start form asks.
	Plan PlanInfo
	// Thresholds are the test's thresholds, as written.
	Thresholds []ThresholdInfo
	// Params are the script's custom parameters with their current
	// values; ParamsFixed, when set, says why the form cannot change them.
	Params      []ParamInfo
	ParamsFixed string
}

// ParamInfo is one custom parameter of the script for the start form.
type ParamInfo struct {
	Name    string   `json:"name"` // as declared: pageSize
	Flag    string   `json:"flag"` // page-size
	Type    string   `json:"type"` // string, int, float, bool or duration
	Value   string   `json:"value"`
	Help    string   `json:"help"`
	Choices []string `json:"choices"`
}

// PlanInfo describes a load plan the script sets itself. With one, a start
// needs no user count or spawn rate (POST /swarm ignores them, as Locust
// does with a shape class) and the running test cannot be edited.
type PlanInfo struct {
	Kind  string   // "" or "users", "shape", "stages", "arrival"
	Title string   // e.g. "options.stages: 3 stages, 2m30s"
	Steps []string // one line per stage, or what the plan does
}

// ThresholdInfo is one threshold as written.
type ThresholdInfo struct {
	Name        string // the statistic: "Aggregated", "GET /items", "checks"
	Expr        string // the condition as written: "p(95) < 500"
	AbortOnFail bool
}

// ThresholdSource is implemented by a Controller whose test has
// thresholds: /stats/requests then carries their live results, and the
// panel shows them.
type ThresholdSource interface {
	ThresholdResults() []ThresholdResult
}

// ThresholdResult is a threshold checked on the statistics so far.
type ThresholdResult struct {
	ThresholdInfo
	Measured string // the value measured, with its unit; "no data" when the statistic has none
	Passed   bool
	NoData   bool
}

// ClassInfo is one user class. Scripts that export tasks rather than
// classes have one class.
type ClassInfo struct {
	Name       string
	Weight     int // share of the users, among the classes without a fixed count
	FixedCount int // 0: by weight; else exactly this many users
	Tasks      []TaskInfo
}

// TaskInfo is one task of a user class.
type TaskInfo struct {
	Name   string
	Weight int
	Share  float64 // the task's share of its class's picks, in percent (0-100)
}

// Options configure a Server.
type Options struct {
	// Addr is the host:port to listen on; "" means 127.0.0.1:8089.
	Addr string
	// Login is "user:password" to require HTTP basic authentication on
	// every route, "" for none.
	Login string
	// Version is jsload's version, shown in the panel and the report.
	Version string
	// TLSCert and TLSKey are PEM files of the certificate and private key
	// to serve the panel over HTTPS (--web-tls-cert, --web-tls-key); both
	// or neither.
	TLSCert, TLSKey string
}

// DefaultAddr is where the panel listens when Options.Addr is empty.
const DefaultAddr = "127.0.0.1:8089"

// Server is the web panel of one jsload process.
type Server struct {
	ctl      Controller
	opts     Options
	loopback bool     // listening on loopback only: Host headers must name it too
	user     [32]byte // sha256 of the login's user name and password
	pass     [32]byte
	auth     bool
	handler  http.Handler
	tls      *tls.Config // nil: plain HTTP
}

//go:embed assets
var assetFS embed.FS

// New returns the panel for ctl. It checks the options: a malformed address
// or --web-login value is an error whose message names the option.
func New(ctl Controller, o Options) (*Server, error) {
	if ctl == nil {
		return nil, errors.New("web: nil controller")
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("web panel address %q: %v", o.Addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("--web-port must be a number from 0 to 65535, got %q", port)
	}
	if host == "*" {
		// Locust's spelling of every interface.
		host = ""
		o.Addr = net.JoinHostPort(host, port)
	}
	s := &Server{ctl: ctl, opts: o, loopback: isLoopbackHost(host)}
	if o.Login != "" {
		user, pass, ok := strings.Cut(o.Login, ":")
		if !ok || user == "" || pass == "" {
			return nil, errors.New("--web-login must be USER:PASSWORD, both non-empty")
		}
		s.auth = true
		s.user = sha256.Sum256([]byte(user))
		s.pass = sha256.Sum256([]byte(pass))
	}
	switch {
	case o.TLSCert != "" && o.TLSKey == "":
		return nil, errors.New("--web-tls-cert needs --web-tls-key, the certificate's private key")
	case o.TLSKey != "" && o.TLSCert == "":
		return nil, errors.New("--web-tls-key needs --web-tls-cert, the certificate it goes with")
	case o.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("--web-tls-cert %s / --web-tls-key %s: %v", o.TLSCert, o.TLSKey, err)
		}
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the panel's HTTP handler: every route, behind the
// authentication, same-origin and security-header checks.
func (s *Server) Handler() http.Handler { return s.handler }

// ListenAndServe serves the panel on Options.Addr until ctx is canceled,
// then shuts down, giving open requests a moment to finish. It calls ready
// with the panel's URL once it listens (with the actual port when the
// address asked for port 0). A busy port gives an error that says so.
func (s *Server) ListenAndServe(ctx context.Context, ready func(url string)) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("web panel: %s is already in use: stop the program using it or choose another --web-port", s.opts.Addr)
		}
		return fmt.Errorf("web panel: listening on %s: %w", s.opts.Addr, err)
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	if ready != nil {
		u := panelURL(ln.Addr())
		if s.tls != nil {
			u = "https" + strings.TrimPrefix(u, "http")
		}
		ready(u)
	}
	select {
	case err := <-done:
		return fmt.Errorf("web panel: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web panel: %w", err)
	}
	return nil
}

// panelURL is the address to open in a browser for a listener's address.
func panelURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	return "http://" + net.JoinHostPort(host, port)
}

// isLoopbackHost reports whether host (from an address or a Host header,
// without port) names the loopback interface only.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// assets returns the embedded files under assets/.
func assets() fs.FS {
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	return sub
}
