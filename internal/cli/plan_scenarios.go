package cli

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/js"
)

// scenariosPlan runs k6's options.scenarios: each scenario on an engine
// of its own (its users run its exec function), started at its
// startTime and driven by its computed schedule (k6Scenario.schedule);
// the test ends when every scenario has ended. Its swarm (scenarioSwarm)
// is made by testRun.begin in place of the usual engine (swarmMaker).
type scenariosPlan struct {
	scenarios []*k6Scenario
	log       *logger
	sw        *scenarioSwarm
}

// swarmMaker is a load plan that runs on a swarm of its own making.
type swarmMaker interface {
	makeSwarm(r *testRun) swarm
}

var _ swarmMaker = (*scenariosPlan)(nil)

func (p *scenariosPlan) makeSwarm(r *testRun) swarm {
	sw := &scenarioSwarm{log: p.log, reg: r.reg, done: make(chan struct{}), stop: make(chan struct{})}
	for _, sc := range p.scenarios {
		jsc := &js.Scenario{Name: sc.Name, Executor: sc.Executor, Exec: sc.Exec, Env: sc.Env, Tags: sc.Tags}
		cfg := *r.cfg
		cfg.StopTimeout = sc.GracefulStop
		if sc.Executor == execRampVUs {
			cfg.StopTimeout = sc.RampDown // users a ramp-down removes get this long
		}
		cfg.Iterations = 0
		var perVU int64
		switch sc.Executor {
		case execShared:
			cfg.Iterations = sc.Iterations
		case execPerVU:
			perVU = sc.Iterations
		}
		f := &scenarioFactory{script: r.script, env: r.env, sc: jsc, ids: &sw.ids, perVU: perVU}
		run := &scenarioRun{sc: sc, js: jsc}
		_, run.end = sc.schedule()
		run.eng = newEngineWith(&cfg, r.script, f, r.env, r.reg, r.log, &r.panicked)
		run.eng.scenario = sc.Name
		jsc.Progress = run.progress
		sw.runs = append(sw.runs, run)
	}
	p.sw = sw
	return sw
}

func (p *scenariosPlan) begin(context.Context, swarm, *js.Env) (bool, error) {
	for _, sc := range p.scenarios {
		p.log.Infof("Scenario %s", sc.describe())
	}
	p.sw.start()
	return false, nil
}

func (p *scenariosPlan) adjust(context.Context, time.Duration, swarm) (bool, error) {
	return false, nil
}

func (p *scenariosPlan) finished(swarm) string {
	return "every scenario has ended, shutting down"
}

func (p *scenariosPlan) peakUsers() int {
	n := 0
	for _, sc := range p.scenarios {
		n += sc.peak()
	}
	return n
}

func (p *scenariosPlan) close() {}

// scenarioFactory makes the users of one scenario: numbered over the
// whole test (k6's exec.vu.idInTest), running its exec function, each
// stopping after perVU iterations when that is above 0.
type scenarioFactory struct {
	script *js.Script
	env    *js.Env
	sc     *js.Scenario
	ids    *atomic.Int64
	perVU  int64
}

func (f *scenarioFactory) NewVU(ctx context.Context, _, _ int) (engine.VU, error) {
	vu, err := f.script.NewScenarioVU(ctx, f.env, int(f.ids.Add(1)), f.sc)
	if err != nil {
		return nil, err
	}
	if f.perVU > 0 {
		return &countedVU{VU: vu, left: f.perVU}, nil
	}
	return vu, nil
}

// countedVU is a user of per-vu-iterations: it stops itself after its
// iterations.
type countedVU struct {
	*js.VU
	left int64
}

func (c *countedVU) RunTask(ctx context.Context) error {
	err := c.VU.RunTask(ctx)
	if c.left--; c.left <= 0 && err == nil {
		return engine.ErrStopUser
	}
	return err
}

// scenarioRun is one scenario of a run: its engine and its progress.
type scenarioRun struct {
	sc    *k6Scenario
	js    *js.Scenario
	eng   *notingEngine
	start atomic.Int64  // Unix ns of its start; 0 before
	end   time.Duration // its schedule's end, from its start
}

// progress is exec.scenario.progress: the share of its iterations
// started for the iterations executors, else of its time.
func (r *scenarioRun) progress() float64 {
	switch r.sc.Executor {
	case execShared:
		return min(float64(r.js.Iterations())/float64(r.sc.Iterations), 1)
	case execPerVU:
		return min(float64(r.js.Iterations())/float64(r.sc.Iterations*int64(r.sc.VUs)), 1)
	}
	s := r.start.Load()
	if s == 0 {
		return 0
	}
	if r.end <= 0 {
		return 1
	}
	return min(float64(time.Since(time.Unix(0, s)))/float64(r.end), 1)
}

// scenarioSwarm is the swarm of a run of scenarios: one engine per
// scenario. The plan starts it; the run's Stop stops every scenario.
type scenarioSwarm struct {
	log      *logger
	reg      *stats.Registry
	runs     []*scenarioRun
	ids      atomic.Int64 // users made so far, over all scenarios
	done     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	killMu   sync.Mutex
	kill     context.Context // the run's kill context, set by Stop
	wg       sync.WaitGroup
	started  atomic.Bool
}

var _ swarm = (*scenarioSwarm)(nil)

