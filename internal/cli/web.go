package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jsload/jsload/internal/cluster"
	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/output"
	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/internal/web"
	"github.com/jsload/jsload/js"
)

// panel runs tests for the web panel: one at a time, each a testRun with
// fresh statistics, as the panel's start, edit, stop and new-test buttons
// ask.
type panel struct {
	st     *State
	script *js.Script
	cfg    *config.Run
	sig    *signals
	log    *logger
	master *masterOf // in a distributed test
	plan   *testPlan // the script's plan as prepared: its kind and thresholds

	mu      sync.Mutex
	run     *testRun           // the current or last test; nil before the first
	stopped bool               // the current test was told to stop
	done    chan struct{}      // closed when the current test is told to stop
	runTime chan time.Duration // a new run time for the current test
	ended   chan struct{}      // receives when a test ends (for --autoquit)
	errs    bool               // the last test had failures or exceptions
	thFail  bool               // a threshold of the last test failed
	// With --csv-full-history each test writes Locust's CSV files, with
	// the full history, under histDir (a temporary directory removed when
	// the panel quits), for GET /stats/requests_full_history/csv.
	histDir  string
	histPath string // the current or last test's history file
	tests    int    // tests started
	// earlier holds the per-second histories of the tests before the
	// current one, at most keptRuns, for the panel's charts.
	earlier []*report.History
}

var _ web.Controller = (*panel)(nil)

// checkStart checks a start request's input.
func (p *panel) checkStart(r web.StartRequest) error {
	if p.plan.panelReady {
		// Else the script sets the users: these are not used.
		if r.Users < 0 || r.Users > config.MaxUsers {
			return fmt.Errorf("the number of users must be between 0 and %d", config.MaxUsers)
		}
		if !(r.SpawnRate > 0) {
			return errors.New("the spawn rate must be more than 0")
		}
	}
	if r.Host != "" {
		if err := config.CheckHost(r.Host); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "--host "))
		}
	}
	for _, c := range r.UserClasses {
		found := false
		for _, k := range p.script.Classes {
			found = found || k.Name == c
		}
		if !found {
			return fmt.Errorf("no user class %q", c)
		}
	}
	return nil
}

func (p *panel) Start(r web.StartRequest) error {
	if err := p.checkStart(r); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master != nil && p.master.Healthy() == 0 {
		return errors.New("no worker is connected: start some with `jsload run --worker --master-host HOST`")
	}
	if p.run != nil && p.stopped && p.run.swarm().State() != engine.Stopped {
		return errors.New("the last test is still stopping: wait for it to stop")
	}
	if p.run != nil && !p.stopped && !p.plan.panelReady {
		return fmt.Errorf("this test's load comes from the script's %s: it cannot be changed while it runs; stop it, then start a new one", planKind(p.plan))
	}
	if p.run != nil && !p.stopped {
		return p.changeRunning(r)
	}
	host := r.Host
	if host == "" {
		host = p.cfg.Host
	}
	cfg, err := p.withParams(r.Params)
	if err != nil {
		return err
	}
	run := newTestRun(p.st, p.script, cfg, p.log, host)
	run.reg.Want(k6Wants(p.plan.thresholds))
	if err := run.begin(p.sig.stopCtx, p.master); err != nil {
		return fmt.Errorf("setup() failed: %v", err)
	}
	if p.cfg.CSVFullHistory {
		if err := p.keepHistory(run); err != nil {
			run.stop(p.sig.killCtx, true)
			return err
		}
	}
	if p.run != nil {
		p.earlier = append(p.earlier, p.run.hist)
		if len(p.earlier) > keptRuns {
			p.earlier = p.earlier[len(p.earlier)-keptRuns:]
		}
	}
	p.run, p.stopped = run, false
	p.done = make(chan struct{})
	p.runTime = make(chan time.Duration, 1)
	load, err := p.startLoad(run, r, host)
	if err != nil {
		p.stopped = true
		close(p.done)
		run.stop(p.sig.killCtx, true)
		return err
	}
	go p.watch(run, r.RunTime, p.runTime, p.done, load)
	return nil
}

