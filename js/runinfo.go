package js

import (
	"sync"

	"github.com/dop251/goja"
)

// Run is the description of the run that scripts read as `run` (import
// { run } from "jsload"), shared by every runtime of the process, and what
// waitForSpawningComplete() waits for. Go sets it; scripts only read it.
// Its methods are safe for concurrent use.
type Run struct {
	mu      sync.Mutex
	users   int           // the target number of users in this process's view
	state   func() string // the swarm's state; nil: "ready"
	index   int           // the worker's index; 0 when not distributed, -1 on a master
	count   func() int    // the number of workers; nil: 1
	spawned chan struct{} // closed when spawning completes, once per test
	didOnce bool
	life    *Lifecycle // fired on spawning complete; nil without one

	// Parameters is the hook for the script's custom parameters (name to
	// value): when not nil, run.parameters shows them (read-only). It is
	// set from Go before the first runtime is made and not changed after.
	Parameters map[string]any
}

// NewRun makes the description of a run that has not started.
func NewRun() *Run { return &Run{spawned: make(chan struct{})} }

// run returns env's Run, made on first use for an Env without one.
func (e *Env) run() *Run {
	e.runOnce.Do(func() {
		if e.Run == nil {
			e.Run = NewRun()
		}
	})
	return e.Run
}

// SetUsers sets the target number of users.
func (r *Run) SetUsers(n int) {
	r.mu.Lock()
	r.users = n
	r.mu.Unlock()
}

// SetState makes the state read from f (the swarm's).
func (r *Run) SetState(f func() string) {
	r.mu.Lock()
	r.state = f
	r.mu.Unlock()
}

// SetWorker sets the worker's index and the number of workers (count
// returns it); index -1 is the master.
func (r *Run) SetWorker(index int, count func() int) {
	r.mu.Lock()
	r.index, r.count = index, count
	r.mu.Unlock()
}

// NewTest readies the Run for another test in the same environment (a
// worker's): spawning is to complete again.
func (r *Run) NewTest() {
	r.mu.Lock()
	if r.didOnce {
		r.spawned, r.didOnce = make(chan struct{}), false
	}
	r.mu.Unlock()
}

func (r *Run) setLife(l *Lifecycle) {
	r.mu.Lock()
	r.life = l
	r.mu.Unlock()
}

func (r *Run) spawnedChan() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.spawned
}

// SpawningComplete says that the planned users are running (or, with an
// arrival rate, that the pre-allocated users exist): the spawningComplete
// listeners of the process runtime run (each time spawning completes, as
// Locust's event), then users waiting in waitForSpawningComplete() go on
// (the first time).
func (r *Run) SpawningComplete(users int) {
	r.mu.Lock()
	l := r.life
	r.mu.Unlock()
	if l != nil {
		l.spawningComplete(users)
	}
	r.mu.Lock()
	if !r.didOnce {
		r.didOnce = true
		close(r.spawned)
	}
	r.mu.Unlock()
}

// runObject is `run` in a runtime: a read-only view of a Run.
type runObject struct {
	vu *VU
}

var runKeys = []string{"users", "state", "workerIndex", "workerCount"}

func (o *runObject) Get(key string) goja.Value {
	r := o.vu.env.run()
	rt := o.vu.rt
	r.mu.Lock()
	defer r.mu.Unlock()
	switch key {
	case "users":
		return rt.ToValue(r.users)
	case "state":
		if r.state == nil {
			return rt.ToValue("ready")
		}
		return rt.ToValue(r.state())
	case "workerIndex":
		return rt.ToValue(r.index)
	case "workerCount":
		if r.count == nil {
			return rt.ToValue(1)
		}
		return rt.ToValue(r.count())
	case "parameters":
		if r.Parameters != nil {
			// The map is shared by every runtime: read-only (writes throw),
			// as the module's params (Object.freeze does not hold a Go map).
			return rt.NewDynamicObject(&paramsObject{rt: rt, vals: r.Parameters})
		}
	}
	return nil
}

// Set and Delete throw, in sloppy code too: nothing is ignored silently.
func (o *runObject) Set(key string, _ goja.Value) bool {
	panic(o.vu.rt.NewTypeError("run.%s is read-only: run describes the test, and jsload sets it", key))
}
func (o *runObject) Has(key string) bool { return o.Get(key) != nil }
func (o *runObject) Delete(key string) bool {
	panic(o.vu.rt.NewTypeError("run.%s is read-only: run describes the test, and jsload sets it", key))
}
func (o *runObject) Keys() []string {
	if o.vu.env.run().Parameters != nil {
		return append(runKeys[:len(runKeys):len(runKeys)], "parameters")
	}
	return runKeys
}

func (vu *VU) newRunObject() goja.Value { return vu.rt.NewDynamicObject(&runObject{vu: vu}) }
