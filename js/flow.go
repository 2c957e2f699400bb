package js

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/stats"
)

// waitSpec is how a user or task set waits between tasks.
type waitSpec struct {
	kind waitKind
	a, b time.Duration
	fn   goja.Callable
	this goja.Value
}

// String is the wait time as a script writes it; "" for none.
func (w *waitSpec) String() string {
	sec := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	switch w.kind {
	case waitBetween:
		return "between(" + sec(w.a) + ", " + sec(w.b) + ")"
	case waitConstant:
		return "constant(" + sec(w.a) + ")"
	case waitPacing:
		return "constantPacing(" + sec(w.a) + ")"
	case waitFunc:
		return "a function"
	}
	return ""
}

// frame is one running task set: the user's own tasks at the bottom of the
// stack, and a frame per TaskSet entered above it.
type frame struct {
	set    *SetInfo
	this   goja.Value // the TaskSet or user instance; undefined for exported tasks
	cls    goja.Value // its class; undefined for exported tasks
	fns    []goja.Callable
	seq    int // sequential: position in set.order
	state  int // markov: the task to run next
	onStop goja.Callable
	wait   *waitSpec // nil: the enclosing frame's
	abort  bool      // abandon a task at its first failed request
}

// signalKind is what a control function asked for.
type signalKind int

const (
	sigReschedule signalKind = iota + 1 // rescheduleTask()
	sigStopUser                         // stopUser()
	sigInterrupt                        // this.interrupt(reschedule)
	sigAbort                            // a request failed under abortOnFailure
)

type signal struct {
	kind       signalKind
	target     *goja.Object // the task set that called interrupt()
	reschedule bool
}

func (s *signal) String() string { return "jsload control signal" }

// raise records a control signal and stops the running JS at once: the
// runtime's interrupt cannot be caught by the script's try/catch.
func (vu *VU) raise(s *signal) {
	vu.signal = s
	vu.rt.Interrupt(s)
}

// abortOnFailure ends the running task when it runs under abortOnFailure:
// any failure the task records does, however it is recorded (a failed
// request, res.failure(), a failed custom event or events.measure).
func (vu *VU) abortOnFailure() {
	if n := len(vu.frames); n > 0 && vu.frames[n-1].abort {
		vu.raise(&signal{kind: sigAbort})
	}
}

// control implements rescheduleTask() and stopUser().
func (vu *VU) control(c goja.FunctionCall) goja.Value {
	switch c.Argument(0).String() {
	case "reschedule":
		vu.raise(&signal{kind: sigReschedule})
	case "stopUser":
		vu.raise(&signal{kind: sigStopUser})
	}
	return goja.Undefined()
}

// interruptSet implements TaskSet.interrupt(reschedule).
func (vu *VU) interruptSet(c goja.FunctionCall) goja.Value {
	target, _ := c.Argument(0).(*goja.Object)
	vu.raise(&signal{kind: sigInterrupt, target: target, reschedule: c.Argument(1).ToBoolean()})
	return goja.Undefined()
}

