package engine_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

// goroutinesWith counts the goroutines whose stack has a frame whose
// name contains sub.
func goroutinesWith(sub string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			count := 0
			for _, g := range bytes.Split(buf[:n], []byte("\n\n")) {
				if bytes.Contains(g, []byte(sub)) {
					count++
				}
			}
			return count
		}
		buf = make([]byte, 2*len(buf))
	}
}

// activations counts the goroutines with a method of package engine on
// their stack: the engines' users, the goroutines they keep idle,
// spawners and Stops, not the tests (nor the package's own tests, paused
// in t.Parallel).
func activations() int { return goroutinesWith("/internal/engine.(*") }

// running counts the goroutines that run a user (an activation).
func running() int { return goroutinesWith("/internal/engine.(*user).run(") }

// parkedUsers starts n users of f, each waiting d after every task, on a
// fake clock, and returns once all of them wait.
func parkedUsers(t *testing.T, f *fakeFactory, n int, d time.Duration) (*engine.Engine, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	f.wait = func(*fakeVU, time.Duration) time.Duration { return d }
	e := newEngine(t, f, engine.Config{StopTimeout: time.Hour, Clock: clk})
	e.Start(n, 0)
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = d
	}
	clk.waitTimers(t, at...)
	return e, clk
}

// A user waiting between tasks holds no goroutine: with 200 users in an
// hour-long wait no goroutine runs a user, and the engine keeps at most
// IdleCap goroutines idle for the next activations; when the wait ends
// all of them run their next task (each in a goroutine of its own), and
// after it they hold none again. After Stop no goroutine of the engine is
// left. Not parallel, so that no other test's engine runs: it counts the
// goroutines of every engine.
func TestWaitingUsersHoldNoGoroutine(t *testing.T) {
	const n = 200
	hold := make(chan struct{})
	var inSecond atomic.Int64
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		if v.tasks.Load() == 2 {
			inSecond.Add(1)
			<-hold
		}
		return nil
	}
	e, clk := parkedUsers(t, f, n, time.Hour)
	eventually(t, func() bool { return running() == 0 }, "no user goroutine while %d users wait (have %d)", n, running())
	if a, c := activations(), engine.IdleCap(); a > c {
		t.Errorf("%d engine goroutines while %d users wait, want at most %d (the idle ones)", a, n, c)
	}
	if u := e.Users(); u != n {
		t.Errorf("Users() = %d while they wait, want %d", u, n)
	}

	clk.Advance(time.Hour)
	eventually(t, func() bool { return inSecond.Load() == n }, "%d users in their second task", n)
	if a := running(); a != n {
		t.Errorf("%d user goroutines while %d users run a task, want one each", a, n)
	}
	close(hold)
	second := make([]time.Duration, n)
	for i := range second {
		second[i] = 2 * time.Hour
	}
	clk.waitTimers(t, second...)
	eventually(t, func() bool { return running() == 0 }, "no user goroutine after the second task (have %d)", running())
	if a, c := activations(), engine.IdleCap(); a > c {
		t.Errorf("%d engine goroutines after the second task, want at most %d (the idle ones)", a, c)
	}

	stopWithin(t, e, context.Background())
	for _, v := range f.all() {
		if v.tasks.Load() != 2 || v.waits.Load() != 2 || v.stops.Load() != 1 || v.closes.Load() != 1 {
			t.Errorf("vu %d: %d tasks, %d waits, %d OnStop, %d Close; want 2, 2, 1, 1", v.id, v.tasks.Load(), v.waits.Load(), v.stops.Load(), v.closes.Load())
		}
	}
	if p := clk.pendingAt(); len(p) != 0 {
		t.Errorf("timers pending after Stop: %v", p)
	}
	// Stop returns once every user called e.wg.Done; their goroutines, and
	// the idle ones, end just after.
	eventually(t, func() bool { return activations() == 0 }, "no engine goroutine after Stop (have %d)", activations())
}

