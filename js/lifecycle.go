package js

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/stats"
)

// Lifecycle events, as Locust's: events.testStart, events.testStop,
// events.spawningComplete and events.quitting have listeners that run in the
// process runtime (see Lifecycle), once per process that takes part in the
// test; events.request has listeners that run in the runtime that made the
// request, for each of its requests.

// event kinds with listeners.
const (
	evRequest = iota
	evTestStart
	evTestStop
	evSpawningComplete
	evQuitting
	nEvents
)

var eventNames = [nEvents]string{"request", "testStart", "testStop", "spawningComplete", "quitting"}

// listeners are a runtime's event listeners; a VU has none (nil) until the
// script adds one, so that a request costs one nil check without them.
type listeners struct {
	fns  [nEvents][]goja.Callable
	vals [nEvents][]goja.Value // the functions as given, for removeListener
	objs [nEvents]*goja.Object // the event objects, made on first use
}

// lifecycleListeners reports whether the runtime has a listener of a
// process event (everything but request).
func (l *listeners) lifecycleListeners() bool {
	if l == nil {
		return false
	}
	for k := evTestStart; k < nEvents; k++ {
		if len(l.fns[k]) > 0 {
			return true
		}
	}
	return false
}

// eventObject is events.<name> for a listener event: addListener,
// removeListener (and Locust's snake_case spellings); events.request also
// has fire.
func (vu *VU) eventObject(kind int) goja.Value {
	if vu.lis == nil {
		vu.lis = &listeners{}
	}
	if o := vu.lis.objs[kind]; o != nil {
		return o
	}
	rt := vu.rt
	o := rt.NewObject()
	name := eventNames[kind]
	add := func(c goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(c.Argument(0))
		if !ok {
			panic(rt.NewTypeError("events.%s.addListener(fn): fn must be a function, got %s", name, vu.format(c.Argument(0))))
		}
		vu.lis.fns[kind] = append(vu.lis.fns[kind], fn)
		vu.lis.vals[kind] = append(vu.lis.vals[kind], c.Argument(0))
		return c.Argument(0) // as Locust's add_listener: usable as a decorator
	}
	remove := func(c goja.FunctionCall) goja.Value {
		vals := vu.lis.vals[kind]
		for i, v := range vals {
			if v.StrictEquals(c.Argument(0)) {
				vu.lis.vals[kind] = append(vals[:i:i], vals[i+1:]...)
				fns := vu.lis.fns[kind]
				vu.lis.fns[kind] = append(fns[:i:i], fns[i+1:]...) // a new array: see emitRequest
				return rt.ToValue(true)
			}
		}
		return rt.ToValue(false)
	}
	must(o.Set("addListener", add))
	must(o.Set("add_listener", o.Get("addListener")))
	must(o.Set("removeListener", remove))
	must(o.Set("remove_listener", o.Get("removeListener")))
	if kind == evRequest {
		must(o.Set("fire", func(c goja.FunctionCall) goja.Value {
			vu.fire(c.Argument(0), 0)
			return goja.Undefined()
		}))
	}
	vu.lis.objs[kind] = o
	return o
}

// eventEntry is a lazy entry of the events object for a listener event.
func eventEntry(name string, kind int) lazyEntry {
	return lazyEntry{name: name, kept: true, make: func(vu *VU) goja.Value { return vu.eventObject(kind) }}
}

// requestEvent is what a request listener gets: everything the statistics
// see of one request.
type requestEvent struct {
	typ, name string
	duration  time.Duration
	size      int64
	errText   string
	url       string
	status    int
	start     time.Time
	response  goja.Value // the HTTP response object, or undefined

	vu      *VU
	extra   map[string]goja.Value // properties a listener set (nil: deleted)
	extraKs []string              // the keys of extra in the order they were added
}

// requestEventKeys are the fields of a request event, in their order.
var requestEventKeys = []string{"requestType", "request_type", "type", "name", "responseTime", "response_time",
	"responseLength", "response_length", "exception", "url", "status", "startTime", "start_time", "response"}