// Bind makes vu a user of the given class: it creates the class instance
// (or resolves the exported tasks) and its hooks and wait time, once, so
// that each task call is cheap.
func (vu *VU) Bind(ctx context.Context, class int) error {
	s := vu.s
	if class < 0 || class >= len(s.Classes) {
		return fmt.Errorf("no user class %d", class)
	}
	c := &s.Classes[class]
	vu.class = c
	root := &frame{set: &s.Sets[c.Root], this: goja.Undefined(), cls: goja.Undefined()}
	holder := vu.exports
	if c.Key != "" {
		if c.Host != "" && vu.host == "" {
			vu.host = c.Host // before the constructor, which may read this.host
		}
		cls := vu.exports.Get(c.Key)
		construct, err := vu.partFn(partConstruct)
		if err != nil {
			return fmt.Errorf("starting the jsload module: %w", err)
		}
		v, err := vu.invoke(ctx, construct, goja.Undefined(), cls, goja.Null())
		if err != nil {
			if isInterrupt(err) {
				return ctx.Err()
			}
			return vu.scriptError(err, "creating user "+c.Name)
		}
		inst := v.(*goja.Object)
		root.this, root.cls, vu.user, holder = inst, cls, inst, inst
	} else {
		vu.user = goja.Undefined()
	}
	if err := vu.resolveTasks(root); err != nil {
		return err
	}
	root.onStop = hook(holder, "onStop", "on_stop")
	var wv goja.Value
	if c.Key != "" {
		wv = attr(holder, root.cls, "waitTime", "wait_time")
	}
	if wv == nil {
		if o, ok := vu.exports.Get("options").(*goja.Object); ok {
			wv = firstDefined(o, "waitTime")
		}
	}
	w, err := vu.waitOf(wv, root.this)
	if err != nil {
		return err
	}
	if w == nil {
		w = &waitSpec{}
	}
	root.wait = w
	root.abort = root.set.AbortOnFailure != nil && *root.set.AbortOnFailure
	vu.frames = []*frame{root}
	return nil
}

// resolveTasks finds the functions of a frame's tasks.
func (vu *VU) resolveTasks(f *frame) error {
	f.fns = make([]goja.Callable, len(f.set.Tasks))
	for i := range f.set.Tasks {
		t := &f.set.Tasks[i]
		if t.Set >= 0 {
			continue
		}
		v, err := vu.resolveTask(f, t)
		if err != nil {
			return err
		}
		fn, ok := goja.AssertFunction(v)
		if !ok {
			return &ScriptError{File: vu.s.Path, Msg: fmt.Sprintf("%s: task %s is not a function", f.set.Name, t.Name)}
		}
		f.fns[i] = fn
	}
	return nil
}

func (vu *VU) resolveTask(f *frame, t *TaskInfo) (goja.Value, error) {
	// The Go twin of resolve in prelude.js: plain property reads, no call
	// into JS, as this runs for every task of every user created.
	get := func(v goja.Value, key string) goja.Value {
		if o, ok := v.(*goja.Object); ok {
			return o.Get(key)
		}
		return nil
	}
	var v goja.Value
	switch t.Src.Kind {
	case "method", "field":
		v = get(f.this, t.Src.Key)
	case "static-field":
		v = get(f.cls, t.Src.Key)
	case "list", "field-list":
		from := f.cls
		if t.Src.Kind == "field-list" {
			from = f.this
		}
		if list, ok := get(from, "tasks").(*goja.Object); ok {
			v = list.Get(fmt.Sprint(t.Src.Index))
		}
	case "export":
		v = vu.exports.Get(t.Src.Key)
	default:
		return nil, fmt.Errorf("task %s: unknown source %q", t.Name, t.Src.Kind)
	}
	if o, ok := v.(*goja.Object); ok {
		if m := o.Get(taskKey); m != nil && m.ToBoolean() && !isFunc(o) {
			v = o.Get("fn") // a task(...) descriptor
		}
	}
	if v == nil {
		v = goja.Undefined()
	}
	return v, nil
}

func firstDefined(o *goja.Object, keys ...string) goja.Value {
	for _, k := range keys {
		if v := o.Get(k); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
			return v
		}
	}
	return nil
}

// attr reads an attribute of a user or task set: from the instance (its
// own fields and its class's methods), else from the class (static); keys
// are its spellings, jsload's first.
func attr(inst *goja.Object, cls goja.Value, keys ...string) goja.Value {
	if v := firstDefined(inst, keys...); v != nil {
		return v
	}
	if c, ok := cls.(*goja.Object); ok {
		return firstDefined(c, keys...)
	}
	return nil
}

func hook(v goja.Value, keys ...string) goja.Callable {
	o, ok := v.(*goja.Object)
	if !ok {
		return nil
	}
	if v := firstDefined(o, keys...); v != nil {
		fn, _ := goja.AssertFunction(v)
		return fn
	}
	return nil
}