// A stop does not make a goroutine for every waiting user at once: the
// goroutines alive while 4,000 parked users run their OnStop stay far
// below one per user (wakeParked hands them to a small pool whose
// goroutines take the next when done). One context.AfterFunc per user,
// as before, made them all at once: OnStops then saw 1,100-2,500 more
// (about 60-130 now).
// Not parallel, so that no other test's goroutines count.
func TestStopWakesWaitingUsersInBatches(t *testing.T) {
	const n = 4000
	f := &fakeFactory{}
	f.task = func(context.Context, *fakeVU) error { return nil }
	var peak atomic.Int64
	f.onStop = func(context.Context, *fakeVU) {
		g := int64(runtime.NumGoroutine())
		for p := peak.Load(); g > p && !peak.CompareAndSwap(p, g); p = peak.Load() {
		}
	}
	e, _ := parkedUsers(t, f, n, time.Hour)
	eventually(t, func() bool { return running() == 0 }, "no user goroutine while %d users wait (have %d)", n, running())
	before := int64(runtime.NumGoroutine())
	stopWithin(t, e, context.Background())
	if s := f.stopped.Load(); s != n {
		t.Fatalf("%d OnStop calls, want %d", s, n)
	}
	extra := peak.Load() - before
	t.Logf("%d more goroutines than before the stop at most, while %d users ran OnStop", extra, n)
	if extra > n/4 {
		t.Errorf("up to %d more goroutines than before the stop while users ran OnStop, want far fewer than the %d users", extra, n)
	}
}

// OnStops that block still run side by side at a stop: 300 waiting
// users, more than a first batch of stop goroutines, each of whose OnStop
// returns only once all 300 are in theirs. The stop's pool grows each
// time none of its goroutines came free for a millisecond of the
// engine's clock, which the test moves until Stop returns.
func TestStopRunsBlockingOnStopsTogether(t *testing.T) {
	t.Parallel()
	const n = 300
	f := &fakeFactory{}
	f.task = func(context.Context, *fakeVU) error { return nil }
	var in sync.WaitGroup
	in.Add(n)
	f.onStop = func(context.Context, *fakeVU) {
		in.Done()
		in.Wait()
	}
	e, clk := parkedUsers(t, f, n, time.Hour)
	stopped := stopInBackground(e)
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case <-stopped:
		case <-time.After(time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("Stop did not return; %d of %d OnStops began", f.stopped.Load(), n)
			}
			clk.Advance(time.Millisecond)
			continue
		}
		break
	}
	if s := f.stopped.Load(); s != n {
		t.Errorf("%d OnStop calls, want %d", s, n)
	}
}

// goid is the calling goroutine's id, from its stack's header.
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := bytes.Cut(bytes.TrimPrefix(buf, []byte("goroutine ")), []byte(" "))
	return string(id)
}

// A user resumed after a wait runs in the goroutine its last activation
// ran in, kept idle meanwhile (its stack grown and warm), not in the
// timer's: one user, three tasks, each after an hour's wait, all in the
// goroutine that started the user. Not parallel: it waits for the
// engine's one idle goroutine among those of every engine.
func TestResumedUserReusesIdleGoroutine(t *testing.T) {
	clk := newFakeClock()
	var mu sync.Mutex
	var ids []string
	f := &fakeFactory{}
	f.task = func(context.Context, *fakeVU) error {
		mu.Lock()
		ids = append(ids, goid())
		mu.Unlock()
		return nil
	}
	f.wait = func(*fakeVU, time.Duration) time.Duration { return time.Hour }
	e := newEngine(t, f, engine.Config{StopTimeout: time.Hour, Clock: clk})
	e.Start(1, 0)
	for i := range 2 {
		clk.waitTimers(t, time.Duration(i+1)*time.Hour)
		// The activation parks, then its goroutine waits idle: a wake-up
		// before that runs in its own goroutine.
		eventually(t, func() bool { return running() == 0 && goroutinesWith("/internal/engine.(*Engine).idle(") == 1 }, "the user's goroutine idle")
		clk.Advance(time.Hour)
	}
	clk.waitTimers(t, 3*time.Hour)
	stopWithin(t, e, context.Background())
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 3 || ids[0] == "" || ids[1] != ids[0] || ids[2] != ids[0] {
		t.Errorf("tasks ran in goroutines %v, want three times the same", ids)
	}
}