// Get implements goja.DynamicObject: the event's fields as listeners see
// them, made on first read, or what a listener set.
func (e *requestEvent) Get(key string) goja.Value {
	if v, ok := e.extra[key]; ok {
		return v
	}
	rt := e.vu.rt
	switch key {
	case "requestType", "request_type", "type":
		return rt.ToValue(e.typ)
	case "name":
		return rt.ToValue(e.name)
	case "responseTime", "response_time":
		return rt.ToValue(float64(e.duration) / float64(time.Millisecond))
	case "responseLength", "response_length":
		return rt.ToValue(e.size)
	case "exception":
		if e.errText == "" {
			return goja.Null()
		}
		return rt.ToValue(e.errText)
	case "url":
		return rt.ToValue(e.url)
	case "status":
		return rt.ToValue(e.status)
	case "startTime", "start_time":
		if e.start.IsZero() {
			return goja.Null()
		}
		return rt.ToValue(float64(e.start.UnixNano()) / 1e6)
	case "response":
		if e.response == nil {
			return goja.Null()
		}
		return e.response
	}
	return nil
}

// Set implements goja.DynamicObject: a listener may change or add
// properties; the next listener sees them.
func (e *requestEvent) Set(key string, val goja.Value) bool {
	if e.extra == nil {
		e.extra = map[string]goja.Value{}
	}
	if _, ok := e.extra[key]; !ok && !slices.Contains(requestEventKeys, key) {
		e.extraKs = append(e.extraKs, key)
	}
	e.extra[key] = val
	return true
}

// Has implements goja.DynamicObject.
func (e *requestEvent) Has(key string) bool { return e.Get(key) != nil }

// Delete implements goja.DynamicObject.
func (e *requestEvent) Delete(key string) bool {
	if e.extra == nil {
		e.extra = map[string]goja.Value{}
	}
	e.extra[key] = nil
	return true
}

// Keys implements goja.DynamicObject.
func (e *requestEvent) Keys() []string {
	keys := make([]string, 0, len(requestEventKeys)+len(e.extraKs))
	for _, k := range append(requestEventKeys[:len(requestEventKeys):len(requestEventKeys)], e.extraKs...) {
		if e.Get(k) != nil {
			keys = append(keys, k)
		}
	}
	return keys
}

// emitRequest calls the runtime's request listeners (callers check that
// there are some). A listener that throws is counted as an exception; the
// request stays recorded as it was.
func (vu *VU) emitRequest(e *requestEvent) {
	e.vu = vu
	o := vu.rt.NewDynamicObject(e) // its fields are made when a listener reads them
	// A listener may add or remove listeners: call those of the moment.
	// The list is not copied: removing makes a new one (its capacity is
	// cut at the removed index), and adding writes only past the length
	// of any list taken before, so the one ranged over does not change.
	for _, fn := range vu.lis.fns[evRequest] {
		if _, err := fn(goja.Undefined(), o); err != nil {
			if isInterrupt(err) {
				panic(err)
			}
			vu.recordException(err, "an events.request listener")
		}
	}
}

// waitForSpawningComplete implements waitForSpawningComplete(): a user
// blocks until the test's planned users are running (Locust's
// semaphore_wait pattern). A stop of the test ends the wait (and the task).
// It returns at once once spawning has completed.
func (vu *VU) waitForSpawningComplete(goja.FunctionCall) goja.Value {
	if vu.id == 0 || vu.ctx == context.Background() {
		panic(vu.rt.NewTypeError("waitForSpawningComplete() is for users, in onStart or a task: top-level code, setup(), teardown() and event listeners of the process run before or outside spawning"))
	}
	ch := vu.env.run().spawnedChan()
	select {
	case <-ch:
	case <-vu.ctx.Done():
		vu.rt.Interrupt(errStopped)
	}
	return goja.Undefined()
}

// Lifecycle is the process runtime of a script: a runtime that is not a
// user's (__VU is 0), made when the script has listeners of testStart,
// testStop, spawningComplete or quitting (Script.HasLifecycle). It runs
// those listeners, setup() and teardown(), and lives as long as the process
// (the web panel's tests share it; each test gives it its Env). Its methods
// are safe for concurrent use: calls take turns.
type Lifecycle struct {
	s   *Script
	mu  sync.Mutex
	vu  *VU
	env *Env
	ctx context.Context // the current test's (TestStart's); spawningComplete runs under it
}

// Lifecycle returns the script's process runtime, made on first use.
func (s *Script) Lifecycle() *Lifecycle {
	s.lifeOnce.Do(func() { s.life = &Lifecycle{s: s} })
	return s.life
}

// use returns the runtime, made (the script evaluated) on first use, with
// env as its environment. Called with l.mu held.
func (l *Lifecycle) use(ctx context.Context, env *Env) (*VU, error) {
	if l.vu == nil {
		vu, err := l.s.newVU(ctx, env, 0)
		if err != nil {
			return nil, err
		}
		l.vu = vu
	}
	if env != nil && env != l.env {
		l.env = env
		vu := l.vu
		vu.env, vu.rec, vu.host, vu.hostWarned = env, env.Registry.Recorder(0), env.Host, false
		vu.data = goja.Undefined()
	}
	return l.vu, nil
}