// waitOf reads a waitTime value; nil means none was given.
func (vu *VU) waitOf(v goja.Value, this goja.Value) (*waitSpec, error) {
	if v == nil {
		return nil, nil
	}
	if fn, ok := goja.AssertFunction(v); ok {
		if d, ok := v.(*goja.Object).Get(waitKey).(*goja.Object); ok {
			a := seconds(d.Get("a").ToFloat())
			b := seconds(d.Get("b").ToFloat())
			switch d.Get("kind").String() {
			case "between":
				return &waitSpec{kind: waitBetween, a: a, b: b}, nil
			case "constant":
				return &waitSpec{kind: waitConstant, a: a}, nil
			case "pacing":
				return &waitSpec{kind: waitPacing, a: a}, nil
			}
		}
		return &waitSpec{kind: waitFunc, fn: fn, this: this}, nil
	}
	if n := v.ToFloat(); goja.IsNumber(v) && n >= 0 {
		return &waitSpec{kind: waitConstant, a: seconds(n)}, nil
	}
	return nil, &ScriptError{File: vu.s.Path, Msg: fmt.Sprintf("waitTime must be between(a, b), constant(s), constantPacing(s), constantThroughput(n), a number of seconds or a function returning one; got %s", v.String())}
}

// WaitTime is how long to wait before the next task, given the last one's
// duration: the innermost running task set's wait time, or none after a
// rescheduled task.
func (vu *VU) WaitTime(last time.Duration) time.Duration {
	if vu.noWait {
		return 0
	}
	for k := len(vu.frames) - 1; k >= 0; k-- {
		if w := vu.frames[k].wait; w != nil {
			d := vu.waitFor(w, last)
			if d > 0 {
				// The user waits with no code running: nothing to
				// interrupt until its next task arms the watch again.
				vu.watch.release()
			}
			return d
		}
	}
	return 0
}

func (vu *VU) waitFor(w *waitSpec, last time.Duration) time.Duration {
	switch w.kind {
	case waitBetween:
		if w.b <= w.a {
			return w.a
		}
		return w.a + time.Duration(vu.rnd.Int64N(int64(w.b-w.a)+1))
	case waitConstant:
		return w.a
	case waitPacing:
		if d := w.a - last; d > 0 {
			return d
		}
		return 0
	case waitFunc:
		v, err := vu.invoke(vu.runCtx, w.fn, w.this)
		if err != nil {
			vu.recordException(err, "waitTime")
			return time.Second
		}
		return seconds(v.ToFloat())
	}
	return 0
}

// next picks the task a frame runs now.
func (vu *VU) next(f *frame) int {
	st := f.set
	switch st.Kind {
	case "sequential":
		if len(st.order) == 0 {
			return -1
		}
		i := st.order[f.seq%len(st.order)]
		f.seq++
		return i
	case "markov":
		i := f.state
		succ := st.succ[i]
		r := vu.rnd.IntN(succ[len(succ)-1])
		f.state = st.to[i][search(succ, r)]
		return i
	}
	if st.total <= 0 {
		return -1 // every task was filtered out (tags)
	}
	if len(st.cum) == 1 {
		return 0
	}
	return search(st.cum, vu.rnd.IntN(st.total))
}