// start runs every scenario's schedule, each in its goroutine.
func (s *scenarioSwarm) start() {
	if !s.started.CompareAndSwap(false, true) {
		return
	}
	t0 := time.Now()
	for _, r := range s.runs {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.runScenario(r, t0)
		}()
	}
	go func() {
		s.wg.Wait()
		close(s.done)
	}()
}

// sleepUntil waits until t, or until the swarm is stopped or cut (when
// not nil) is closed; it reports whether t came.
func (s *scenarioSwarm) sleepUntil(t time.Time, cut <-chan struct{}) bool {
	d := time.Until(t)
	if d <= 0 {
		select {
		case <-s.stop:
			return false
		default:
			return true
		}
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-s.stop:
		return false
	case <-cut:
		return false
	}
}

// runScenario waits for r's startTime, applies its schedule's steps on
// time, and at its end stops its users, giving running iterations
// gracefulStop. An engine whose users all stopped by themselves (their
// iterations are done) ends the scenario early.
func (s *scenarioSwarm) runScenario(r *scenarioRun, t0 time.Time) {
	sc := r.sc
	if !s.sleepUntil(t0.Add(sc.StartTime), nil) {
		return
	}
	start := time.Now()
	r.start.Store(start.UnixNano())
	r.js.Started(start)
	if sc.StartTime > 0 {
		s.log.Infof("Scenario %s starts", sc.Name)
	}
	steps, end := sc.schedule()
	arrival := false
	for _, st := range steps {
		if !s.sleepUntil(start.Add(st.At), r.eng.Done()) {
			break
		}
		switch {
		case st.Arrival && !arrival:
			arrival = true
			r.eng.StartArrival(st.Rate, sc.PreVUs, sc.MaxVUs)
		case st.Arrival:
			r.eng.SetRate(st.Rate)
		default:
			r.eng.Start(st.Users, k6AllAtOnce)
		}
	}
	stopAt := start.Add(end)
	if arrival {
		// k6 starts the iterations due in [0, end): the one due at end
		// itself must not race the stop.
		stopAt = stopAt.Add(-time.Millisecond)
	}
	cutShort := !s.sleepUntil(stopAt, r.eng.Done())
	if n := r.eng.Users(); n > 0 && !cutShort && sc.GracefulStop > 0 {
		s.log.Infof("Scenario %s: its time is over; %s get up to %v (gracefulStop) to finish their iterations", sc.Name, plural(int64(n), "user", "users"), sc.GracefulStop)
	}
	ctx, cancel := context.WithTimeout(s.killCtx(), sc.GracefulStop)
	defer cancel()
	r.eng.Stop(ctx)
	select {
	case <-s.stop:
		return // the run is stopping: it says why
	default:
	}
	why := "its users are done"
	if !cutShort {
		why = fmt.Sprintf("its time (%v) is over", end)
		// Iterations the time left unstarted are k6's dropped_iterations.
		var planned int64
		switch sc.Executor {
		case execShared:
			planned = sc.Iterations
		case execPerVU:
			planned = sc.Iterations * int64(sc.VUs)
		}
		if left := planned - r.js.Iterations(); left > 0 {
			s.reg.Recorder(0).RecordDropped(left)
			why += fmt.Sprintf(", %d iterations not started (dropped)", left)
		}
	}
	s.log.Infof("Scenario %s has ended: %s (%d iterations started)", sc.Name, why, r.js.Iterations())
}

func (s *scenarioSwarm) killCtx() context.Context {
	s.killMu.Lock()
	defer s.killMu.Unlock()
	if s.kill == nil {
		return context.Background()
	}
	return s.kill
}

// Stop stops every scenario, giving running iterations their
// gracefulStop, or less when ctx ends first.
func (s *scenarioSwarm) Stop(ctx context.Context) {
	s.killMu.Lock()
	s.kill = ctx
	s.killMu.Unlock()
	s.stopOnce.Do(func() { close(s.stop) })
	if !s.started.Load() {
		for _, r := range s.runs {
			r.eng.Stop(ctx)
		}
		return
	}
	// A scenario already ending waits for its gracefulStop under its own
	// context: a kill (ctx done) reaches it here.
	waited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			for _, r := range s.runs {
				r.eng.Kill()
			}
		case <-waited:
		}
	}()
	s.wg.Wait()
	close(waited)
}

// The load is the scenarios': the panel's and the other plans' calls do
// nothing (the web panel refuses scenarios).
func (s *scenarioSwarm) Start(int, float64)                  {}
func (s *scenarioSwarm) StartClasses(int, float64, []string) {}
func (s *scenarioSwarm) StartArrival(float64, int, int)      {}
func (s *scenarioSwarm) SetRate(float64)                     {}

func (s *scenarioSwarm) Users() int {
	n := 0
	for _, r := range s.runs {
		n += r.eng.Users()
	}
	return n
}

func (s *scenarioSwarm) State() engine.State {
	select {
	case <-s.done:
		return engine.Stopped
	case <-s.stop:
		return engine.Stopping
	default:
	}
	if !s.started.Load() {
		return engine.Ready
	}
	return engine.Running
}

func (s *scenarioSwarm) Done() <-chan struct{} { return s.done }

func (s *scenarioSwarm) IterationsStarted() int64 {
	var n int64
	for _, r := range s.runs {
		n += r.js.Iterations()
	}
	return n
}
