package js

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
)

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

// VU is one virtual user: a goja runtime with the script evaluated in it,
// the user-class instance (or the exported tasks), an HTTP client with its
// own connections and cookies, and a stats recorder. A VU is used by one
// goroutine at a time.
type VU struct {
	s       *Script
	env     *Env
	id      int
	rt      *goja.Runtime
	rec     stats.Recorder
	http    *jsClient   // the user's own client (`http`, `this.client`); nil until used
	clients []*jsClient // made with http.client(...)
	grpc    *vuGRPC     // the jsload/grpc module's state (grpc.go); nil until used
	// onRequest, when set (by tests), sees every request before it is sent.
	onRequest func(*httpc.Request)
	rnd       *rand.Rand

	// native is the prelude's Go object (part.go): nativeObj is its Go
	// side; parts are the prelude's parts made so far, by index, by
	// makePart.
	native    *goja.Object
	nativeObj *lazyObject
	parts     []goja.Value
	makePart  goja.Callable
	noTags    goja.Value // the frozen [] of task descriptors made in Go
	// globals holds the globals jsload defines (__VU, __ITER, __ENV,
	// console, require, ...): the global object's prototype (see
	// newVUIn).
	globals *goja.Object

	exports *goja.Object
	module  *goja.Object
	data    goja.Value // setup() data, or undefined

	class    *ClassInfo
	prebound bool          // PrepareVU bound the VU to class: Ready need not
	user     goja.Value    // the user-class instance, or undefined
	frames   []*frame      // the running task sets, the user's own at the bottom
	signal   *signal       // set by stopUser(), rescheduleTask(), interrupt()
	noWait   bool          // the next wait is skipped (rescheduled)
	open     bool          // an arrival-rate test: samples carry Scheduled
	late     time.Duration // how late the running task started (arrival rate)
	done     bool          // the user stopped itself

	loading bool // the script's top-level code is running: data files may be read

	iter int64
	args []goja.Value // dataArgs
	// sleepTimer is sleep()'s timer, made on first use.
	sleepTimer *time.Timer
	runCtx     context.Context // the context of the last task: wait-time functions run under it
	ctx        context.Context
	intrWG     sync.WaitGroup
	intrFn     func()
	watch      watch // interrupts the runtime when the context of invoke ends
	pending    []*response

	lis         *listeners // event listeners the script added; nil when none
	host        string
	hostWarned  bool
	jsonParseFn goja.Callable
	jsonStrFn   goja.Callable
	respMethods *respMethods
	sockets     *sockets     // WebSocket and TCP connections (sockets.go)
	k6loop      *k6Loop      // k6's event loop (k6loop.go); nil until used
	group       string       // the running k6 group's path ("::a::b"), "" outside groups (k6.go)
	scen        *Scenario    // the k6 scenario the user runs in; nil outside scenarios (k6exec.go)
	scenIter    int64        // the running iteration's number in its scenario (k6exec.go)
	k6http      *k6HTTPState // k6/http's jar and response callback, made on first use (k6http.go)
}

// A VU is what the engine runs: it stops by returning engine.ErrStopUser
// and measures arrival-rate lateness in RunTaskAt.
var (
	_ engine.ScheduledVU = (*VU)(nil)
	_ engine.Interrupter = (*VU)(nil)
)

// ID is the VU's number (__VU): 1-based; 0 for setup and teardown.
func (vu *VU) ID() int { return vu.id }

// newVU makes a runtime, installs the jsload module and globals, and
// evaluates the script in it.
func (s *Script) newVU(ctx context.Context, env *Env, id int) (*VU, error) {
	return s.newVUIn(ctx, env, id, nil)
}

