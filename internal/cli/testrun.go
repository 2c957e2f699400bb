package cli

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/output"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/js"
)

// testRun is one test from its preparation to its exit code: the
// statistics, what the users share (js.Env), setup() and teardown(), the
// swarm that runs the users (a local engine or a cluster's master), the
// per-second history and the outputs. Headless runs (execute), the web
// panel (one testRun per test it starts) and masters all use it:
//
//	r := newTestRun(...)    // registry, environment, outputs (none in the panel)
//	r.begin(ctx, master)    // setup(), then the swarm
//	plan.begin / r.wait     // the load plan, one snapshot per tick for every consumer
//	r.stop(kill, teardown)  // the users stop, then teardown()
//	r.finish(...)           // final snapshot, thresholds, outputs, exit code
type testRun struct {
	st     *State
	script *js.Script
	cfg    *config.Run
	log    *logger

	reg         *stats.Registry
	env         *js.Env
	hostMissing <-chan struct{} // closed when a relative URL had no host
	hist        *report.History
	outs        output.Set
	meta        report.Meta
	start       time.Time // when statistics start (before setup())
	panicked    atomic.Bool
	// summaryFailed: handleSummary() failed or an output it returned
	// could not be written (k6summary.go).
	summaryFailed atomic.Bool
	// vusMax is the most users the load plan may run (k6's vus_max), 0
	// when it does not say.
	vusMax int
	names  nameGuard
	life   *js.Lifecycle // the process runtime, when the script has lifecycle listeners
	// sat watches whether this process saturates while its users run
	// (saturation.go); nil on a master, whose users run elsewhere.
	sat *satWatch
	// gc keeps the collector's headroom in proportion to the live heap
	// (gctune.go); nil on a master and when the user set GOGC or GOMEMLIMIT.
	gc *gcTuner

	mu sync.Mutex // guards sw: the Prometheus endpoint reads it
	sw swarm

	// prepared are the users made before the test's start (prepare.go),
	// taken by the local engine's users of the same number; nil for none.
	prepared *preparedUsers

	// maker, when set, makes the swarm instead of a local engine (a plan
	// of k6 scenarios, plan_scenarios.go).
	maker swarmMaker
	// aborted is closed when the script aborted the test (k6's
	// exec.test.abort()); abortWhy says why.
	aborted   chan struct{}
	abortOnce sync.Once
	abortWhy  string
}

// newTestRun prepares a test of script against host: fresh statistics and
// environment, and no outputs yet.
func newTestRun(st *State, script *js.Script, cfg *config.Run, log *logger, host string) *testRun {
	r := &testRun{st: st, script: script, cfg: cfg, log: log, hist: report.NewHistory()}
	r.reg = stats.NewRegistry(4 * runtime.GOMAXPROCS(0))
	limitNames(r.reg, cfg)
	r.env, r.hostMissing = newEnv(st, cfg, r.reg, log, host)
	// Checked by resolveConfig (and by the master for a worker's job).
	r.env.Params, _ = script.ParamValues(cfg.Params)
	r.env.Run.Parameters = r.env.Params // run.parameters, as Locust's parsed_options
	r.meta = report.Meta{Script: script.Path, Host: host, Version: Version, Start: time.Now(), Users: cfg.Users, Args: st.Args}
	r.outs.OnError = func(name string, err error) { log.Errorf("writing the %s output: %v", name, err) }
	r.aborted = make(chan struct{})
	r.env.K6 = &js.Execution{
		VUsActive: func() int {
			if sw := r.swarm(); sw != nil {
				return sw.Users()
			}
			return 0
		},
		Abort: r.abort,
	}
	r.env.K6.VUsInitialized = r.env.K6.VUsActive
	if script.K6 {
		r.env.K6.Executor = k6ShortcutExecutor(script, cfg)
	}
	return r
}

// abort stops the test as failed: the script called k6's
// exec.test.abort(reason).
func (r *testRun) abort(reason string) {
	r.abortOnce.Do(func() {
		r.abortWhy = reason
		close(r.aborted)
	})
}

// errStoppedInSetup is begin's error when the test was stopped during
// setup().
var errStoppedInSetup = errors.New("stopped during setup()")