// changeRunning applies a start request to the running test: its user
// count and spawn rate change; its host and parameters cannot. p.mu is
// held.
func (p *panel) changeRunning(r web.StartRequest) error {
	if changed := p.changedParams(r.Params); changed != "" {
		return fmt.Errorf("parameter %s cannot change during a run: stop the test, then start a new one", changed)
	}
	if r.Host != "" && strings.TrimRight(r.Host, "/") != strings.TrimRight(p.run.meta.Host, "/") {
		// The users already running keep their clients' base URL: a
		// new host would apply to some users and not others.
		return fmt.Errorf("the host cannot change during a run (it is %s): stop the test, then start a new one with host %s", orNone(p.run.meta.Host), r.Host)
	}
	p.change(r)
	return nil
}

// startLoad starts run's users: those of the form, or the script's own
// load plan (nil for the form's users), made afresh for each test since
// plans keep their state (the stage in force, shape()'s runtime).
func (p *panel) startLoad(run *testRun, r web.StartRequest, host string) (loadPlan, error) {
	if p.plan.panelReady {
		p.log.Infof("Starting a test: %d users at a rate of %g per second%s, host %s", r.Users, r.SpawnRate, classList(r.UserClasses), orNone(host))
		if p.master == nil {
			checkOpenFiles(r.Users, p.log)
		}
		run.swarm().StartClasses(r.Users, r.SpawnRate, r.UserClasses)
		return nil, nil
	}
	cfg := *p.cfg
	cfg.RunTime = r.RunTime
	tp, err := makePlan(&cfg, p.script, p.log)
	if err != nil {
		return nil, err
	}
	p.log.Infof("Starting a test with the script's %s, host %s", planKind(tp), orNone(host))
	if p.master == nil {
		checkOpenFiles(tp.load.peakUsers(), p.log)
	}
	ended, err := tp.load.begin(p.sig.stopCtx, run.swarm(), run.env)
	if err == nil && ended {
		err = fmt.Errorf("the script's %s has nothing to run", planKind(tp))
	}
	if err != nil {
		tp.load.close()
		return nil, err
	}
	return tp.load, nil
}

// planKind names the load plan a script sets.
func planKind(tp *testPlan) string {
	switch tp.load.(type) {
	case *shapePlan:
		return "shape()"
	case *stagesPlan:
		return "options.stages"
	case *arrivalPlan:
		return "arrival rate"
	}
	return "users and spawn rate"
}

// keptRuns is how many earlier tests' histories the panel keeps for its
// charts (each is bounded: report.History thins out long runs).
const keptRuns = 10

var _ web.EarlierRuns = (*panel)(nil)

// EarlierHistories returns the histories of the tests before the current
// or last one, oldest first.
func (p *panel) EarlierHistories() []*report.History {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*report.History(nil), p.earlier...)
}

// keepHistory adds the CSV output with the full history to run, in the
// panel's temporary directory, and closes the last test's.
func (p *panel) keepHistory(run *testRun) error {
	if p.histDir == "" {
		dir, err := os.MkdirTemp("", "jsload-panel-")
		if err != nil {
			return fmt.Errorf("--csv-full-history: making a directory for the history: %v", err)
		}
		p.histDir = dir
	}
	if p.run != nil {
		p.run.outs.Close()
	}
	p.tests++
	prefix := filepath.Join(p.histDir, fmt.Sprintf("test%d", p.tests))
	c, err := output.NewCSV(prefix, true)
	if err != nil {
		return fmt.Errorf("--csv-full-history: %v", err)
	}
	run.outs.Add("full history CSV", c)
	p.histPath = prefix + "_stats_history.csv"
	return nil
}

var _ web.FullHistorySource = (*panel)(nil)

