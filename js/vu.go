package js

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
)

// ErrStopUser is returned by RunTask when the user stopped itself.
var ErrStopUser = errors.New("user stopped itself")

// errStopped is the value a VU's runtime is interrupted with when its
// context ends.
var errStopped = errors.New("the test is stopping")

// waitKind is how a VU computes its wait between tasks.
type waitKind int

const (
	waitNone waitKind = iota
	waitBetween
	waitConstant
	waitPacing
	waitFunc // a JS function returning seconds
)

// natives are the values the prelude hands back to Go.
type natives struct {
	describe goja.Callable
	waitKey  string
	taskKey  string
}

// VU is one virtual user: a goja runtime with the script evaluated in it,
// the user-class instance (or the exported tasks), an HTTP client with its
// own connections and cookies, and a stats recorder. A VU is used by one
// goroutine at a time.
type VU struct {
	s      *Script
	env    *Env
	id     int
	rt     *goja.Runtime
	native natives
	rec    stats.Recorder
	client *httpc.Client
	rnd    *rand.Rand

	exports *goja.Object
	module  *goja.Object
	data    goja.Value // setup() data, or undefined

	class   *ClassInfo
	this    goja.Value
	tasks   []goja.Callable
	names   []string
	cum     []int // cumulative weights
	total   int
	onStart goja.Callable
	onStop  goja.Callable

	wait         waitKind
	waitA, waitB time.Duration
	waitFn       goja.Callable

	iter    int64
	ctx     context.Context
	intrWG  sync.WaitGroup
	intrFn  func()
	pending []*response

	host        string
	hostWarned  bool
	jsonParse   goja.Callable
	jsonStr     goja.Callable
	respMethods respMethods
}

// ID is the VU's number (__VU): 1-based; 0 for setup and teardown.
func (vu *VU) ID() int { return vu.id }

// newVU makes a runtime, installs the jsload module and globals, and
// evaluates the script in it.
func (s *Script) newVU(env *Env, id int) (*VU, error) {
	rt := goja.New()
	vu := &VU{
		s: s, env: env, id: id, rt: rt,
		rec:  env.Registry.Recorder(id),
		rnd:  rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id)*0x9e3779b97f4a7c15+1)),
		ctx:  context.Background(),
		data: goja.Undefined(),
		host: env.Host,
	}
	vu.intrFn = func() {
		rt.Interrupt(errStopped)
		vu.intrWG.Done()
	}
	jsonObj := rt.Get("JSON").(*goja.Object)
	vu.jsonParse, _ = goja.AssertFunction(jsonObj.Get("parse"))
	vu.jsonStr, _ = goja.AssertFunction(jsonObj.Get("stringify"))
	vu.respMethods = newRespMethods(vu)

	native := rt.NewObject()
	httpObj := vu.newHTTP()
	must(native.Set("http", httpObj))
	must(native.Set("events", vu.newEvents()))
	must(native.Set("sleep", vu.sleep))
	pre, err := rt.RunProgram(preludeProg)
	if err != nil {
		return nil, fmt.Errorf("starting the jsload module: %w", err)
	}
	preFn, _ := goja.AssertFunction(pre)
	modV, err := preFn(goja.Undefined(), native)
	if err != nil {
		return nil, fmt.Errorf("starting the jsload module: %w", err)
	}
	mod := modV.(*goja.Object)
	vu.native.describe, _ = goja.AssertFunction(native.Get("describe"))
	vu.native.waitKey = native.Get("waitKey").String()
	vu.native.taskKey = native.Get("taskKey").String()

	vars := env.Vars
	if vars == nil {
		vars = map[string]string{}
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = v
			}
		}
	}
	envObj := rt.NewObject()
	for k, v := range vars {
		must(envObj.Set(k, v))
	}
	module := rt.NewObject()
	exports := rt.NewObject()
	must(module.Set("exports", exports))
	g := rt.GlobalObject()
	must(g.Set("module", module))
	must(g.Set("exports", exports))
	must(g.Set("require", func(c goja.FunctionCall) goja.Value {
		name := c.Argument(0).String()
		switch name {
		case "jsload":
			return mod
		case "jsload/http":
			return httpObj
		case "jsload/events":
			return mod.Get("events")
		}
		panic(rt.NewTypeError("cannot find module %q: only \"jsload\" is built in; relative imports are bundled, and npm packages must be imported by a relative path", name))
	}))
	must(g.Set("__VU", id))
	must(g.Set("__ITER", 0))
	must(g.Set("__ENV", envObj))
	must(g.Set("console", vu.newConsole()))
	vu.module = module

	if _, err := rt.RunProgram(s.prog); err != nil {
		return nil, vu.scriptError(err, "")
	}
	ex, ok := module.Get("exports").(*goja.Object)
	if !ok {
		return nil, &ScriptError{File: s.Path, Msg: "the script's exports are not an object"}
	}
	vu.exports = ex
	if env.SetupData != "" {
		d, err := vu.jsonParse(goja.Undefined(), rt.ToValue(env.SetupData))
		if err != nil {
			return nil, fmt.Errorf("passing setup data: %w", err)
		}
		vu.data = d
	}
	return vu, nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// Bind makes vu a user of the given class: it creates the class instance