// begin starts the statistics' clock, runs setup() and makes the swarm: the
// master's workers when master is not nil, else a local engine. No user
// runs yet.
func (r *testRun) begin(ctx context.Context, master *masterOf) error {
	r.start = time.Now()
	r.reg.SetStart(r.start)
	r.env.K6.Start = r.start
	if master != nil {
		master.Use(r.reg)
		master.run.Store(r.env.Run)
		r.env.Run.SetWorker(-1, master.Healthy)
	}
	lc, err := r.startLifecycle(ctx)
	if err != nil {
		return err
	}
	r.life = lc
	if r.script.HasSetup {
		data, err := r.script.RunSetup(ctx, r.env)
		if err != nil {
			if r.life != nil {
				stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.StopTimeout+5*time.Second)
				r.life.TestStop(stopCtx)
				cancel()
			}
			if ctx.Err() != nil {
				return errStoppedInSetup
			}
			return err
		}
		r.env.SetupData = data
	}
	var sw swarm
	if master != nil {
		master.SetSetupData(r.env.SetupData)
		sw = master
	} else if r.maker != nil {
		sw = r.maker.makeSwarm(r)
	} else {
		sw = newEngineWith(r.cfg, r.script, &vuFactory{script: r.script, env: r.env, prepared: r.prepared}, r.env, r.reg, r.log, &r.panicked)
	}
	if master == nil {
		r.sat = newSatWatch(r.log)
		r.gc = newGCTuner(r.log)
	}
	r.mu.Lock()
	r.sw = track(sw, r.env.Run)
	r.mu.Unlock()
	return nil
}

// swarm is what runs the users; nil before begin made it.
func (r *testRun) swarm() swarm {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sw
}

// live is the statistics now, with the number of running users.
func (r *testRun) live() *stats.Snapshot {
	s := r.reg.Snapshot(time.Now())
	r.fill(s)
	return s
}

// lostWorkerLister is a swarm that can lose workers (a cluster's master).
type lostWorkerLister interface {
	LostWorkers() []stats.LostWorker
}

// fill adds what the registry does not know to s: the running users and
// the workers lost.
func (r *testRun) fill(s *stats.Snapshot) {
	sw := r.swarm()
	if sw == nil {
		return
	}
	s.Users = sw.Users()
	if l, ok := sw.(lostWorkerLister); ok {
		s.LostWorkers = l.LostWorkers()
	}
}

// tick takes the one snapshot of this tick and hands it to the history and
// every output.
func (r *testRun) tick() *stats.Snapshot {
	s := r.live()
	r.hist.Add(s)
	r.outs.Tick(s)
	r.names.check(s, r.reg, r.cfg, r.log)
	return s
}

// stopReason is why a test's wait ended.
type stopReason int

const (
	stopAsked       stopReason = iota // an interrupt, the panel's stop button, a restart
	stopRunTime                       // the run time is up
	stopPlanEnded                     // the load plan is over (it said why)
	stopPlanFailed                    // the load plan failed (it said why)
	stopUsersDone                     // every user stopped by itself
	stopHostMissing                   // a relative URL had no host
	stopThreshold                     // an abortOnFail threshold failed
	stopAborted                       // the script aborted the test (k6's exec.test.abort())
)

// waitFor is what a test waits for besides its users.
type waitFor struct {
	plan       loadPlan              // nil: the load is set from outside (the panel)
	thresholds []threshold.Threshold // those with abortOnFail stop the test
	runTime    time.Duration         // 0: no limit
	newRunTime <-chan time.Duration  // a new limit, counted from when it arrives
	stop       <-chan struct{}       // closed to stop the test
}