// FullHistoryCSV is the current or last test's history file, with a row
// per (type, name) and second, when --csv-full-history is given.
func (p *panel) FullHistoryCSV() (path string, enabled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.histPath, p.cfg.CSVFullHistory
}

// closeHistory closes the last test's outputs and removes the history
// directory.
func (p *panel) closeHistory() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run != nil {
		p.run.outs.Close()
	}
	if p.histDir != "" {
		os.RemoveAll(p.histDir)
	}
}

// change changes the running test, as Locust's POST /swarm does.
func (p *panel) change(r web.StartRequest) {
	p.log.Infof("Changing the test: %d users at a rate of %g per second%s", r.Users, r.SpawnRate, classList(r.UserClasses))
	p.run.swarm().StartClasses(r.Users, r.SpawnRate, r.UserClasses)
	if r.RunTime > 0 {
		// As Locust: a run time given with a change counts from now.
		p.log.Infof("Run time limit set to %v from now", r.RunTime)
		select {
		case p.runTime <- r.RunTime:
		default:
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// watch records the history of a test and stops it when its run time is
// up, every user stopped, or a relative URL had no host.
func (p *panel) watch(run *testRun, runTime time.Duration, newRunTime <-chan time.Duration, done <-chan struct{}, load loadPlan) {
	if load != nil {
		defer load.close()
	}
	switch run.wait(p.sig.stopCtx, waitFor{plan: load, thresholds: p.plan.thresholds, runTime: runTime, newRunTime: newRunTime, stop: done}) {
	case stopAsked:
		return
	case stopRunTime:
		p.log.Infof("run time limit reached, stopping the test")
	case stopUsersDone:
		p.log.Infof("every user has stopped, stopping the test")
	case stopAborted:
		p.log.Errorf("%s (exec.test.abort()): stopping the test", run.abortWhy)
	}
	// The plan's end, its failure and an aborting threshold were said
	// when they happened.
	p.Stop()
}

func (p *panel) Stop() {
	p.mu.Lock()
	run := p.run
	if run == nil || p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.done)
	p.mu.Unlock()
	run.stop(p.sig.killCtx, true)
	s := run.live()
	failed := false
	for _, t := range threshold.EvaluateAll(p.plan.thresholds, s) {
		if !t.Passed {
			failed = true
			p.log.Errorf("threshold %q on %s failed (measured %s)", t.Expr, t.Name, formatMeasured(t))
		}
	}
	p.mu.Lock()
	p.errs = s.HasErrors()
	p.thFail = failed
	p.mu.Unlock()
	p.log.Infof("Test stopped: %d requests, %d failures", s.Total.Requests, s.Total.Failures)
	select {
	case p.ended <- struct{}{}:
	default:
	}
}

// current is the current or last test, nil before the first.
func (p *panel) current() *testRun {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run
}

func (p *panel) Reset() {
	if run := p.current(); run != nil {
		run.reg.Reset()
		p.log.Infof("Resetting stats")
	}
}

func (p *panel) State() engine.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.run == nil:
		return engine.Ready
	case p.stopped && p.run.swarm().State() != engine.Stopped:
		return engine.Stopping
	case p.stopped:
		return engine.Stopped
	}
	return p.run.swarm().State()
}

func (p *panel) Snapshot() *stats.Snapshot {
	if run := p.current(); run != nil {
		return run.live()
	}
	return nil
}

func (p *panel) History() *report.History {
	if run := p.current(); run != nil {
		return run.hist
	}
	return nil
}

