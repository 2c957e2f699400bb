package cli

import (
	"context"
	"errors"
	"time"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/js"
)

// execute runs one headless test of p and prints its results; log is the
// one p reports to. It returns
// the exit code, and whether the test ended because restart fired (--watch).
func execute(st *State, script *js.Script, cfg *config.Run, p *testPlan, sig *signals, log *logger, restart <-chan struct{}) (code int, restarted bool) {
	sig.use(log, cfg.StopTimeout)
	r := newTestRun(st, script, cfg, log, cfg.Host)
	if m, ok := p.load.(swarmMaker); ok {
		r.maker = m
	}
	r.reg.Want(k6Wants(p.thresholds))
	if err := r.openOutputs(); err != nil {
		log.Errorf("%v", err)
		return ExitInvalid, false
	}
	defer r.outs.Close()
	var master *masterOf
	if cfg.Cluster.Master {
		m, code := startAndWait(st, cfg, script, r.reg, sig, log)
		if m == nil {
			return code, false
		}
		defer m.close()
		master = m
	}
	if master == nil && r.maker == nil && !cfg.Cluster.Worker {
		// Before the test's start, setup() and its clock: k6's init phase.
		n := usersToPrepare(p.load, cfg.RunTime)
		r.prepared = prepareUsers(sig.stopCtx, script, r.env, n, burstUsers(p.load, n), log)
		if sig.stopCtx.Err() != nil {
			// A stop while the users were prepared: no test starts,
			// and setup() does not run.
			return r.stoppedBeforeStart("while preparing the users", sig), false
		}
	}
	if err := r.begin(sig.stopCtx, master); err != nil {
		r.prepared.close()
		if errors.Is(err, errStoppedInSetup) {
			return r.stoppedBeforeStart("during setup()", sig), false
		}
		log.Errorf("setup() failed: %v", err)
		r.finish(0, time.Now(), nil, false)
		return max(cfg.ExitCodeOnError, 1), false
	}
	r.vusMax = p.load.peakUsers() // k6's vus_max: the most users the plan may run
	logLimits(cfg, p, log)
	if master == nil {
		checkOpenFiles(p.load.peakUsers(), log)
	}
	ended, err := p.load.begin(sig.stopCtx, r.swarm(), r.env)
	defer p.load.close()
	if err != nil {
		log.Errorf("%v", err)
		return ExitInvalid, false
	}
	if ended {
		r.finish(0, time.Now(), nil, false)
		return ExitOK, false
	}
	reason, restarted := runUntilStopped(r, p, sig, restart)
	users := r.swarm().Users()
	runEnd := time.Now()
	kill := sig.killCtx
	if restarted {
		// The script changed: the old run has nothing left to finish.
		var cancel context.CancelFunc
		kill, cancel = context.WithCancel(kill)
		cancel()
	}
	r.stop(kill, !restarted)
	r.meta.Stopped = r.stoppedNote(reason, restarted, sig)
	code = r.finish(users, runEnd, p.thresholds, reason == stopPlanFailed || reason == stopAborted)
	if reason == stopAborted && code == ExitOK {
		code = ExitOnError // --exit-code-on-error 0 does not hide an abort
	}
	if reason == stopThreshold && code != ExitInternal {
		code = ExitThreshold // stopped by abortOnFail, even if the threshold passes at the end
	}
	if reason == stopAsked && !restarted {
		code = interrupted(code, sig)
	}
	return shuttingDown(log, code), restarted
}

// shuttingDown logs the line that ends a run, headless or in the web
// panel, with its exit code, and returns the code.
func shuttingDown(log *logger, code int) int {
	log.Infof("Shutting down (exit code %d)", code)
	return code
}

// runUntilStopped waits for the end of a headless test (r.wait) and says
// why it ended; restarted reports that restart fired.
func runUntilStopped(r *testRun, p *testPlan, sig *signals, restart <-chan struct{}) (reason stopReason, restarted bool) {
	stop := make(chan struct{})
	waited := make(chan struct{})
	var byRestart bool
	go func() {
		defer close(stop)
		select {
		case <-sig.stop:
		case <-sig.killCtx.Done():
		case <-restart:
			byRestart = true
		case <-waited:
		}
	}()
	r.outs.Start(time.Now())
	reason = r.wait(sig.stopCtx, waitFor{plan: p.load, thresholds: p.thresholds, runTime: r.cfg.RunTime, stop: stop})
	close(waited)
	<-stop
	r.log.setStatus("")
	switch reason {
	case stopRunTime:
		r.log.Infof("--run-time limit reached, shutting down")
	case stopUsersDone:
		r.log.Infof("%s", p.load.finished(r.swarm()))
	case stopAborted:
		r.log.Errorf("%s (exec.test.abort()): stopping the test as failed", r.abortWhy)
	}
	return reason, reason == stopAsked && byRestart
}

// stoppedBeforeStart ends a run an interrupt stopped before any user
// started (when, e.g. "during setup()"): it says so on screen and in the
// files, and returns the signal's exit code.
func (r *testRun) stoppedBeforeStart(when string, sig *signals) int {
	r.log.Infof("stopped %s: no user was started", when)
	r.meta.Stopped = r.stoppedNote(stopAsked, false, sig)
	r.finish(0, time.Now(), nil, false)
	return sig.exitCode()
}

// stoppedNote is what the files say of a run that ended before its
// planned end (report.Meta.Stopped), "" for one that did not.
func (r *testRun) stoppedNote(reason stopReason, restarted bool, sig *signals) string {
	switch {
	case reason == stopAsked && !restarted:
		switch sig.exitCode() {
		case 130:
			return "interrupted by SIGINT (Ctrl-C) before its planned end"
		case 143:
			return "interrupted by SIGTERM before its planned end"
		case 0:
			return ""
		}
		return "interrupted by a signal before its planned end"
	case reason == stopAborted:
		return r.abortWhy + " (exec.test.abort())"
	case reason == stopThreshold:
		return "stopped by a failed abortOnFail threshold"
	case reason == stopPlanFailed:
		return "stopped: the load plan failed"
	case reason == stopHostMissing:
		return "stopped: " + js.ErrNoHost
	}
	return ""
}

// logLimits says which limits the test runs with, and which options have
// no effect with its load plan.
func logLimits(cfg *config.Run, p *testPlan, log *logger) {
	if cfg.RunTime > 0 {
		log.Infof("Run time limit set to %v", cfg.RunTime)
	}
	if p.arrival && cfg.ResetStats {
		log.Warnf("--reset-stats has no effect with an arrival rate: there is no spawning phase to end")
	}
	if !p.arrival && cfg.MaxVUs > 0 {
		log.Warnf("--max-vus only applies with --arrival-rate (or stages of rate)")
	}
}

// interrupted is the exit code of a run an interrupt stopped before its
// planned end: 130 (SIGINT) or 143 (SIGTERM), unless code says invalid
// input or a bug, which say more.
func interrupted(code int, sig *signals) int {
	if ic := sig.exitCode(); ic != 0 && code != ExitInvalid && code != ExitInternal {
		return ic
	}
	return code
}
