package engine_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

// guard bounds every wait in these tests. It only turns a hang into a
// failure; no test depends on how fast anything happens.
const guard = 5 * time.Second

// fakeVU is a VU that counts its calls and checks that the engine calls
// them in the documented order: OnStart once, RunTask and WaitTime in turn,
// OnStop once, Close once.
type fakeVU struct {
	f         *fakeFactory
	id, class int

	phase   atomic.Int32 // 0 new, 1 started, 2 stopped, 3 closed
	busy    atomic.Int32 // > 0 while a method runs: calls must not overlap
	starts  atomic.Int64
	tasks   atomic.Int64 // RunTask calls begun
	done    atomic.Int64 // RunTask calls returned
	waits   atomic.Int64
	stops   atomic.Int64
	closes  atomic.Int64
	lastArg atomic.Int64 // the last lastTask passed to WaitTime
}

func (v *fakeVU) enter(method string, want ...int32) {
	if v.busy.Add(1) != 1 {
		v.f.violation("vu %d: %s overlaps another call", v.id, method)
	}
	p := v.phase.Load()
	for _, w := range want {
		if p == w {
			return
		}
	}
	v.f.violation("vu %d: %s called in phase %d", v.id, method, p)
}

func (v *fakeVU) leave() { v.busy.Add(-1) }

func (v *fakeVU) OnStart(ctx context.Context) {
	v.enter("OnStart", 0)
	defer v.leave()
	v.phase.Store(1)
	v.starts.Add(1)
	if v.f.onStart != nil {
		v.f.onStart(ctx, v)
	}
}

func (v *fakeVU) RunTask(ctx context.Context) error {
	v.enter("RunTask", 1)
	defer v.leave()
	v.tasks.Add(1)
	defer v.done.Add(1)
	if v.f.task != nil {
		return v.f.task(ctx, v)
	}
	<-ctx.Done()
	return ctx.Err()
}

func (v *fakeVU) WaitTime(last time.Duration) time.Duration {
	v.enter("WaitTime", 1)
	defer v.leave()
	v.waits.Add(1)
	v.lastArg.Store(int64(last))
	if v.f.wait != nil {
		return v.f.wait(v, last)
	}
	return 0
}

func (v *fakeVU) OnStop(ctx context.Context) {
	v.enter("OnStop", 1)
	defer v.leave()
	v.phase.Store(2)
	v.stops.Add(1)
	v.f.stopped.Add(1)
	if v.f.onStop != nil {
		v.f.onStop(ctx, v)
	}
}

func (v *fakeVU) Close() {
	v.enter("Close", 2, 0) // 0: a user with no iteration left is only closed
	defer v.leave()
	v.phase.Store(3)
	v.closes.Add(1)
	v.f.closed.Add(1)
}

var _ engine.VU = (*fakeVU)(nil)

// fakeFactory makes fakeVUs. Its hooks are set before the engine starts
// and never changed; nil hooks give the default behaviour: RunTask blocks
// until its context is canceled and WaitTime is zero.
type fakeFactory struct {
	newErr  func(id, class int) error
	onStart func(ctx context.Context, v *fakeVU)
	task    func(ctx context.Context, v *fakeVU) error
	wait    func(v *fakeVU, last time.Duration) time.Duration
	onStop  func(ctx context.Context, v *fakeVU)
	// interrupt, when set, makes the VUs Interrupters: Interrupt calls it
	// (from any goroutine, not checked for overlaps).
	interrupt func(v *fakeVU)
	// onNew runs inside NewVU before the VU is made.
	onNew func(id, class int)

	calls   atomic.Int64 // NewVU calls
	created atomic.Int64 // NewVU successes
	stopped atomic.Int64 // OnStop calls
	closed  atomic.Int64 // Close calls

	mu         sync.Mutex
	vus        map[int]*fakeVU
	ids        []int
	violations []string
}

func (f *fakeFactory) NewVU(_ context.Context, id, class int) (engine.VU, error) {
	f.calls.Add(1)
	if f.onNew != nil {
		f.onNew(id, class)
	}
	f.mu.Lock()
	f.ids = append(f.ids, id)
	f.mu.Unlock()
	if f.newErr != nil {
		if err := f.newErr(id, class); err != nil {
			return nil, err
		}
	}
	v := &fakeVU{f: f, id: id, class: class}
	f.mu.Lock()
	if f.vus == nil {
		f.vus = map[int]*fakeVU{}
	}
	if f.vus[id] != nil {
		f.violations = append(f.violations, fmt.Sprintf("id %d made twice", id))
	}
	f.vus[id] = v
	f.mu.Unlock()
	f.created.Add(1)
	if f.interrupt != nil {
		return interruptibleVU{v}, nil
	}
	return v, nil
}

// interruptibleVU is a fakeVU that is an engine.Interrupter.
type interruptibleVU struct{ *fakeVU }

func (v interruptibleVU) Interrupt() { v.f.interrupt(v.fakeVU) }

func (f *fakeFactory) violation(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.violations = append(f.violations, fmt.Sprintf(format, args...))
}

// all returns the VUs made so far, by id.
func (f *fakeFactory) all() []*fakeVU {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*fakeVU, 0, len(f.vus))
	for _, v := range f.vus {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (f *fakeFactory) vu(id int) *fakeVU {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vus[id]
}

// idsSeen returns the ids NewVU was called with, sorted.
func (f *fakeFactory) idsSeen() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]int(nil), f.ids...)
	sort.Ints(out)
	return out
}