func (p *panel) Info() web.Info {
	host := p.cfg.Host
	if run := p.current(); run != nil {
		host = run.meta.Host
	}
	info := web.Info{Script: p.script.Path, Host: host, Users: p.cfg.Users, SpawnRate: p.cfg.SpawnRate, RunTime: p.cfg.RunTime,
		Plan: planInfo(p.plan)}
	for _, t := range p.plan.thresholds {
		info.Thresholds = append(info.Thresholds, thresholdInfo(t))
	}
	info.Params, info.ParamsFixed = p.paramsInfo(p.current())
	for _, c := range p.script.Classes {
		ci := web.ClassInfo{Name: c.Name, Weight: c.Weight, FixedCount: c.FixedCount}
		total := 0
		for _, t := range c.Tasks {
			total += t.Weight
		}
		for _, t := range c.Tasks {
			share := 0.0
			if total > 0 {
				share = 100 * float64(t.Weight) / float64(total)
			}
			ci.Tasks = append(ci.Tasks, web.TaskInfo{Name: t.Name, Weight: t.Weight, Share: share})
		}
		info.Classes = append(info.Classes, ci)
	}
	return info
}

func (p *panel) Summary() *report.Summary {
	run := p.current()
	if run == nil {
		return nil
	}
	s := run.live()
	meta := run.meta
	meta.Start, meta.End, meta.Users = run.start, s.Time, s.Users
	return report.Build(meta, s, run.hist, threshold.EvaluateAll(p.plan.thresholds, s))
}

var _ web.ThresholdSource = (*panel)(nil)

// ThresholdResults checks the thresholds on the current or last test's
// statistics so far.
func (p *panel) ThresholdResults() []web.ThresholdResult {
	if len(p.plan.thresholds) == 0 {
		return nil
	}
	var s *stats.Snapshot
	if run := p.current(); run != nil {
		s = run.live()
	} else {
		s = stats.NewRegistry(1).Snapshot(time.Now())
	}
	var out []web.ThresholdResult
	for _, t := range threshold.EvaluateAll(p.plan.thresholds, s) {
		out = append(out, web.ThresholdResult{ThresholdInfo: thresholdInfo(t.Threshold), Measured: formatMeasured(t), Passed: t.Passed, NoData: t.NoData})
	}
	return out
}

func thresholdInfo(t threshold.Threshold) web.ThresholdInfo {
	return web.ThresholdInfo{Name: t.Name, Expr: t.Expr, AbortOnFail: t.AbortOnFail}
}

// planInfo describes the script's load plan for the start form.
func planInfo(tp *testPlan) web.PlanInfo {
	switch l := tp.load.(type) {
	case *shapePlan:
		return web.PlanInfo{Kind: "shape", Title: "The script's shape() sets the users, spawn rate and classes",
			Steps: []string{"asked once a second, with the time since the start; the test ends when it returns null"}}
	case *stagesPlan:
		var total time.Duration
		var steps []string
		for i, s := range l.stages {
			total += s.Duration
			steps = append(steps, fmt.Sprintf("%d. %d users at %g per second for %v", i+1, s.Users, s.SpawnRate, s.Duration))
		}
		return web.PlanInfo{Kind: "stages", Title: fmt.Sprintf("options.stages: %d stages, %v in all", len(l.stages), total), Steps: steps}
	case *arrivalPlan:
		pi := web.PlanInfo{Kind: "arrival"}
		if len(l.stages) == 0 {
			pi.Title = fmt.Sprintf("Arrival rate: %g iterations per second", l.rate)
		} else {
			var total time.Duration
			for i, s := range l.stages {
				total += s.Duration
				pi.Steps = append(pi.Steps, fmt.Sprintf("%d. %g iterations per second for %v", i+1, s.Rate, s.Duration))
			}
			pi.Title = fmt.Sprintf("options.stages of rate: %d stages, %v in all", len(l.stages), total)
		}
		pi.Steps = append(pi.Steps, fmt.Sprintf("users: %d to start with, at most %d", min(l.initial, l.maxVUs), l.maxVUs))
		return pi
	}
	return web.PlanInfo{Kind: "users"}
}