// A ramp-down reaches users in their wait at once, without the clock
// moving: each runs OnStop once and no further task, and its wait timer is
// stopped (what stays pending is the ramp-down's StopTimeout, 2 h, per
// stopped user); the user that stays goes on waiting, and the test's Stop
// reaches it the same way.
func TestStopDuringWaitReachesOnStopOnce(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	f := &fakeFactory{}
	f.task = func(context.Context, *fakeVU) error { return nil }
	f.wait = func(*fakeVU, time.Duration) time.Duration { return time.Hour }
	e := newEngine(t, f, engine.Config{StopTimeout: 2 * time.Hour, Clock: clk})
	e.Start(4, 0)
	clk.waitTimers(t, time.Hour, time.Hour, time.Hour, time.Hour)
	e.Start(1, 0)
	eventually(t, func() bool { return f.stopped.Load() == 3 }, "3 users stopped (have %d)", f.stopped.Load())
	eventually(t, func() bool { return f.closed.Load() == 3 }, "3 users closed (have %d)", f.closed.Load())
	clk.waitTimers(t, time.Hour, 2*time.Hour, 2*time.Hour, 2*time.Hour)
	if v := f.vu(1); v.stops.Load() != 0 {
		t.Errorf("vu 1, the oldest, stopped by the ramp-down to 1")
	}
	stopWithin(t, e, context.Background())
	for _, v := range f.all() {
		if v.tasks.Load() != 1 || v.stops.Load() != 1 || v.closes.Load() != 1 {
			t.Errorf("vu %d: %d tasks, %d OnStop, %d Close; want 1, 1, 1", v.id, v.tasks.Load(), v.stops.Load(), v.closes.Load())
		}
	}
	if p := clk.pendingAt(); len(p) != 3 || p[0] != 2*time.Hour {
		t.Errorf("timers pending after Stop: %v, want the ramp-down's three at 2h", p)
	}
}

// The end of a wait and a stop racing each other resume the user once:
// it runs at most one more task, then OnStop once and Close once, and its
// calls never overlap (fakeVU checks).
func TestWaitEndRacingStop(t *testing.T) {
	t.Parallel()
	const n = 20
	for round := range 30 {
		f := &fakeFactory{}
		f.task = func(context.Context, *fakeVU) error { return nil }
		e, clk := parkedUsers(t, f, n, time.Millisecond)
		stopped := stopInBackground(e)
		clk.Advance(time.Millisecond)
		recv(t, stopped, "Stop")
		for _, v := range f.all() {
			if tasks := v.tasks.Load(); tasks < 1 || tasks > 2 || v.stops.Load() != 1 || v.closes.Load() != 1 {
				t.Errorf("round %d, vu %d: %d tasks, %d OnStop, %d Close; want 1 or 2, 1, 1", round, v.id, tasks, v.stops.Load(), v.closes.Load())
			}
		}
		f.check(t)
	}
}

// On the system clock, users with short waits share an iteration budget
// exactly, as users without waits do: every activation takes its
// iterations from the same count.
func TestIterationsWithWaits(t *testing.T) {
	t.Parallel()
	const users, iters = 20, 2000
	f := &fakeFactory{}
	f.task = func(context.Context, *fakeVU) error { return nil }
	f.wait = func(*fakeVU, time.Duration) time.Duration { return 20 * time.Microsecond }
	e := newEngine(t, f, engine.Config{Iterations: iters})
	e.Start(users, 0)
	recv(t, e.Done(), "Done")
	stopWithin(t, e, context.Background())
	var tasks int64
	for _, v := range f.all() {
		tasks += v.tasks.Load()
		if v.starts.Load() != v.stops.Load() || v.closes.Load() != 1 {
			t.Errorf("vu %d: %d OnStart, %d OnStop, %d Close", v.id, v.starts.Load(), v.stops.Load(), v.closes.Load())
		}
	}
	if tasks != iters {
		t.Errorf("%d tasks ran, want %d", tasks, iters)
	}
}

// panicVU panics in its second task, which runs in an activation resumed
// after a wait.
type panicVU struct {
	tasks, stops, closes atomic.Int64
}

func (v *panicVU) OnStart(context.Context) {}
func (v *panicVU) RunTask(context.Context) error {
	if v.tasks.Add(1) == 2 {
		panic("boom in a resumed task")
	}
	return nil
}
func (v *panicVU) WaitTime(time.Duration) time.Duration { return time.Hour }
func (v *panicVU) OnStop(context.Context)               { v.stops.Add(1) }
func (v *panicVU) Close()                               { v.closes.Add(1) }

