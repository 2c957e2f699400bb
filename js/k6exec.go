package js

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// k6 scenarios and k6/execution. A k6 scenario's users are ordinary VUs
// made with NewScenarioVU: each iteration calls the scenario's exec
// function, __ENV has the scenario's env on top, and k6/execution reads
// the scenario's and the process's counters from here. Who starts and
// stops the users (the executors) is internal/cli's.

// Scenario is one k6 scenario as its users see it. The cli makes one per
// scenario and shares it among the scenario's users.
type Scenario struct {
	Name     string
	Executor string
	Exec     string            // the export each iteration calls ("default")
	Env      map[string]string // laid over __ENV
	Tags     map[string]string // the scenario's tags (exec.vu.tags)
	// Progress is the scenario's progress from 0 to 1; nil means 0.
	Progress func() float64

	start atomic.Int64 // when the scenario started, Unix ms; 0 before
	iters atomic.Int64 // iterations started in this process
}

// Started records when the scenario started (exec.scenario.startTime).
func (sc *Scenario) Started(t time.Time) { sc.start.Store(t.UnixMilli()) }

// Iterations is how many iterations the scenario's users started.
func (sc *Scenario) Iterations() int64 { return sc.iters.Load() }

// vars is __ENV for a user of sc: env's variables with sc.Env on top.
func (sc *Scenario) vars(env *Env) map[string]string {
	base := env.vars()
	if sc == nil || len(sc.Env) == 0 {
		return base
	}
	m := make(map[string]string, len(base)+len(sc.Env))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range sc.Env {
		m[k] = v
	}
	return m
}

// Execution is what k6/execution reports of this process's run: its
// start, its users and iterations, and how a script aborts it.
type Execution struct {
	Start time.Time
	// VUsActive and VUsInitialized count the users; nil means 0.
	VUsActive, VUsInitialized func() int
	// Abort stops the run as failed (exec.test.abort(reason)); it may be
	// called from any user, more than once. nil: abort only stops the user.
	Abort func(reason string)
	// Executor is the executor of the one scenario a k6 script without
	// options.scenarios runs (its shortcuts').
	Executor string

	completed   atomic.Int64
	interrupted atomic.Int64
	iters       atomic.Int64 // iterations started in the shortcuts' scenario
}

// Completed and Interrupted are the iterations that ran to their end, and
// those a stop cut off.
func (x *Execution) Completed() int64   { return x.completed.Load() }
func (x *Execution) Interrupted() int64 { return x.interrupted.Load() }

// NewScenarioVU makes a user of k6 scenario sc: id is its number in the
// test (__VU, exec.vu.idInTest), and each iteration calls the export
// sc.Exec with the setup data.
func (s *Script) NewScenarioVU(ctx context.Context, env *Env, id int, sc *Scenario) (*VU, error) {
	vu, err := s.newVUIn(ctx, env, id, sc)
	if err != nil {
		return nil, err
	}
	if err := vu.Bind(ctx, 0); err != nil {
		vu.Close()
		return nil, err
	}
	if sc.Exec != "" && sc.Exec != "default" {
		fn, ok := goja.AssertFunction(vu.exports.Get(sc.Exec))
		root := vu.frames[0]
		if !ok || len(root.fns) != 1 {
			vu.Close()
			return nil, fmt.Errorf("scenario %s: exec %q is not an exported function", sc.Name, sc.Exec)
		}
		root.fns[0] = fn
	}
	return vu, nil
}

// ExportedFunctions are the names of the functions the script exports
// (what a scenario's exec may name).
func (s *Script) ExportedFunctions() []string { return slices.Clone(s.funcs) }

// Scenario is the name of the k6 scenario vu runs in, "default" when the
// script has none (k6's name for the one scenario of vus and duration).
func (vu *VU) Scenario() string {
	if vu.scen == nil {
		return "default"
	}
	return vu.scen.Name
}

// k6IterStart and k6IterEnd count an iteration for k6/execution, in k6
// scripts only: the test-wide counters are shared by all users, which a
// jsload script's tasks have no reason to touch.
func (vu *VU) k6IterStart() {
	if !vu.s.K6 {
		return
	}
	if vu.scen != nil {
		vu.scenIter = vu.scen.iters.Add(1) - 1
	} else if x := vu.env.K6; x != nil {
		vu.scenIter = x.iters.Add(1) - 1
	}
}

func (vu *VU) k6IterEnd(ctx context.Context) {
	if x := vu.env.K6; x != nil && vu.s.K6 {
		if ctx.Err() != nil {
			x.interrupted.Add(1)
		} else {
			x.completed.Add(1)
		}
	}
}

// k6Exec is k6/execution's default export (and its parts vu, scenario,
// instance and test). A field jsload does not have throws, naming it.
type k6Exec struct {
	vu   *VU
	part string // "" for the module, else the part's name
}

var k6ExecKeys = map[string][]string{
	"":         {"vu", "scenario", "instance", "test"},
	"vu":       {"idInInstance", "idInTest", "iterationInInstance", "iterationInScenario", "tags"},
	"scenario": {"name", "executor", "startTime", "progress", "iterationInInstance", "iterationInTest"},
	"instance": {"iterationsCompleted", "iterationsInterrupted", "vusActive", "vusInitialized", "currentTestRunDuration"},
	"test":     {"abort", "options"},
}

