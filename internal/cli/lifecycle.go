package cli

import (
	"context"
	"time"

	"github.com/jsload/jsload/internal/cluster"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/js"
)

// The script's lifecycle events and the description of the run (js.Run)
// are wired here. The rule, in every process that takes part (a local run,
// a master, each worker):
//
//   - testStart fires in the process runtime before setup() and before any
//     user starts; testStop after the users stopped and teardown() ran;
//   - spawningComplete when the planned users run: on a local run and a
//     master when the engine (or every worker) says so, on a worker when the
//     master says so (as Locust forwards it), with an arrival rate as soon as
//     the pre-allocated users exist;
//   - quitting once, as the process leaves.

// trackedSwarm is a swarm that keeps the run's target user count in a
// js.Run, for scripts to read.
type trackedSwarm struct {
	swarm
	run *js.Run
}

func track(sw swarm, run *js.Run) swarm {
	run.SetState(func() string { return sw.State().String() })
	return &trackedSwarm{swarm: sw, run: run}
}

func (t *trackedSwarm) Start(users int, rate float64) {
	t.run.SetUsers(users)
	t.swarm.Start(users, rate)
}

func (t *trackedSwarm) StartClasses(users int, rate float64, names []string) {
	t.run.SetUsers(users)
	t.swarm.StartClasses(users, rate, names)
}

// StartArrival starts an arrival rate: its pre-allocated users exist
// once it returns (a master's workers make theirs on their own), so
// spawning is complete.
func (t *trackedSwarm) StartArrival(rate float64, initial, maxVUs int) {
	n := min(max(initial, 1), max(maxVUs, 1))
	t.run.SetUsers(n)
	t.swarm.StartArrival(rate, initial, maxVUs)
	t.run.SpawningComplete(n)
}

// LostWorkers passes a master's lost workers through.
func (t *trackedSwarm) LostWorkers() []stats.LostWorker {
	if l, ok := t.swarm.(lostWorkerLister); ok {
		return l.LostWorkers()
	}
	return nil
}

// startLifecycle fires testStart in the process runtime, when the script
// has lifecycle listeners; it returns the runtime, or nil.
func (r *testRun) startLifecycle(ctx context.Context) (*js.Lifecycle, error) {
	if !r.script.HasLifecycle {
		return nil, nil
	}
	lc := r.script.Lifecycle()
	return lc, lc.TestStart(ctx, r.env)
}

// quitScript fires the quitting listeners of script as the process leaves,
// bounded by the stop timeout (plus a few seconds).
func quitScript(script *js.Script, stopTimeout time.Duration) {
	if script == nil || !script.HasLifecycle {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout+5*time.Second)
	defer cancel()
	script.Lifecycle().Quit(ctx)
}

// The worker's side: the cluster's worker tells its job where it stands
// (cluster.Placer), when the whole swarm is spawned (cluster.SpawnNotifier)
// and when a test ended (cluster.TestEnder).
var (
	_ cluster.Placer        = (*workerJob)(nil)
	_ cluster.SpawnNotifier = (*workerJob)(nil)
	_ cluster.TestEnder     = (*workerJob)(nil)
)

func (j *workerJob) Place(index, count int) {
	j.env.Run.SetWorker(index, func() int { return count })
}

func (j *workerJob) SpawningComplete(users int) { j.env.Run.SpawningComplete(users) }

func (j *workerJob) EndTest() {
	j.watchSaturation(false)
	if j.life != nil {
		ctx, cancel := context.WithTimeout(context.Background(), j.cfg.StopTimeout+5*time.Second)
		defer cancel()
		j.life.TestStop(ctx)
		j.life = nil
	}
}

// beginWorkerTest starts a worker's test: the run's description is reset,
// testStart fires, and the users' engine is made (tracked).
func (j *workerJob) beginWorkerTest() (cluster.Swarm, error) {
	j.env.Run.NewTest()
	if j.script.HasLifecycle {
		lc := j.script.Lifecycle()
		if err := lc.TestStart(context.Background(), j.env); err != nil {
			return nil, err
		}
		j.life = lc
	}
	e := newEngine(&j.cfg, j.script, j.env, j.reg, j.log, j.panicked)
	j.env.Run.SetState(func() string { return e.State().String() })
	j.watchSaturation(true)
	return &workerSwarm{notingEngine: e, run: j.env.Run}, nil
}

// watchSaturation stops the worker's saturation watch, if one runs, and
// with start starts a new one: each worker says in its own log when it is
// saturated (its master runs no users).
func (j *workerJob) watchSaturation(start bool) {
	j.satMu.Lock()
	defer j.satMu.Unlock()
	if j.satStop != nil {
		j.satStop()
		j.satStop = nil
	}
	if start {
		j.satStop = tickSaturation(newSatWatch(j.log), newGCTuner(j.log), time.Second)
	}
}

// workerSwarm is a worker's engine keeping the target in the js.Run.
type workerSwarm struct {
	*notingEngine
	run *js.Run
}

func (w *workerSwarm) StartCounts(counts []int, rate float64) {
	n := 0
	for _, c := range counts {
		n += c
	}
	w.run.SetUsers(n)
	w.notingEngine.StartCounts(counts, rate)
}

func (w *workerSwarm) StartArrival(rate float64, initial, maxVUs int) {
	w.run.SetUsers(min(max(initial, 1), max(maxVUs, 1)))
	w.notingEngine.StartArrival(rate, initial, maxVUs)
	w.run.SpawningComplete(min(max(initial, 1), max(maxVUs, 1)))
}