// wait runs the test until something in w or the users end it: once per
// second it takes one snapshot for every consumer (tick), lets the plan
// adjust the load and checks the aborting thresholds.
func (r *testRun) wait(ctx context.Context, w waitFor) stopReason {
	sw := r.swarm()
	var limit <-chan time.Time
	var timer *time.Timer
	setLimit := func(d time.Duration) {
		if timer != nil {
			timer.Stop()
		}
		timer = time.NewTimer(d)
		limit = timer.C
	}
	if w.runTime > 0 {
		setLimit(w.runTime)
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	if r.sat != nil {
		r.sat.observe() // the first sample
	}
	for {
		select {
		case <-w.stop:
			return stopAsked
		case d := <-w.newRunTime:
			setLimit(d)
		case <-limit:
			return stopRunTime
		case <-r.hostMissing:
			return stopHostMissing
		case <-r.aborted:
			return stopAborted
		case <-sw.Done():
			// An aborting user stops itself right after aborting: both
			// channels may be ready, and the abort is the reason.
			select {
			case <-r.aborted:
				return stopAborted
			default:
			}
			return stopUsersDone
		case <-tick.C:
			if reason, stop := r.control(ctx, w, sw); stop {
				return reason
			}
		}
	}
}

// control is one tick of wait.
func (r *testRun) control(ctx context.Context, w waitFor, sw swarm) (stopReason, bool) {
	snap := r.tick()
	if r.sat != nil {
		r.sat.observe()
	}
	r.gc.observe(r.sat.cpuShare(), r.sat.ownSaturation())
	if w.plan != nil {
		ended, err := w.plan.adjust(ctx, time.Since(r.start), sw)
		if err != nil {
			r.log.Errorf("%v; stopping the test", err)
			return stopPlanFailed, true
		}
		if ended {
			return stopPlanEnded, true
		}
	}
	if failed := abortingThresholds(w.thresholds, snap); len(failed) > 0 {
		for _, t := range failed {
			r.log.Errorf("threshold %q on %s failed (measured %s): stopping the test (abortOnFail)", t.Expr, t.Name, formatMeasured(t))
		}
		return stopThreshold, true
	}
	return 0, false
}

// stop stops the users (gracefully, unless kill is canceled) and then,
// with teardown, runs the script's teardown().
func (r *testRun) stop(kill context.Context, teardown bool) {
	if sw := r.swarm(); sw != nil {
		sw.Stop(kill)
	}
	r.prepared.close() // the users the plan did not start
	if teardown && r.script.HasTeardown {
		if err := r.script.RunTeardown(kill, r.env); err != nil {
			r.log.Errorf("teardown() failed: %v", err)
		}
	}
	if r.life != nil {
		r.life.TestStop(kill)
	}
}

// finalSnapshot is the statistics at the end. Rates are over the run: from
// its start until it was told to stop (runEnd), or until the last request
// that finished after that (during the stop timeout), not the time spent in
// onStop hooks and teardown.
func (r *testRun) finalSnapshot(users int, runEnd time.Time) *stats.Snapshot {
	s := r.reg.Snapshot(time.Now())
	r.fill(s)
	s.Users = users
	end := runEnd
	if s.Total.Last.After(end) {
		end = s.Total.Last
	}
	if end.Before(s.Time) {
		s.Time = end
	}
	return s
}

// finish evaluates the thresholds on the final statistics, hands them to
// every output and returns the exit code: ExitCodeOnError when a request
// failed, a task threw, failed is set, or requests were made and none
// completed (all were cut off by the stop); ExitThreshold when a threshold
// failed; else ExitWorkerLost when a worker was lost; else ExitOutput
// when an output could not be written;
// ExitInternal after a panic; ExitInvalid when a relative URL had no host.
func (r *testRun) finish(users int, runEnd time.Time, ts []threshold.Threshold, failed bool) int {
	r.gc.restore()
	final := r.finalSnapshot(users, runEnd)
	r.names.check(final, r.reg, r.cfg, r.log) // a run shorter than a tick warns too
	if final.Total.Requests == 0 && final.CutOff > 0 {
		r.log.Errorf("no request completed; requests cut off by the stop (in flight when it came): %d. Does the server answer? A request may take --timeout, %v", final.CutOff, r.cfg.Timeout)
		failed = true
	}
	code := ExitOK
	if final.HasErrors() || failed {
		code = r.cfg.ExitCodeOnError
	}
	var results []threshold.Result
	if len(ts) > 0 {
		results = threshold.EvaluateAll(ts, final)
		for _, t := range results {
			if !t.Passed {
				code = ExitThreshold
			}
		}
	}
	r.hist.Add(final)
	meta := r.meta
	meta.End = final.Time
	meta.Users = max(meta.Users, final.Users)
	if r.sat != nil {
		meta.Saturation = r.sat.summary()
	}
	written := r.outs.Final(&output.End{Meta: meta, Snapshot: final, Thresholds: results, History: r.hist})
	switch {
	case code == ExitThreshold:
	case len(final.LostWorkers) > 0:
		code = ExitWorkerLost
	case !written || r.summaryFailed.Load():
		code = ExitOutput
	}
	if r.panicked.Load() {
		code = ExitInternal
	}
	select {
	case <-r.hostMissing:
		code = ExitInvalid
	default:
	}
	return code
}