type panicFactory struct {
	mu  sync.Mutex
	vus []*panicVU
}

func (f *panicFactory) NewVU(context.Context, int, int) (engine.VU, error) {
	v := &panicVU{}
	f.mu.Lock()
	f.vus = append(f.vus, v)
	f.mu.Unlock()
	return v, nil
}

// A panic in an activation resumed after a wait is recovered as one in
// the user's first: OnPanic gets it, the VU is closed (without OnStop),
// the user retires, and the run ends (Done, then Stop returns).
func TestPanicInResumedActivation(t *testing.T) {
	t.Parallel()
	const n = 3
	clk := newFakeClock()
	pf := &panicFactory{}
	panics := make(chan error, n)
	e := newEngine(t, &fakeFactory{}, engine.Config{Factory: pf, Clock: clk, OnPanic: func(err error) { panics <- err }})
	e.Start(n, 0)
	clk.waitTimers(t, time.Hour, time.Hour, time.Hour)
	clk.Advance(time.Hour)
	for range n {
		if err := recv(t, panics, "OnPanic"); !strings.Contains(err.Error(), "boom in a resumed task") {
			t.Errorf("OnPanic(%v), want the task's panic", err)
		}
	}
	recv(t, e.Done(), "Done")
	stopWithin(t, e, context.Background())
	pf.mu.Lock()
	defer pf.mu.Unlock()
	for i, v := range pf.vus {
		if v.tasks.Load() != 2 || v.stops.Load() != 0 || v.closes.Load() != 1 {
			t.Errorf("vu %d: %d tasks, %d OnStop, %d Close; want 2, 0, 1", i+1, v.tasks.Load(), v.stops.Load(), v.closes.Load())
		}
	}
	if u := e.Users(); u != 0 {
		t.Errorf("Users() = %d, want 0", u)
	}
}

// nopVU runs tasks that do nothing and asks for a fixed wait.
type nopVU struct{ wait time.Duration }

func (v nopVU) OnStart(context.Context)              {}
func (v nopVU) RunTask(context.Context) error        { return nil }
func (v nopVU) WaitTime(time.Duration) time.Duration { return v.wait }
func (v nopVU) OnStop(context.Context)               {}
func (v nopVU) Close()                               {}

type nopFactory struct{ wait time.Duration }

func (f nopFactory) NewVU(context.Context, int, int) (engine.VU, error) { return nopVU(f), nil }

// mallocsFor counts the heap allocations of a whole run of one user with
// the given wait through an iteration budget.
func mallocsFor(t *testing.T, wait time.Duration, iters int64) uint64 {
	t.Helper()
	e := engine.New(engine.Config{Classes: []engine.Class{{Name: "A", Weight: 1}}, Factory: nopFactory{wait}, Iterations: iters})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	e.Start(1, 0)
	recv(t, e.Done(), "Done")
	stopWithin(t, e, context.Background())
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}

// The user loop allocates nothing per task, with or without a wait
// between tasks (a resumed activation reuses the user's timer, and its
// goroutine comes from the runtime's free list): the difference between a
// long run and a short one is the noise of the runtime and the test, not
// one allocation per task. (A wait of 1 us takes about 1 ms: the runtime
// sleeps in whole milliseconds when it has nothing to run, hence fewer
// tasks.) Not parallel: it counts the whole process's allocations.
func TestUserLoopAllocatesNothingPerTask(t *testing.T) {
	for _, c := range []struct {
		wait       time.Duration
		small, big int64
	}{{0, 1000, 21000}, {time.Microsecond, 100, 1100}} {
		mallocsFor(t, c.wait, 10) // warm up: goroutines, timers, contexts
		small := mallocsFor(t, c.wait, c.small)
		big := mallocsFor(t, c.wait, c.big)
		t.Logf("wait %v: %d allocations for %d tasks, %d for %d", c.wait, small, c.small, big, c.big)
		if big > small+100 {
			t.Errorf("wait %v: %d allocations for %d tasks, %d for %d: about %.2f per task", c.wait, small, c.small, big, c.big, float64(big-small)/float64(c.big-c.small))
		}
	}
}