// newVUIn is newVU for a user of k6 scenario sc (nil for none), whose env
// overlays __ENV (k6exec.go).
func (s *Script) newVUIn(ctx context.Context, env *Env, id int, sc *Scenario) (*VU, error) {
	rt := goja.New()
	vu := &VU{
		s: s, env: env, id: id, rt: rt, scen: sc,
		rec:    env.Registry.Recorder(id),
		rnd:    rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id)*0x9e3779b97f4a7c15+1)),
		ctx:    context.Background(),
		runCtx: context.Background(),
		data:   goja.Undefined(),
		host:   env.Host,
	}
	vu.intrFn = func() {
		rt.Interrupt(errStopped)
		vu.intrWG.Done()
	}

	vu.nativeObj = &lazyObject{vu: vu, table: nativeTable}
	vu.native = rt.NewDynamicObject(vu.nativeObj)
	mod := vu.newLazy(moduleTable)

	envObj := rt.NewDynamicObject(&envObject{vars: sc.vars(env), rt: rt})
	module := rt.NewObject()
	exports := rt.NewObject()
	must(module.Set("exports", exports))
	// jsload's globals live in an object between the global object and
	// Object.prototype rather than on the global object: goja's global
	// object is a template of its builtins, and its first own property
	// copies the template's list of names (about 1.3 KB; this object costs
	// less: about 500 B a runtime saved, BenchmarkNewVU). Names resolve,
	// and globalThis.console reads, through the prototype as they would
	// on the object itself.
	g := rt.NewObject()
	must(rt.GlobalObject().SetPrototype(g))
	vu.globals = g
	must(g.Set("module", module))
	must(g.Set("exports", exports))
	must(g.Set("require", func(c goja.FunctionCall) goja.Value {
		name := c.Argument(0).String()
		switch name {
		case "jsload":
			return mod
		case "jsload/http":
			return vu.nativeObj.Get("http")
		case "jsload/events":
			return vu.nativeObj.Get("events")
		case "jsload/ws":
			return vu.wsModule()
		case "jsload/tcp":
			return vu.tcpModule()
		case "jsload/encoding":
			return vu.newLazy(encodingTable)
		case "jsload/crypto":
			return vu.newLazy(cryptoTable)
		case "jsload/grpc":
			return vu.grpcModule()
		case "k6", "k6/http", "k6/data", "k6/encoding", "k6/crypto", "k6/execution",
			"k6/ws", "k6/websockets", "k6/timers", "k6/net/grpc", "k6/metrics":
			vu.s.k6.Store(true)
			if g := vu.globals; g.Get("open") == nil {
				must(g.Set("open", vu.nativeObj.Get("open"))) // k6's global open()
			}
			vu.installK6Timers() // k6's global timers (k6loop.go)
			return vu.k6Require(name)
		case "jsload:export": // the bundle's __export helper (lighten)
			return rt.ToValue(vu.exportNames)
		case "jsload:exports": // the entry module's exports (exportSwitch)
			return rt.ToValue(vu.newExports)
		}
		if k6SummaryURL.MatchString(name) {
			return vu.newLazy(k6SummaryTable) // k6's jslib textSummary and jUnit, jsload's own
		}
		if strings.HasPrefix(name, "https://") || strings.HasPrefix(name, "http://") {
			panic(rt.NewTypeError("%s", remoteImportMessage(name)))
		}
		panic(rt.NewTypeError("cannot find module %q: only \"jsload\" is built in; relative imports are bundled, and npm packages must be imported by a relative path", name))
	}))
	must(g.Set("__VU", id))
	must(g.Set("__ITER", 0))
	must(g.Set("__ENV", envObj))
	must(g.Set("console", vu.newConsole()))
	vu.installTextCodecs(g)
	vu.module = module

	// The script's top level runs in every user: a stop must reach it.
	vu.intrWG.Add(1)
	stop := context.AfterFunc(ctx, vu.intrFn)
	vu.loading = true
	_, err := rt.RunProgram(s.prog)
	vu.loading = false
	if stop() {
		vu.intrWG.Done()
	} else {
		vu.intrWG.Wait()
	}
	rt.ClearInterrupt()
	if err != nil {
		if isInterrupt(err) || ctx.Err() != nil {
			return nil, ctx.Err()
		}
		se := vu.scriptError(err, "")
		// Not a syntax error in the script (those are found by bundling
		// and compiling): its code ran, and threw.
		se.Msg += " (while running the script's top-level code)"
		return nil, se
	}
	ex, ok := module.Get("exports").(*goja.Object)
	if !ok {
		return nil, &ScriptError{File: s.Path, Msg: "the script's exports are not an object"}
	}
	vu.exports = ex
	if env.SetupData != "" {
		if err := vu.setupData(); err != nil {
			return nil, err
		}
	}
	return vu, nil
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// Close releases the connections of the VU's clients.
func (vu *VU) Close() {
	for _, c := range append([]*jsClient{vu.http}, vu.clients...) {
		if c != nil && c.hc != nil {
			c.hc.CloseIdle()
		}
	}
	vu.sockets.close()
	vu.k6loop.closeAll()
	vu.closeGRPC()
	vu.watch.release() // stops watching
}