// with runs f in the runtime, with env.
func (l *Lifecycle) with(ctx context.Context, env *Env, f func(vu *VU) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	vu, err := l.use(ctx, env)
	if err != nil {
		return err
	}
	return f(vu)
}

// fire calls the listeners of kind, in the order they were added (reverse
// for quitting, as Locust), with arg. A listener that throws is counted as
// an exception of the test (and logged); the others still run. A stop
// (ctx) ends the listener running and skips the rest.
func (l *Lifecycle) fire(ctx context.Context, kind int, arg func(vu *VU) goja.Value) {
	vu := l.vu
	if vu.lis == nil {
		return
	}
	fns := append([]goja.Callable(nil), vu.lis.fns[kind]...)
	if kind == evQuitting {
		for i, j := 0, len(fns)-1; i < j; i, j = i+1, j-1 {
			fns[i], fns[j] = fns[j], fns[i]
		}
	}
	for _, fn := range fns {
		_, err := vu.invoke(ctx, fn, goja.Undefined(), arg(vu))
		vu.flushPending()
		if err != nil {
			if isInterrupt(err) || ctx.Err() != nil {
				return
			}
			vu.recordException(err, "an events."+eventNames[kind]+" listener")
		}
	}
}

// TestStart fires testStart in the process runtime (made now if need be)
// with env, the test's environment; ctx is the test's: it bounds
// spawningComplete's listeners too. An error means the runtime could not
// be made (the script's top level failed).
func (l *Lifecycle) TestStart(ctx context.Context, env *Env) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.use(ctx, env); err != nil {
		return err
	}
	l.ctx = ctx
	env.run().setLife(l)
	l.fire(ctx, evTestStart, func(vu *VU) goja.Value { return vu.runEventArg() })
	return nil
}

// spawningComplete fires spawningComplete with the number of users.
func (l *Lifecycle) spawningComplete(users int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vu == nil || l.ctx == nil {
		return
	}
	l.fire(l.ctx, evSpawningComplete, func(vu *VU) goja.Value {
		o := vu.rt.NewObject()
		must(o.Set("userCount", users))
		must(o.Set("user_count", users))
		return o
	})
}

// TestStop fires testStop, after the users (and teardown) have stopped;
// ctx bounds the listeners.
func (l *Lifecycle) TestStop(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vu == nil {
		return
	}
	l.fire(ctx, evTestStop, func(vu *VU) goja.Value { return vu.runEventArg() })
	l.ctx = nil
}

// Quit fires quitting as the process leaves (only if the runtime was
// made), and releases the runtime. Its listeners' exceptions are logged
// through the last test's Env.OnException only: the test's statistics are
// final by then.
func (l *Lifecycle) Quit(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vu == nil {
		return
	}
	vu := l.vu
	vu.rec = stats.NewRegistry(1).Recorder(0) // nothing more reaches the test's statistics
	l.fire(ctx, evQuitting, func(vu *VU) goja.Value { return vu.runEventArg() })
	vu.Close()
	l.vu, l.env, l.ctx = nil, nil, nil
}

// runEventArg is what testStart, testStop and quitting listeners get:
// { run }, the run's description (as Locust passes the environment).
func (vu *VU) runEventArg() goja.Value {
	o := vu.rt.NewObject()
	must(o.Set("run", vu.nativeObj.Get("run")))
	return o
}

// withRuntime runs f in the runtime that setup() and teardown() use: the
// process runtime when the script has one, else a runtime of its own.
func (s *Script) withRuntime(ctx context.Context, env *Env, f func(vu *VU) error) error {
	if s.HasLifecycle {
		return s.Lifecycle().with(ctx, env, f)
	}
	vu, err := s.newVU(ctx, env, 0)
	if err != nil {
		return err
	}
	defer vu.Close()
	return f(vu)
}

// setupData parses env's setup data into vu.data.
func (vu *VU) setupData() error {
	if vu.env.SetupData == "" {
		vu.data = goja.Undefined()
		return nil
	}
	if n := vu.env.setup.get(vu.env.SetupData); n != nil {
		vu.data = n.value(vu.rt)
		return nil
	}
	d, err := vu.jsonParse(goja.Undefined(), vu.rt.ToValue(vu.env.SetupData))
	if err != nil {
		return fmt.Errorf("passing setup data: %w", err)
	}
	vu.data = d
	return nil
}