// runPanel serves the web panel until Ctrl-C (or --autoquit after a test
// ends), starting a test at once with --autostart.
func runPanel(st *State, script *js.Script, cfg *config.Run, sig *signals, log *logger, plan *testPlan) int {
	sig.use(log, cfg.StopTimeout)
	p := &panel{st: st, script: script, cfg: cfg, sig: sig, log: log, plan: plan, ended: make(chan struct{}, 1)}
	addr := net.JoinHostPort(cfg.WebHost, fmt.Sprint(cfg.WebPort))
	srv, err := web.New(p, web.Options{Addr: addr, Login: cfg.WebLogin, Version: Version, TLSCert: cfg.WebTLSCert, TLSKey: cfg.WebTLSKey})
	if err != nil {
		fmt.Fprintf(st.Stderr, "jsload: %v\n", err)
		return ExitInvalid
	}
	where := cfg.WebHost
	if where == "*" || where == "" {
		where = "every interface"
	}
	if cfg.WebLogin == "" && !isLoopback(cfg.WebHost) {
		log.Warnf("the web panel listens on %s without --web-login: anyone who can reach it can start load from this machine", where)
	} else if cfg.WebTLSCert == "" && !isLoopback(cfg.WebHost) {
		log.Warnf("the web panel listens on %s without --web-tls-cert: the --web-login password crosses the network in clear text", where)
	}
	if cfg.Cluster.Master {
		m, err := startMaster(st, cfg, script, stats.NewRegistry(1), log)
		if err != nil {
			log.Errorf("%v", err)
			return ExitInvalid
		}
		defer m.close()
		p.master = m
	}
	defer p.closeHistory()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- srv.ListenAndServe(ctx, func(url string) {
			log.Infof("Starting web interface at %s (press Ctrl-C to quit)", url)
		})
	}()
	if cfg.Autostart && p.master != nil {
		if err := waitWorkers(sig.stopCtx, p.master, &cfg.Cluster, log); err != nil {
			if sig.stopCtx.Err() == nil {
				log.Errorf("--autostart: %v", err)
			}
			cfg.Autostart = false
		}
	}
	var auto *testRun // the --autostart test
	if cfg.Autostart {
		if err := p.Start(web.StartRequest{Users: cfg.Users, SpawnRate: cfg.SpawnRate, RunTime: cfg.RunTime}); err != nil {
			log.Errorf("--autostart: %v", err)
		}
		auto = p.current()
	}
	var quit <-chan time.Time
	for {
		select {
		case err := <-served:
			if err != nil {
				fmt.Fprintf(st.Stderr, "jsload: %v\n", err)
				return ExitInvalid
			}
			return shuttingDown(log, p.exitCode())
		case <-p.ended:
			if cfg.AutoQuit >= 0 {
				log.Infof("--autoquit: quitting in %v", cfg.AutoQuit)
				quit = time.After(cfg.AutoQuit)
			}
		case <-quit:
			cancel()
			<-served
			return shuttingDown(log, p.exitCode())
		case <-sig.stop:
			// Ctrl-C is how one quits the panel (with the last test's
			// tables and, as a headless run, the exit code's line): the
			// last test's code,
			// unless it is the --autostart test, stopped before its end.
			cut := auto != nil && auto == p.current() && p.State() != engine.Stopped
			p.Stop()
			cancel()
			<-served
			if cut {
				return shuttingDown(log, interrupted(p.exitCode(), sig))
			}
			return shuttingDown(log, p.exitCode())
		}
	}
}