// perClass counts the VUs made per class index.
func (f *fakeFactory) perClass(n int) []int {
	out := make([]int, n)
	for _, v := range f.all() {
		out[v.class]++
	}
	return out
}

// check fails the test on any call-order violation seen so far.
func (f *fakeFactory) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.violations {
		t.Error(v)
	}
}

// spawned collects OnSpawned calls.
type spawned chan map[string]int

func (s spawned) hook(counts map[string]int) { s <- counts }

// next waits for the next OnSpawned call.
func (s spawned) next(t *testing.T) map[string]int {
	t.Helper()
	select {
	case m := <-s:
		return m
	case <-time.After(guard):
		t.Fatal("OnSpawned not called")
		return nil
	}
}

// newEngine makes an engine for f (or for cfg.Factory, which makes its VUs
// through f) and stops it when the test ends, then checks the VUs' call
// order.
func newEngine(t *testing.T, f *fakeFactory, cfg engine.Config) *engine.Engine {
	t.Helper()
	if cfg.Factory == nil {
		cfg.Factory = f
	}
	if cfg.Classes == nil {
		cfg.Classes = []engine.Class{{Name: "A", Weight: 1}}
	}
	e := engine.New(cfg)
	t.Cleanup(func() {
		e.Kill()
		stopWithin(t, e, context.Background())
		f.check(t)
	})
	return e
}

// stopWithin calls e.Stop(ctx) and fails if it does not return in time.
func stopWithin(t *testing.T, e *engine.Engine, ctx context.Context) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		e.Stop(ctx)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(guard):
		t.Fatal("Stop did not return")
	}
}

// stopInBackground calls e.Stop in a goroutine; the channel it returns is
// closed when Stop returns.
func stopInBackground(e *engine.Engine) <-chan struct{} {
	stopped := make(chan struct{})
	go func() {
		e.Stop(context.Background())
		close(stopped)
	}()
	return stopped
}

// eventually fails the test if cond does not become true in time.
func eventually(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: "+format, args...)
		}
		time.Sleep(time.Millisecond)
	}
}

// recv waits for a value on ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// fakeClock is an engine.Clock whose time moves only when the test
// advances it, so that tests check the engine's pacing exactly instead of
// counting what happened in a slept interval.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	pending []*fakeTimer // timers that have not fired, in no order
}

// fakeTimer is a timer of a fakeClock. Like a time.Timer since Go 1.23,
// Stop and Reset discard a time fired but not received.
type fakeTimer struct {
	c   *fakeClock
	ch  chan time.Time // nil for AfterFunc
	f   func()         // AfterFunc's function
	due time.Time
}

var _ engine.Clock = (*fakeClock)(nil)

// clockStart is where every fake clock starts.
var clockStart = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newFakeClock() *fakeClock { return &fakeClock{now: clockStart} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) engine.Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t, d)
	return t
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) engine.Timer {
	t := &fakeTimer{c: c, f: f}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t, d)
	return t
}

// setLocked makes t due d from now, firing it at once if d <= 0.
func (c *fakeClock) setLocked(t *fakeTimer, d time.Duration) {
	t.due = c.now.Add(d)
	if d <= 0 {
		t.fire(c.now)
		return
	}
	c.pending = append(c.pending, t)
}

// unsetLocked takes t out of the pending timers and reports whether it
// was there.
func (c *fakeClock) unsetLocked(t *fakeTimer) bool {
	for i, p := range c.pending {
		if p == t {
			c.pending = slices.Delete(c.pending, i, i+1)
			return true
		}
	}
	return false
}

func (t *fakeTimer) fire(now time.Time) {
	if t.f != nil {
		go t.f()
		return
	}
	t.ch <- now // never blocks: Stop and Reset empty the buffer
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.stopLocked()
}

func (t *fakeTimer) stopLocked() bool {
	was := t.c.unsetLocked(t)
	if t.ch != nil {
		select {
		case <-t.ch:
			was = true // fired but not received: Stop still prevented it
		default:
		}
	}
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.stopLocked()
	t.c.setLocked(t, d)
	return was
}

// Advance moves the time d on and fires, in order, the timers due by then.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	c.pending = slices.DeleteFunc(c.pending, func(t *fakeTimer) bool {
		if t.due.After(c.now) {
			return false
		}
		due = append(due, t)
		return true
	})
	slices.SortStableFunc(due, func(a, b *fakeTimer) int { return a.due.Compare(b.due) })
	for _, t := range due {
		t.fire(t.due)
	}
}

// AdvanceTo moves the time on to at (which must not be in the past).
func (c *fakeClock) AdvanceTo(at time.Time) { c.Advance(at.Sub(c.Now())) }

// pendingAt returns the due times of the pending timers as offsets from
// clockStart, sorted.
func (c *fakeClock) pendingAt() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, 0, len(c.pending))
	for _, t := range c.pending {
		out = append(out, t.due.Sub(clockStart))
	}
	slices.Sort(out)
	return out
}

// waitTimers waits until the pending timers are due exactly at the given
// offsets from clockStart (in any order): the goroutines that sleep on
// the clock have all gone to sleep where the test expects.
func (c *fakeClock) waitTimers(t *testing.T, at ...time.Duration) {
	t.Helper()
	want := slices.Clone(at)
	slices.Sort(want)
	deadline := time.Now().Add(guard)
	for !slices.Equal(c.pendingAt(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for timers due at %v; pending: %v", want, c.pendingAt())
		}
		time.Sleep(time.Millisecond)
	}
}