// invoke calls fn with ctx as the VU's context: when ctx ends, the runtime
// is interrupted, whatever the JS is doing.
func (vu *VU) invoke(ctx context.Context, fn goja.Callable, this goja.Value, args ...goja.Value) (goja.Value, error) {
	vu.ctx = ctx
	vu.watch.arm(vu, ctx)
	v, err := fn(this, args...)
	vu.watch.disarm()
	vu.rt.ClearInterrupt()
	vu.ctx = context.Background()
	return v, err
}

// Interrupt interrupts the code the VU runs if the context it runs under
// has ended (engine.Interrupter): the engine calls it for the contexts of
// tasks (engine.TaskContext), which the VU's watch does not watch itself.
func (vu *VU) Interrupt() { vu.watch.interrupt() }

// watch interrupts a VU's runtime when the context of the code it runs
// ends. A user runs its tasks one after the other under the same context,
// so one context.AfterFunc serves them all: it is registered again only
// when the context changes, not for every task, unless the user waits
// between its tasks (release). The engine's task contexts get none: the
// engine calls Interrupt when it ends one (an AfterFunc registered and
// dropped for every task of a waiting user took about 6% of the CPU in a
// profile of 18,000 such users).
//
// The same context.AfterFunc interrupts the exchanges of the VU's HTTP
// clients (httpc.Client.Watched): a context's end then starts one
// goroutine per user for both, not one more per client (at a stop,
// thousands at once, each with its stack).
type watch struct {
	mu      sync.Mutex
	ctx     context.Context // the context watched, or nil
	stop    func() bool     // its context.AfterFunc
	running bool            // invoke runs code under ctx
	fire    func()          // interrupt, made once
	vu      *VU
	clients *[]*httpc.Client // told to leave ctx to this watch (addClient); a pointer keeps VU in its size class
}

// arm makes the end of ctx interrupt vu's runtime until disarm.
func (w *watch) arm(vu *VU, ctx context.Context) {
	if ctx.Done() == nil {
		return // never ends
	}
	w.mu.Lock()
	if w.ctx != ctx {
		if w.stop != nil {
			w.stop()
		}
		if w.fire == nil {
			w.vu, w.fire = vu, w.interrupt
		}
		w.ctx, w.stop = ctx, nil
		if _, byEngine := ctx.(engine.TaskContext); !byEngine {
			w.stop = context.AfterFunc(ctx, w.fire)
		}
		if w.clients != nil {
			for _, c := range *w.clients {
				c.Watched(ctx)
			}
		}
	}
	w.running = true
	w.mu.Unlock()
	if ctx.Err() != nil {
		vu.rt.Interrupt(errStopped) // ended before: interrupt may have run already
	}
}

// disarm ends what arm began: once it returns, the end of the context no
// longer interrupts the runtime.
func (w *watch) disarm() {
	w.mu.Lock()
	w.running = false
	w.mu.Unlock()
}

// interrupt runs when the watched context ends.
func (w *watch) interrupt() {
	w.mu.Lock()
	// A context no longer watched may fire late: only the current one counts.
	if w.running && w.ctx.Err() != nil {
		w.vu.rt.Interrupt(errStopped)
	}
	if w.clients != nil && w.ctx != nil && w.ctx.Err() != nil {
		for _, c := range *w.clients {
			c.Interrupt()
		}
	}
	w.mu.Unlock()
}

// addClient makes the end of the contexts this watch watches interrupt
// c's exchanges, instead of c watching them itself (httpc.Client.Watched).
func (w *watch) addClient(c *httpc.Client) {
	w.mu.Lock()
	if w.clients == nil {
		w.clients = new([]*httpc.Client)
	}
	*w.clients = append(*w.clients, c)
	if w.ctx != nil {
		c.Watched(w.ctx)
	}
	w.mu.Unlock()
}

// release drops the watch's context.AfterFunc until the next arm, when
// the VU waits between tasks: a user that waits then holds none, and when
// the test stops, the end of its context starts no goroutine for it (with
// thousands of waiting users, thousands of goroutines with their stacks
// at once). Users without waits keep theirs from task to task; an engine's
// task context, which has none, stays watched.
func (w *watch) release() {
	w.mu.Lock()
	if w.stop != nil {
		w.stop()
		w.ctx, w.stop = nil, nil
	}
	w.mu.Unlock()
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
	first := vu.rec.RecordException(se.Msg, pos, se.Stack)
	if vu.env.OnException != nil {
		vu.env.OnException(vu.id, where, se, first)
	}
}