// (or resolves the exported tasks) and its hooks and wait time, once, so
// that each task call is cheap.
func (vu *VU) Bind(class int) error {
	s := vu.s
	if class < 0 || class >= len(s.Classes) {
		return fmt.Errorf("no user class %d", class)
	}
	c := &s.Classes[class]
	vu.class = c
	rt := vu.rt
	var holder *goja.Object
	if c.Key == "" { // exported tasks
		vu.this = goja.Undefined()
		holder = vu.exports
		for _, t := range c.Tasks {
			d, _ := vu.exports.Get(t.Name).(*goja.Object)
			fn, ok := goja.AssertFunction(d.Get("fn"))
			if !ok {
				return fmt.Errorf("task %s is not a function", t.Name)
			}
			vu.addTask(t, fn)
		}
	} else {
		inst, err := rt.New(vu.exports.Get(c.Key))
		if err != nil {
			return vu.scriptError(err, "creating user "+c.Name)
		}
		vu.this = inst
		holder = inst
		for _, t := range c.Tasks {
			fn, ok := goja.AssertFunction(inst.Get(t.Name))
			if !ok {
				return &ScriptError{File: s.Path, Msg: fmt.Sprintf("user class %s: task %s is not a method", c.Name, t.Name)}
			}
			vu.addTask(t, fn)
		}
		if c.Host != "" && vu.host == "" {
			vu.host = c.Host
		}
	}
	vu.onStart = hook(holder, "onStart", "on_start")
	vu.onStop = hook(holder, "onStop", "on_stop")
	var wv goja.Value
	if c.Key != "" {
		wv = firstDefined(holder, "waitTime", "wait_time")
	}
	if wv == nil {
		if o, ok := vu.exports.Get("options").(*goja.Object); ok {
			wv = firstDefined(o, "waitTime")
		}
	}
	return vu.setWait(wv)
}

func (vu *VU) addTask(t TaskInfo, fn goja.Callable) {
	if t.Weight <= 0 {
		return
	}
	vu.total += t.Weight
	vu.tasks = append(vu.tasks, fn)
	vu.names = append(vu.names, t.Name)
	vu.cum = append(vu.cum, vu.total)
}

func firstDefined(o *goja.Object, keys ...string) goja.Value {
	for _, k := range keys {
		if v := o.Get(k); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			return v
		}
	}
	return nil
}

func hook(o *goja.Object, keys ...string) goja.Callable {
	if v := firstDefined(o, keys...); v != nil {
		fn, _ := goja.AssertFunction(v)
		return fn
	}
	return nil
}

func (vu *VU) setWait(v goja.Value) error {
	if v == nil {
		vu.wait = waitNone
		return nil
	}
	if fn, ok := goja.AssertFunction(v); ok {
		if d, ok := v.(*goja.Object).Get(vu.native.waitKey).(*goja.Object); ok {
			a := seconds(d.Get("a").ToFloat())
			b := seconds(d.Get("b").ToFloat())
			switch d.Get("kind").String() {
			case "between":
				vu.wait, vu.waitA, vu.waitB = waitBetween, a, b
			case "constant":
				vu.wait, vu.waitA = waitConstant, a
			case "pacing":
				vu.wait, vu.waitA = waitPacing, a
			}
			return nil
		}
		vu.wait, vu.waitFn = waitFunc, fn
		return nil
	}
	if n := v.ToFloat(); goja.IsNumber(v) && n >= 0 {
		vu.wait, vu.waitA = waitConstant, seconds(n)
		return nil
	}
	return &ScriptError{File: vu.s.Path, Msg: fmt.Sprintf("waitTime must be between(a, b), constant(s), constantPacing(s), constantThroughput(n), a number of seconds or a function returning one; got %s", v.String())}
}