// search returns the first index whose cumulative weight exceeds r.
func search(cum []int, r int) int {
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > r {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// RunTaskAt runs one task of an arrival-rate test that was due at
// scheduled: every sample it records also carries its response time counted
// from when it would have been sent had the task started on time.
func (vu *VU) RunTaskAt(ctx context.Context, scheduled time.Time) error {
	vu.open = true
	vu.late = max(time.Since(scheduled), 0)
	return vu.RunTask(ctx)
}

// sched is a sample's response time from its scheduled start (arrival-rate
// tests), or 0.
func (vu *VU) sched(d time.Duration) time.Duration {
	if !vu.open {
		return 0
	}
	return d + vu.late
}

// dataArgs is the arguments of a task, the setup data alone, made again
// only when the data changes: tasks run one after the other, and goja
// copies its arguments onto its own stack.
func (vu *VU) dataArgs() []goja.Value {
	if len(vu.args) != 1 || !vu.args[0].SameAs(vu.data) {
		vu.args = []goja.Value{vu.data}
	}
	return vu.args
}

// maxHops bounds how many task sets one RunTask may enter before it runs a
// task (a set whose onStart always interrupts would otherwise spin).
const maxHops = 64

// RunTask runs one task of the innermost running task set, entering task
// sets on the way as they are picked. A task that throws is counted in the
// exceptions and the VU goes on. It returns engine.ErrStopUser when the
// user stopped itself (stopUser()) or has no task it may run, else nil.
func (vu *VU) RunTask(ctx context.Context) error {
	vu.runCtx = ctx
	vu.noWait = false
	for hops := 0; !vu.done && ctx.Err() == nil; hops++ {
		if hops == maxHops {
			vu.recordException(fmt.Errorf("entered %d task sets without running a task: does an onStart always interrupt?", maxHops), "task sets")
			return nil
		}
		f := vu.frames[len(vu.frames)-1]
		i := vu.next(f)
		if i < 0 {
			if len(vu.frames) == 1 {
				return engine.ErrStopUser // nothing this user may run
			}
			vu.popFrame(ctx) // nothing left to run in this set: back to its parent
			continue
		}
		t := &f.set.Tasks[i]
		if t.Set >= 0 {
			if !vu.enter(ctx, f, t) {
				break // the set could not be entered: that was this task
			}
			continue
		}
		if vu.s.readsIter {
			must(vu.globals.Set("__ITER", vu.iter))
		}
		if vu.env.Verbose != nil {
			fmt.Fprintf(vu.env.Verbose, "[VU %d] task %s (iteration %d)\n", vu.id, vu.taskPath(t.Name), vu.iter)
		}
		vu.iter++
		vu.k6IterStart()
		if vu.k6http != nil {
			vu.k6Iteration() // k6 empties the user's cookie jar at each iteration
		}
		var t0 time.Time
		wantIter := vu.rec.WantsIterations()
		if wantIter {
			t0 = time.Now()
		}
		_, err := vu.invoke(ctx, f.fns[i], f.this, vu.dataArgs()...)
		if err == nil && vu.k6loop.pending() {
			// k6: the iteration lasts until its event loop is empty.
			_, err = vu.invoke(ctx, vu.k6loop.runFn, goja.Undefined())
		}
		vu.k6IterEnd(ctx)
		vu.flushPending()
		if wantIter && ctx.Err() == nil && !isInterrupt(err) {
			// k6's iterations and iteration_duration: completed ones only
			vu.rec.RecordIteration(time.Since(t0), &stats.Tags{Scenario: vu.Scenario()})
		}
		vu.settle(ctx, err, t.Name)
		break
	}
	if vu.done {
		return engine.ErrStopUser
	}
	return nil
}

// enter starts the task set that task t of frame f names: it makes the
// TaskSet instance (with user and parent) and runs its onStart. It reports
// false when the set could not be entered (an exception, counted).
func (vu *VU) enter(ctx context.Context, f *frame, t *TaskInfo) bool {
	ctor, err := vu.resolveTask(f, t)
	if err != nil {
		vu.recordException(err, t.Name)
		return false
	}
	construct, err := vu.partFn(partConstruct)
	if err != nil {
		vu.recordException(err, t.Name)
		return false
	}
	pending := vu.rt.NewObject()
	must(pending.Set("user", vu.user))
	must(pending.Set("parent", f.this))
	v, err := vu.invoke(ctx, construct, goja.Undefined(), ctor, pending)
	if err != nil {
		vu.settle(ctx, err, "new "+t.Name)
		return false
	}
	inst := v.(*goja.Object)
	nf := &frame{set: &vu.s.Sets[t.Set], this: inst, cls: ctor, state: vu.s.Sets[t.Set].Initial}
	if err := vu.resolveTasks(nf); err != nil {
		vu.recordException(err, t.Name)
		return false
	}
	nf.onStop = hook(inst, "onStop", "on_stop")
	if nf.wait, err = vu.waitOf(attr(inst, ctor, "waitTime", "wait_time"), inst); err != nil {
		vu.recordException(err, t.Name)
		return false
	}
	nf.abort = f.abort
	if a := nf.set.AbortOnFailure; a != nil {
		nf.abort = *a
	}
	vu.frames = append(vu.frames, nf)
	if on := hook(inst, "onStart", "on_start"); on != nil {
		_, err := vu.invoke(ctx, on, inst, vu.data)
		vu.flushPending()
		if err != nil && vu.signal == nil && !isInterrupt(err) {
			// As in Locust, a task set whose onStart throws is not entered.
			vu.frames = vu.frames[:len(vu.frames)-1]
			vu.recordException(err, nf.set.Name+".onStart")
			return false
		}
		vu.settle(ctx, err, nf.set.Name+".onStart")
	}
	return true
}

// settle handles how a call into the script ended: a control signal, an
// exception to count, or nothing.
func (vu *VU) settle(ctx context.Context, err error, where string) {
	sig := vu.signal
	vu.signal = nil
	if sig == nil {
		if err != nil {
			vu.recordException(err, where)
		}
		return
	}
	switch sig.kind {
	case sigReschedule:
		vu.noWait = true
	case sigStopUser:
		vu.done = true
	case sigInterrupt:
		vu.leave(ctx, sig.target)
		vu.noWait = sig.reschedule
	case sigAbort:
	}
}

// leave ends the task set target and every set entered from it, innermost
// first, running their onStop.
func (vu *VU) leave(ctx context.Context, target *goja.Object) {
	k := len(vu.frames) - 1
	for ; k > 0; k-- {
		if o, ok := vu.frames[k].this.(*goja.Object); ok && target != nil && o.SameAs(target) {
			break
		}
	}
	if k == 0 {
		vu.recordException(fmt.Errorf("interrupt() was called on a task set that is not running"), "interrupt")
		return
	}
	for len(vu.frames) > k {
		vu.popFrame(ctx)
	}
}

func (vu *VU) popFrame(ctx context.Context) {
	f := vu.frames[len(vu.frames)-1]
	vu.frames = vu.frames[:len(vu.frames)-1]
	vu.runStop(ctx, f, f.set.Name+".onStop")
}

// runStop runs a frame's onStop hook.
func (vu *VU) runStop(ctx context.Context, f *frame, where string) {
	if f.onStop == nil {
		return
	}
	_, err := vu.invoke(ctx, f.onStop, f.this, vu.data)
	vu.flushPending()
	vu.signal = nil // control calls in onStop have nothing left to do
	if err != nil && !isInterrupt(err) {
		vu.recordException(err, where)
	}
}

// OnStart runs the user's onStart hook, if any.
func (vu *VU) OnStart(ctx context.Context) {
	if len(vu.frames) == 0 {
		return
	}
	holder := vu.user
	if vu.class.Key == "" {
		holder = vu.exports
	}
	if on := hook(holder, "onStart", "on_start"); on != nil {
		_, err := vu.invoke(ctx, on, vu.frames[0].this, vu.data)
		vu.flushPending()
		vu.settle(ctx, err, "onStart")
		vu.noWait = false
	}
}

// OnStop ends every running task set (innermost first, with their onStop)
// and runs the user's onStop hook.
func (vu *VU) OnStop(ctx context.Context) {
	for len(vu.frames) > 1 {
		vu.popFrame(ctx)
	}
	if len(vu.frames) == 1 {
		vu.runStop(ctx, vu.frames[0], "onStop")
	}
}

// taskPath names a task with the task sets it runs in: "Shop > browse".
func (vu *VU) taskPath(name string) string {
	var b strings.Builder
	for _, f := range vu.frames[1:] {
		b.WriteString(f.set.Name)
		b.WriteString(" > ")
	}
	b.WriteString(name)
	return b.String()
}