// scriptError turns an error from goja into a ScriptError positioned in
// the user's source.
func (vu *VU) scriptError(err error, where string) *ScriptError {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		se := &ScriptError{Msg: vu.exceptionMessage(ex)}
		if st := ex.Stack(); len(st) > 0 && st[0].SrcName() == "<native>" && st[0].FuncName() == "parse" && strings.HasPrefix(se.Msg, "SyntaxError: ") {
			// JSON.parse's SyntaxError is about the text it was given, not
			// the script's syntax.
			se.Msg = "JSON.parse: " + strings.TrimPrefix(se.Msg, "SyntaxError: ") + " (the text given is not valid JSON)"
		}
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
// value as text after "uncaught " (see valueText).
func (vu *VU) exceptionMessage(ex *goja.Exception) string {
	v := ex.Value()
	if o, ok := v.(*goja.Object); ok && isErrorLike(o) {
		return vu.valueText(v)
	}
	return "uncaught " + vu.valueText(v)
}

// maxValueText bounds the text of a thrown value or failure: exceptions
// are grouped by their text.
const maxValueText = 500

// isErrorLike reports whether o has a message, as Error objects do.
func isErrorLike(o *goja.Object) bool {
	m := o.Get("message")
	return m != nil && !goja.IsUndefined(m)
}

// valueText renders a value a script threw, failed a response with, or
// reported as an event's exception: "Name: message" for Error objects (or
// anything with a message), JSON for other objects and arrays (after the
// class name when it is not a plain object: MyError {"code":1}), and
// strings, numbers and the rest as JavaScript prints them; never
// "[object Object]".
func (vu *VU) valueText(v goja.Value) string {
	if v == nil {
		return "undefined"
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return v.String()
	}
	if _, isFn := goja.AssertFunction(v); isFn {
		return "function " + o.Get("name").String()
	}
	if isErrorLike(o) {
		name := "Error"
		if n := o.Get("name"); n != nil && !goja.IsUndefined(n) && n.String() != "" {
			name = n.String()
		}
		msg := o.Get("message")
		text := msg.String()
		if mo, ok := msg.(*goja.Object); ok && !isErrorLike(mo) {
			text = vu.valueText(msg)
		}
		if text == "" {
			return name
		}
		return name + ": " + text
	}
	class := ""
	if c, ok := o.Get("constructor").(*goja.Object); ok && o.ClassName() == "Object" {
		if n := c.Get("name"); n != nil && n.String() != "" && n.String() != "Object" {
			class = n.String() + " "
		}
	}
	var text string
	if j, err := vu.jsonStr(goja.Undefined(), v); err == nil && j != nil && !goja.IsUndefined(j) {
		text = j.String()
	} else {
		// Cycles, BigInts or a throwing toJSON: the own keys at least.
		text = "{" + strings.Join(o.Keys(), ", ") + "}"
		if o.ClassName() == "Array" {
			text = "array of " + o.Get("length").String()
		}
	}
	if len(text) > maxValueText {
		text = text[:maxValueText] + "..."
	}
	return class + text
}

// sleep implements sleep(seconds): it waits, or returns early when the VU's
// context ends (the runtime is being interrupted then).
func (vu *VU) sleep(c goja.FunctionCall) goja.Value {
	d := seconds(c.Argument(0).ToFloat())
	if d <= 0 {
		return goja.Undefined()
	}
	t := vu.sleepTimer // one per VU, reused (Go 1.23 timers: no stale tick after Stop)
	if t == nil {
		t = time.NewTimer(d)
		vu.sleepTimer = t
	} else {
		t.Reset(d)
	}
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

func consoleLog(vu *VU, c goja.FunctionCall) goja.Value {
	parts := make([]string, len(c.Arguments))
	for i, a := range c.Arguments {
		parts[i] = vu.format(a)
	}
	fmt.Fprintf(vu.env.out(), "[VU %d] %s\n", vu.id, strings.Join(parts, " "))
	return goja.Undefined()
}

var consoleTable = []lazyEntry{
	{name: "log", make: fn(consoleLog)}, {name: "info", make: fn(consoleLog)}, {name: "warn", make: fn(consoleLog)},
	{name: "error", make: fn(consoleLog)}, {name: "debug", make: fn(consoleLog)},
}

func (vu *VU) newConsole() *goja.Object { return vu.newLazy(consoleTable) }

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