// WaitTime is how long to wait before the next task, given the last one's
// duration.
func (vu *VU) WaitTime(last time.Duration) time.Duration {
	switch vu.wait {
	case waitBetween:
		if vu.waitB <= vu.waitA {
			return vu.waitA
		}
		return vu.waitA + time.Duration(vu.rnd.Int64N(int64(vu.waitB-vu.waitA)+1))
	case waitConstant:
		return vu.waitA
	case waitPacing:
		if w := vu.waitA - last; w > 0 {
			return w
		}
		return 0
	case waitFunc:
		v, err := vu.invoke(context.Background(), vu.waitFn, vu.this)
		if err != nil {
			vu.recordException(err, "waitTime")
			return time.Second
		}
		return seconds(v.ToFloat())
	}
	return 0
}

// pick chooses a task index by weight.
func (vu *VU) pick() int {
	if len(vu.tasks) == 1 {
		return 0
	}
	r := vu.rnd.IntN(vu.total)
	lo, hi := 0, len(vu.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if vu.cum[m] > r {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// OnStart runs the user's onStart hook, if any.
func (vu *VU) OnStart(ctx context.Context) {
	if vu.onStart != nil {
		_, err := vu.invoke(ctx, vu.onStart, vu.this, vu.data)
		vu.flushPending()
		if err != nil {
			vu.recordException(err, "onStart")
		}
	}
}

// OnStop runs the user's onStop hook, if any.
func (vu *VU) OnStop(ctx context.Context) {
	if vu.onStop != nil {
		_, err := vu.invoke(ctx, vu.onStop, vu.this, vu.data)
		vu.flushPending()
		if err != nil {
			vu.recordException(err, "onStop")
		}
	}
}

// RunTask picks a task by weight and runs it. A task that throws is counted
// in the exceptions and the VU goes on.
func (vu *VU) RunTask(ctx context.Context) error {
	i := vu.pick()
	must(vu.rt.Set("__ITER", vu.iter))
	vu.iter++
	_, err := vu.invoke(ctx, vu.tasks[i], vu.this, vu.data)
	vu.flushPending()
	if err != nil {
		vu.recordException(err, vu.names[i])
	}
	return nil
}

// Close releases the VU's connections.
func (vu *VU) Close() {
	if vu.client != nil {
		vu.client.CloseIdle()
	}
}

// invoke calls fn with ctx as the VU's context: when ctx ends, the runtime
// is interrupted, whatever the JS is doing.
func (vu *VU) invoke(ctx context.Context, fn goja.Callable, this goja.Value, args ...goja.Value) (goja.Value, error) {
	vu.ctx = ctx
	vu.intrWG.Add(1)
	stop := context.AfterFunc(ctx, vu.intrFn)
	v, err := fn(this, args...)
	if stop() {
		vu.intrWG.Done()
	} else {
		vu.intrWG.Wait()
	}
	vu.rt.ClearInterrupt()
	vu.ctx = context.Background()
	return v, err
}

func (vu *VU) call(fn goja.Callable, this goja.Value, args ...goja.Value) (goja.Value, error) {
	v, err := fn(this, args...)
	if err != nil {
		return nil, vu.scriptError(err, "")
	}
	return v, nil
}

// callExport calls an exported function by name, with ctx.
func (vu *VU) callExport(ctx context.Context, name string, args ...goja.Value) (goja.Value, error) {
	fn, ok := goja.AssertFunction(vu.exports.Get(name))
	if !ok {
		return nil, &ScriptError{File: vu.s.Path, Msg: name + " is not a function"}
	}
	v, err := vu.invoke(ctx, fn, goja.Undefined(), args...)
	vu.flushPending()
	if err != nil {
		return nil, vu.scriptError(err, name+"()")
	}
	return v, nil
}

// isInterrupt reports whether err comes from stopping the VU.
func isInterrupt(err error) bool {
	var ie *goja.InterruptedError
	return errors.As(err, &ie)
}

// recordException counts a script exception, unless it is the VU being
// stopped.
func (vu *VU) recordException(err error, where string) {
	if isInterrupt(err) {
		return
	}
	se := vu.scriptError(err, where)
	pos := ""
	if se.File != "" {
		pos = fmt.Sprintf("%s:%d:%d", se.File, se.Line, se.Column)
	}
	vu.rec.RecordException(se.Msg, pos, se.Stack)
	if vu.env.OnException != nil {
		vu.env.OnException(vu.id, where, se)
	}
}

// scriptError turns an error from goja into a ScriptError positioned in
// the user's source.
func (vu *VU) scriptError(err error, where string) *ScriptError {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		se := &ScriptError{Msg: exceptionMessage(ex)}
		var b strings.Builder
		for _, f := range ex.Stack() {
			p := vu.s.mapPosition(f.Position())
			if p.Filename == "" || strings.HasPrefix(p.Filename, "jsload:") || strings.HasSuffix(p.Filename, ".jsload-bundle.js") {
				continue
			}
			if se.File == "" {
				se.File, se.Line, se.Column = p.Filename, p.Line, p.Column
			}
			fn := f.FuncName()
			if fn == "" {
				fn = "<anonymous>"
			}
			fmt.Fprintf(&b, "    at %s (%s:%d:%d)\n", fn, p.Filename, p.Line, p.Column)
		}
		se.Stack = strings.TrimRight(b.String(), "\n")
		return se
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return &ScriptError{Msg: "interrupted: " + fmt.Sprint(ie.Value())}
	}
	var se *ScriptError
	if errors.As(err, &se) {
		return se
	}
	msg := err.Error()
	if where != "" {
		msg = where + ": " + msg
	}
	return &ScriptError{Msg: msg}
}

// exceptionMessage is "Name: message" for Error objects, else the thrown
// value as text.
func exceptionMessage(ex *goja.Exception) string {
	v := ex.Value()
	if o, ok := v.(*goja.Object); ok {
		if m := o.Get("message"); m != nil && !goja.IsUndefined(m) {
			name := "Error"
			if n := o.Get("name"); n != nil && !goja.IsUndefined(n) {
				name = n.String()
			}
			if m.String() == "" {
				return name
			}
			return name + ": " + m.String()
		}
		if b, err := json.Marshal(o.Export()); err == nil {
			return "uncaught " + string(b)
		}
	}
	if v == nil {
		return "uncaught exception"
	}
	return "uncaught " + v.String()
}

// sleep implements sleep(seconds): it waits, or returns early when the VU's
// context ends (the runtime is being interrupted then).
func (vu *VU) sleep(c goja.FunctionCall) goja.Value {
	d := seconds(c.Argument(0).ToFloat())
	if d <= 0 {
		return goja.Undefined()
	}
	t := time.NewTimer(d)
	select {
	case <-vu.ctx.Done():
		// Interrupt now, so that no statement after sleep() runs before
		// the context's own interrupt lands.
		vu.rt.Interrupt(errStopped)
	case <-t.C:
	}
	t.Stop()
	return goja.Undefined()
}

func (vu *VU) newConsole() *goja.Object {
	o := vu.rt.NewObject()
	for _, lvl := range []string{"log", "info", "warn", "error", "debug"} {
		must(o.Set(lvl, func(c goja.FunctionCall) goja.Value {
			parts := make([]string, len(c.Arguments))
			for i, a := range c.Arguments {
				parts[i] = vu.format(a)
			}
			fmt.Fprintf(vu.env.out(), "[VU %d] %s\n", vu.id, strings.Join(parts, " "))
			return goja.Undefined()
		}))
	}
	return o
}

// format renders a console argument: strings as they are, objects as JSON.
func (vu *VU) format(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "undefined"
	}
	if o, ok := v.(*goja.Object); ok {
		if _, isFn := goja.AssertFunction(v); !isFn {
			if e := o.Get("stack"); e != nil && !goja.IsUndefined(e) && o.Get("message") != nil {
				return e.String()
			}
			if s, err := vu.jsonStr(goja.Undefined(), v); err == nil && !goja.IsUndefined(s) {
				return s.String()
			}
		}
	}
	return v.String()
}