// exitCode prints the last test's final tables, as a headless run does,
// and returns the exit code.
func (p *panel) exitCode() int {
	run := p.current()
	if run == nil {
		return ExitOK
	}
	console.Printer{Color: isTerminal(p.st.Stdout)}.PrintSummary(p.st.Stdout, run.live())
	p.mu.Lock()
	defer p.mu.Unlock()
	if run.panicked.Load() {
		return ExitInternal
	}
	if p.thFail {
		return ExitThreshold
	}
	if p.errs {
		return p.cfg.ExitCodeOnError
	}
	return ExitOK
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

var _ web.LogSource = (*panel)(nil)

// Logs returns the process's last log lines: the tests' starts, stops,
// warnings and errors.
func (p *panel) Logs() []string { return p.log.Lines() }

var (
	_ web.UserCounter = (*panel)(nil)
	_ web.UserCounter = (*engine.Engine)(nil)
	_ web.UserCounter = (*cluster.Master)(nil)
	_ web.UserCounter = (*trackedSwarm)(nil)
)

// UserCounts passes the running users per class through (nil when the
// swarm does not count them).
func (t *trackedSwarm) UserCounts() map[string]int {
	if uc, ok := t.swarm.(web.UserCounter); ok {
		return uc.UserCounts()
	}
	return nil
}

// UserCounts is the number of running users per class of the current
// test (none before the first or after a stop).
func (p *panel) UserCounts() map[string]int {
	run := p.current()
	if run == nil {
		return nil
	}
	// The engine and a cluster's master both count them.
	if uc, ok := run.swarm().(web.UserCounter); ok {
		return uc.UserCounts()
	}
	return nil
}

var _ web.WorkerLister = (*panel)(nil)

// Workers lists a distributed test's workers (nil when local).
func (p *panel) Workers() []web.Worker {
	if p.master == nil {
		return nil
	}
	ws := []web.Worker{}
	for _, w := range p.master.Workers() {
		ws = append(ws, web.Worker{ID: w.ID, Host: w.Host, State: w.State, UserCount: w.Users, CPUUsage: math.Round(w.CPU*10) / 10})
	}
	return ws
}

// paramsInfo lists the script's parameters with the values the next test
// would use (the last test's, else the command line's), and why the form
// cannot change them in a distributed run.
func (p *panel) paramsInfo(run *testRun) ([]web.ParamInfo, string) {
	vals := p.cfg.Params
	if run != nil {
		vals = run.cfg.Params
	}
	var out []web.ParamInfo
	for _, sp := range p.script.Params {
		v, ok := vals[sp.Name]
		if !ok {
			v = sp.Default
		}
		out = append(out, web.ParamInfo{Name: sp.Name, Flag: sp.Flag, Type: sp.Type, Value: v, Help: sp.Help, Choices: sp.Choices})
	}
	if p.master != nil && len(out) > 0 {
		return out, "in a distributed run the workers take the parameters given to the master when it starts"
	}
	return out, ""
}

// withParams returns the configuration of a new test with the form's
// parameter values over the current ones (p.cfg itself when there are
// none), checked against their declarations: a bad value names the
// field. p.mu is held.
func (p *panel) withParams(form map[string]string) (*config.Run, error) {
	if len(form) == 0 {
		return p.cfg, nil
	}
	if p.master != nil {
		if changed := p.changedParams(form); changed != "" {
			return nil, fmt.Errorf("parameter %s: in a distributed run the workers take the parameters given to the master when it starts", changed)
		}
		return p.cfg, nil
	}
	cfg := *p.cfg
	cfg.Params = make(map[string]string, len(p.cfg.Params)+len(form))
	for k, v := range p.cfg.Params {
		cfg.Params[k] = v
	}
	for k, v := range form {
		cfg.Params[k] = v
	}
	if _, err := p.script.ParamValues(cfg.Params); err != nil {
		msg := err.Error()
		for _, sp := range p.script.Params { // the form names it as declared
			if rest, ok := strings.CutPrefix(msg, "--"+sp.Flag+" "); ok {
				msg = sp.Name + " " + rest
			}
		}
		return nil, fmt.Errorf("parameter %s", msg)
	}
	return &cfg, nil
}

// changedParams names the first form parameter whose value differs from
// the current test's ("" when none does). p.mu is held.
func (p *panel) changedParams(form map[string]string) string {
	current, _ := p.paramsInfo(p.run)
	for _, sp := range current {
		if v, ok := form[sp.Name]; ok && v != sp.Value {
			return sp.Name
		}
	}
	return ""
}