func (e *k6Exec) Get(key string) goja.Value {
	vu := e.vu
	rt := vu.rt
	x := vu.env.K6
	count := func(f func() int) goja.Value {
		if f == nil {
			return rt.ToValue(0)
		}
		return rt.ToValue(f())
	}
	switch e.part + "." + key {
	case ".vu", ".scenario", ".instance", ".test":
		return rt.NewDynamicObject(&k6Exec{vu: vu, part: key})
	case "vu.idInInstance", "vu.idInTest":
		return rt.ToValue(vu.id)
	case "vu.iterationInInstance", "vu.iterationInScenario":
		return rt.ToValue(max(vu.iter-1, 0)) // vu.iter counts the running one (flow.go): __ITER
	case "vu.tags":
		tags := rt.NewObject()
		if vu.scen != nil {
			for k, v := range vu.scen.Tags {
				must(tags.Set(k, v))
			}
		}
		must(tags.Set("scenario", vu.Scenario()))
		return tags
	case "scenario.name":
		return rt.ToValue(vu.Scenario())
	case "scenario.executor":
		if vu.scen == nil {
			if x == nil {
				return rt.ToValue("")
			}
			return rt.ToValue(x.Executor)
		}
		return rt.ToValue(vu.scen.Executor)
	case "scenario.startTime":
		if vu.scen != nil {
			return rt.ToValue(vu.scen.start.Load())
		}
		if x != nil {
			return rt.ToValue(x.Start.UnixMilli())
		}
		return rt.ToValue(0)
	case "scenario.progress":
		if vu.scen == nil || vu.scen.Progress == nil {
			return rt.ToValue(0)
		}
		return rt.ToValue(vu.scen.Progress())
	case "scenario.iterationInInstance", "scenario.iterationInTest":
		if vu.scen == nil && x == nil {
			return rt.ToValue(max(vu.iter-1, 0))
		}
		return rt.ToValue(vu.scenIter)
	case "instance.iterationsCompleted", "instance.iterationsInterrupted":
		if x == nil {
			return rt.ToValue(0)
		}
		if key == "iterationsCompleted" {
			return rt.ToValue(x.Completed())
		}
		return rt.ToValue(x.Interrupted())
	case "instance.vusActive", "instance.vusInitialized":
		if x == nil {
			return rt.ToValue(0)
		}
		if key == "vusActive" {
			return count(x.VUsActive)
		}
		return count(x.VUsInitialized)
	case "instance.currentTestRunDuration":
		if x == nil || x.Start.IsZero() {
			return rt.ToValue(0)
		}
		return rt.ToValue(float64(time.Since(x.Start).Microseconds()) / 1000)
	case "test.abort":
		return rt.ToValue(vu.k6Abort)
	case "test.options":
		// The script's options as it exported them, without the
		// shortcuts k6 leaves out (vus, duration, iterations, stages).
		b, err := json.Marshal(vu.s.exported)
		if err != nil {
			panic(rt.NewGoError(err))
		}
		o, err := vu.jsonParse(goja.Undefined(), rt.ToValue(string(b)))
		if err != nil {
			panic(err)
		}
		if obj, ok := o.(*goja.Object); ok {
			for _, k := range []string{"vus", "duration", "iterations", "stages"} {
				_ = obj.Delete(k)
			}
		}
		return o
	}
	switch key {
	case "__esModule", "toJSON", "toString", "valueOf", "constructor", "then":
		return nil // asked by the bundle's import helper, JSON and console
	}
	what := "exec." + key
	if e.part != "" {
		what = "exec." + e.part + "." + key
	}
	panic(rt.NewTypeError("k6/execution: %s is not supported by jsload (it has %s)", what, strings.Join(k6ExecKeys[e.part], ", ")))
}

func (e *k6Exec) Set(key string, _ goja.Value) bool {
	panic(e.vu.rt.NewTypeError("k6/execution is read-only"))
}
func (e *k6Exec) Has(key string) bool    { return slices.Contains(k6ExecKeys[e.part], key) }
func (e *k6Exec) Delete(key string) bool { return false }
func (e *k6Exec) Keys() []string         { return slices.Clone(k6ExecKeys[e.part]) }

// k6Abort implements exec.test.abort([reason]): the run stops as failed
// (Execution.Abort) and this user stops at once. In setup() or
// teardown() (no user), it throws, so that setup fails.
func (vu *VU) k6Abort(c goja.FunctionCall) goja.Value {
	reason := "test aborted"
	if a := c.Argument(0); !goja.IsUndefined(a) && !goja.IsNull(a) {
		reason = "test aborted: " + a.String()
	}
	if vu.id == 0 || vu.frames == nil {
		panic(vu.rt.NewGoError(fmt.Errorf("%s", reason)))
	}
	if x := vu.env.K6; x != nil && x.Abort != nil {
		x.Abort(reason)
	}
	vu.raise(&signal{kind: sigStopUser})
	return goja.Undefined()
}
