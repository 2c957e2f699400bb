package engine_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func countsOf(classes []engine.Class, n []int) map[string]int {
	m := map[string]int{}
	for i, c := range classes {
		m[c.Name] = n[i]
	}
	return m
}

func TestStartReachesUsers(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{1000, 0, math.Inf(1)} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			t.Parallel()
			classes := []engine.Class{
				{Name: "Shopper", Weight: 3},
				{Name: "Browser", Weight: 1},
				{Name: "Admin", FixedCount: 2},
				{Name: "Idle", Weight: 0},
			}
			const n = 22
			want := engine.Distribute(classes, n)
			f := &fakeFactory{}
			sp := make(spawned, 4)
			e := newEngine(t, f, engine.Config{Classes: classes, OnSpawned: sp.hook})
			if s := e.State(); s != engine.Ready {
				t.Fatalf("new engine in state %v, want ready", s)
			}
			e.Start(n, rate)

			got := sp.next(t)
			if !maps.Equal(got, countsOf(classes, want)) {
				t.Errorf("OnSpawned(%v), want %v", got, countsOf(classes, want))
			}
			if u := e.Users(); u != n {
				t.Errorf("Users() = %d after spawning, want %d", u, n)
			}
			if c := e.UserCounts(); !maps.Equal(c, got) {
				t.Errorf("UserCounts() = %v, OnSpawned got %v", c, got)
			}
			if s := e.State(); s != engine.Running {
				t.Errorf("State() = %v after spawning, want running", s)
			}
			eventually(t, func() bool { return f.created.Load() == n }, "%d VUs created", n)
			if ids := f.idsSeen(); !slices.Equal(ids, seq(1, n)) {
				t.Errorf("ids %v, want 1..%d each once", ids, n)
			}
			if pc := f.perClass(len(classes)); !slices.Equal(pc, want) {
				t.Errorf("VUs per class %v, want %v", pc, want)
			}
			for _, v := range f.all() {
				eventually(t, func() bool { return v.tasks.Load() == 1 }, "vu %d running a task", v.id)
				if v.starts.Load() != 1 {
					t.Errorf("vu %d: OnStart called %d times", v.id, v.starts.Load())
				}
			}
			if f.calls.Load() != n {
				t.Errorf("NewVU called %d times, want %d", f.calls.Load(), n)
			}
		})
	}
}

func TestSpawnFollowsTheSchedule(t *testing.T) {
	t.Parallel()
	// At 10 users/s the k-th user (from 0) is due k*100 ms after Start: the
	// spawner sleeps until then with k users launched, and one nanosecond
	// earlier is not yet enough.
	const n, rate, step = 5, 10.0, 100 * time.Millisecond
	clk := newFakeClock()
	f := &fakeFactory{}
	sp := make(spawned, 1)
	e := newEngine(t, f, engine.Config{OnSpawned: sp.hook, Clock: clk})
	e.Start(n, rate)
	for k := 1; k < n; k++ {
		due := time.Duration(k) * step
		clk.waitTimers(t, due)
		clk.AdvanceTo(clockStart.Add(due - 1))
		clk.waitTimers(t, due)
		if u := e.Users(); u != k {
			t.Fatalf("Users() = %d just before user %d is due, want %d", u, k+1, k)
		}
		if s := e.State(); s != engine.Spawning {
			t.Fatalf("State() = %v while spawning, want spawning", s)
		}
		clk.Advance(1)
		eventually(t, func() bool { return e.Users() == k+1 }, "user %d launched when due", k+1)
	}
	if got := sp.next(t); got["A"] != n {
		t.Errorf("OnSpawned(%v), want A: %d", got, n)
	}
	if p := clk.pendingAt(); len(p) != 0 {
		t.Errorf("timers pending after spawning: %v", p)
	}
	eventually(t, func() bool { return f.created.Load() == n }, "%d VUs created", n)
}

// TestUnlimitedSpawnLetsUsersRun: a spawner that is behind its schedule
// (here: an unlimited rate) lets each user it launches run before it
// launches the next, rather than queueing all of them first. On one core
// the users' first requests otherwise wait behind the whole spawn (and
// their responses behind it too: Go's scheduler polls the network when
// nothing else is runnable), so that none of 10,000 users got its first
// response in the first second. Go's scheduler does not promise the
// order (it picks its global queue first once in 61 turns, and the race
// detector shuffles), so the test asks for most users, not all.
func TestUnlimitedSpawnLetsUsersRun(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const n = 2000
	var e *engine.Engine
	var first atomic.Int64 // users whose VU was made before the next user was launched
	f := &fakeFactory{onNew: func(id, _ int) {
		if e.Users() == id {
			first.Add(1)
		}
	}}
	sp := make(spawned, 1)
	e = newEngine(t, f, engine.Config{OnSpawned: sp.hook})
	e.Start(n, math.Inf(1))
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == n }, "%d VUs created", n)
	if got := first.Load(); got < n/2 {
		t.Errorf("%d of %d users started before the next one was launched, want at least %d", got, n, n/2)
	}
}

func TestRestartedSpawnHasItsOwnSchedule(t *testing.T) {
	t.Parallel()
	// A Start during a slow spawn replaces it: the new spawn's first user
	// is due at once and the others at its own rate from then.
	clk := newFakeClock()
	f := &fakeFactory{}
	sp := make(spawned, 1)
	e := newEngine(t, f, engine.Config{OnSpawned: sp.hook, Clock: clk})
	e.Start(10, 1) // one user now, the next at 1 s
	clk.waitTimers(t, time.Second)
	clk.Advance(300 * time.Millisecond)
	e.Start(4, 4) // three more: at 300, 550 and 800 ms
	clk.waitTimers(t, 550*time.Millisecond)
	if u := e.Users(); u != 2 {
		t.Fatalf("Users() = %d, want 2 (one of each spawn)", u)
	}
	clk.Advance(250 * time.Millisecond)
	clk.waitTimers(t, 800*time.Millisecond)
	if u := e.Users(); u != 3 {
		t.Fatalf("Users() = %d at 550 ms, want 3", u)
	}
	clk.Advance(250 * time.Millisecond)
	if got := sp.next(t); got["A"] != 4 {
		t.Errorf("OnSpawned(%v), want A: 4", got)
	}
	if p := clk.pendingAt(); len(p) != 0 {
		t.Errorf("timers pending after spawning: %v", p)
	}
}

func TestStopInterruptsSpawning(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	sp := make(spawned, 1)
	e := newEngine(t, f, engine.Config{OnSpawned: sp.hook, Clock: newFakeClock()})
	e.Start(1000, 0.001) // one user now, the next in 1000 s (never: the clock stands still)
	eventually(t, func() bool { return f.created.Load() == 1 }, "first VU")
	stopWithin(t, e, context.Background())
	if s := e.State(); s != engine.Stopped {
		t.Errorf("State() = %v after Stop, want stopped", s)
	}
	if u := e.Users(); u != 0 {
		t.Errorf("Users() = %d after Stop, want 0", u)
	}
	if c, cl := f.created.Load(), f.closed.Load(); c != cl {
		t.Errorf("%d VUs created, %d closed when Stop returned", c, cl)
	}
	select {
	case m := <-sp:
		t.Errorf("OnSpawned(%v) for a spawn that was stopped", m)
	default:
	}
	// A stopped engine does not start again.
	before := f.calls.Load()
	e.Start(10, 0)
	if s := e.State(); s != engine.Stopped {
		t.Errorf("State() = %v after Start on a stopped engine", s)
	}
	stopWithin(t, e, context.Background())
	if after := f.calls.Load(); after != before {
		t.Errorf("Start after Stop made %d VUs", after-before)
	}
}

func TestStopRightAfterStart(t *testing.T) {
	t.Parallel()
	// Stopping while the spawner is launching users must not leave a VU
	// running (or being made) after Stop returns.
	for range 30 {
		f := &fakeFactory{}
		e := newEngine(t, f, engine.Config{})
		e.Start(200, 0)
		stopWithin(t, e, context.Background())
		c, cl := f.calls.Load(), f.closed.Load()
		if c != cl {
			t.Fatalf("Stop returned with %d NewVU calls and %d VUs closed", c, cl)
		}
		if u := e.Users(); u != 0 {
			t.Fatalf("Users() = %d after Stop", u)
		}
	}
}

func TestStopBeforeStart(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	e := newEngine(t, f, engine.Config{})
	stopWithin(t, e, context.Background())
	if s := e.State(); s != engine.Stopped {
		t.Errorf("State() = %v, want stopped", s)
	}
	stopWithin(t, e, context.Background()) // a second Stop is harmless
}

func TestRamp(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	sp := make(spawned, 3)
	e := newEngine(t, f, engine.Config{OnSpawned: sp.hook})

	e.Start(10, 0)
	if got := sp.next(t); got["A"] != 10 {
		t.Fatalf("OnSpawned(%v), want A: 10", got)
	}
	eventually(t, func() bool { return f.created.Load() == 10 }, "10 VUs")
	for _, v := range f.all() {
		eventually(t, func() bool { return v.tasks.Load() == 1 }, "vu %d in its task", v.id)
	}

	e.Start(4, 0)
	if got := sp.next(t); got["A"] != 4 {
		t.Errorf("OnSpawned(%v) after ramping down, want A: 4", got)
	}
	if u := e.Users(); u != 4 {
		t.Errorf("Users() = %d after Start(4), want 4", u)
	}
	eventually(t, func() bool { return f.closed.Load() == 6 }, "6 VUs closed")
	for _, v := range f.all() {
		stopped := v.id > 4 // newest first
		if got := v.closes.Load() == 1 && v.stops.Load() == 1; got != stopped {
			t.Errorf("vu %d: stopped and closed = %v, want %v", v.id, got, stopped)
		}
	}

	e.Start(8, 0)
	if got := sp.next(t); got["A"] != 8 {
		t.Errorf("OnSpawned(%v) after ramping up, want A: 8", got)
	}
	if u := e.Users(); u != 8 {
		t.Errorf("Users() = %d after Start(8), want 8", u)
	}
	eventually(t, func() bool { return f.created.Load() == 14 }, "14 VUs")
	if ids := f.idsSeen(); !slices.Equal(ids, seq(1, 14)) {
		t.Errorf("ids %v, want 1..14", ids)
	}
	if c := f.closed.Load(); c != 6 {
		t.Errorf("%d VUs closed, want 6", c)
	}
}

func TestRampDownPerClassNewestFirst(t *testing.T) {
	t.Parallel()
	classes := []engine.Class{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}
	f := &fakeFactory{}
	sp := make(spawned, 2)
	e := newEngine(t, f, engine.Config{Classes: classes, OnSpawned: sp.hook})
	e.Start(6, 0)
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == 6 }, "6 VUs")
	e.Start(2, 0)
	if got := sp.next(t); !maps.Equal(got, map[string]int{"A": 1, "B": 1}) {
		t.Errorf("OnSpawned(%v), want A: 1, B: 1", got)
	}
	eventually(t, func() bool { return f.closed.Load() == 4 }, "4 VUs closed")
	// In each class the oldest (lowest id) user is the one left running.
	oldest := map[int]int{}
	for _, v := range f.all() {
		if o, ok := oldest[v.class]; !ok || v.id < o {
			oldest[v.class] = v.id
		}
	}
	for _, v := range f.all() {
		if left := v.closes.Load() == 0; left != (oldest[v.class] == v.id) {
			t.Errorf("vu %d (class %d): still running = %v", v.id, v.class, left)
		}
	}
}

func TestRampDownThenSelfStopIsReplaced(t *testing.T) {
	t.Parallel()
	// A user stopped by a ramp-down that ends its last task with
	// ErrStopUser was not retired by itself: ramping up again must make a
	// new user for it.
	release := make(chan struct{})
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		if v.id != 2 {
			<-ctx.Done()
			return ctx.Err()
		}
		select {
		case <-release:
			return engine.ErrStopUser
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sp := make(spawned, 3)
	e := newEngine(t, f, engine.Config{StopTimeout: time.Minute, OnSpawned: sp.hook, Clock: newFakeClock()})
	e.Start(2, 0)
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == 2 }, "2 VUs")
	v2 := f.vu(2)
	eventually(t, func() bool { return v2.tasks.Load() == 1 }, "vu 2 in its task")
	e.Start(1, 0)
	sp.next(t)
	close(release)
	eventually(t, func() bool { return v2.closes.Load() == 1 }, "vu 2 closed")
	e.Start(2, 0)
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == 3 }, "a third VU replacing vu 2 (created %d)", f.created.Load())
	if u := e.Users(); u != 2 {
		t.Errorf("Users() = %d, want 2", u)
	}
}

func TestConcurrentStartsDoNotOvershoot(t *testing.T) {
	t.Parallel()
	for range 20 {
		f := &fakeFactory{}
		sp := make(spawned, 8)
		e := newEngine(t, f, engine.Config{OnSpawned: sp.hook, Clock: newFakeClock()})
		e.Start(5, 0)
		sp.next(t)
		e.Start(50, 0.001) // a spawn in progress: one more user now, no other until the clock moves
		eventually(t, func() bool { return e.Users() == 6 }, "6 users")

		var wg sync.WaitGroup
		gate := make(chan struct{})
		for range 2 {
			wg.Go(func() {
				<-gate
				e.Start(10, 0)
			})
		}
		close(gate)
		wg.Wait()
		if got := sp.next(t); got["A"] != 10 {
			t.Fatalf("OnSpawned(%v) after concurrent Start(10)s, want A: 10", got)
		}
		stopWithin(t, e, context.Background())
		if c := f.calls.Load(); c != 10 {
			t.Fatalf("%d VUs made for a target of 10", c)
		}
	}
}

func TestStopInterruptsAtOnce(t *testing.T) {
	t.Parallel()
	const n = 3
	f := &fakeFactory{}
	var mu sync.Mutex
	taskErrs := map[int]error{}
	stopCtxErr := map[int]error{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		<-ctx.Done()
		mu.Lock()
		taskErrs[v.id] = ctx.Err()
		mu.Unlock()
		return ctx.Err()
	}
	f.onStop = func(ctx context.Context, v *fakeVU) {
		mu.Lock()
		stopCtxErr[v.id] = ctx.Err()
		mu.Unlock()
	}
	sp := make(spawned, 1)
	e := newEngine(t, f, engine.Config{StopTimeout: 0, OnSpawned: sp.hook})
	e.Start(n, 0)
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == n }, "%d VUs", n)
	for _, v := range f.all() {
		eventually(t, func() bool { return v.tasks.Load() == 1 }, "vu %d in its task", v.id)
	}
	stopWithin(t, e, context.Background())

	if s := e.State(); s != engine.Stopped {
		t.Errorf("State() = %v, want stopped", s)
	}
	if u := e.Users(); u != 0 {
		t.Errorf("Users() = %d after Stop, want 0", u)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, v := range f.all() {
		if taskErrs[v.id] == nil {
			t.Errorf("vu %d: task context not canceled", v.id)
		}
		if v.stops.Load() != 1 || v.closes.Load() != 1 {
			t.Errorf("vu %d: OnStop %d times, Close %d times, want 1 and 1", v.id, v.stops.Load(), v.closes.Load())
		}
		if err := stopCtxErr[v.id]; err != nil {
			t.Errorf("vu %d: OnStop got a done context (%v); it has its own timeout", v.id, err)
		}
		if v.tasks.Load() != 1 {
			t.Errorf("vu %d: %d tasks, want 1", v.id, v.tasks.Load())
		}
	}
	if tasks, onStops := e.CutOff(); tasks != n || onStops != 0 {
		t.Errorf("CutOff() = %d tasks, %d onStops; want %d and 0", tasks, onStops, n)
	}
}

func TestOnStopCutOffIsCounted(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error { return engine.ErrStopUser }
	f.onStop = func(ctx context.Context, v *fakeVU) { <-ctx.Done() } // runs until its bound
	e := newEngine(t, f, engine.Config{OnStopTimeout: time.Nanosecond})
	e.Start(2, 0)
	eventually(t, func() bool { return f.created.Load() == 2 && f.vu(1).stops.Load() == 1 && f.vu(2).stops.Load() == 1 }, "both users stopped")
	stopWithin(t, e, context.Background())
	if tasks, onStops := e.CutOff(); tasks != 0 || onStops != 2 {
		t.Errorf("CutOff() = %d tasks, %d onStops; want 0 and 2 (the tasks ended by themselves)", tasks, onStops)
	}
}

func TestStopLetsRunningTaskFinish(t *testing.T) {
	t.Parallel()
	// vu 1 is in a task that ends when the test says so; vu 2 is in a 1 h
	// wait, so its OnStop shows that the stop has reached the users.
	release := make(chan struct{})
	taskErr := make(chan error, 1)
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		if v.id == 2 {
			return nil
		}
		if v.tasks.Load() > 1 {
			return nil // counted; must not happen
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		taskErr <- ctx.Err()
		return nil
	}
	f.wait = func(*fakeVU, time.Duration) time.Duration { return time.Hour }
	sp := make(spawned, 1)
	clk := newFakeClock()
	e := newEngine(t, f, engine.Config{StopTimeout: time.Minute, OnSpawned: sp.hook, Clock: clk})
	e.Start(2, 0)
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == 2 }, "2 VUs")
	v1, v2 := f.vu(1), f.vu(2)
	eventually(t, func() bool { return v1.tasks.Load() == 1 && v2.waits.Load() == 1 }, "vu 1 in its task and vu 2 waiting")

	stopped := stopInBackground(e)
	eventually(t, func() bool { return v2.stops.Load() == 1 }, "vu 2 stopping")
	clk.waitTimers(t, time.Minute) // the stop timeout, not yet passed
	select {
	case <-stopped:
		t.Fatal("Stop returned while a task was still running within the stop timeout")
	default:
	}
	if s := e.State(); s != engine.Stopping {
		t.Errorf("State() = %v during a graceful stop, want stopping", s)
	}
	close(release)
	if err := recv(t, taskErr, "vu 1's task"); err != nil {
		t.Errorf("the running task's context was canceled (%v) within the stop timeout", err)
	}
	recv(t, stopped, "Stop to return")
	if n := v1.tasks.Load(); n != 1 {
		t.Errorf("vu 1 ran %d tasks, want no task started after Stop", n)
	}
	if v1.stops.Load() != 1 || v1.closes.Load() != 1 {
		t.Errorf("vu 1: OnStop %d, Close %d, want 1 and 1", v1.stops.Load(), v1.closes.Load())
	}
}

func TestStopTimeoutInterruptsTask(t *testing.T) {
	t.Parallel()
	// A stop interrupts the running task exactly StopTimeout after it
	// began, not a nanosecond earlier.
	clk := newFakeClock()
	f := &fakeFactory{}
	taskErr := make(chan error, 1)
	f.task = func(ctx context.Context, v *fakeVU) error {
		<-ctx.Done()
		taskErr <- ctx.Err()
		return ctx.Err()
	}
	e := newEngine(t, f, engine.Config{StopTimeout: time.Minute, Clock: clk})
	e.Start(1, 0)
	eventually(t, func() bool { return f.created.Load() == 1 && f.vu(1).tasks.Load() == 1 }, "vu 1 in its task")
	stopped := stopInBackground(e)
	clk.waitTimers(t, time.Minute)
	clk.Advance(time.Minute - 1)
	clk.waitTimers(t, time.Minute)
	select {
	case err := <-taskErr:
		t.Fatalf("the task was interrupted (%v) before the stop timeout", err)
	case <-stopped:
		t.Fatal("Stop returned before the stop timeout with a task running")
	default:
	}
	clk.Advance(1)
	if err := recv(t, taskErr, "the task's end"); !errors.Is(err, context.Canceled) {
		t.Errorf("task context error %v, want canceled", err)
	}
	recv(t, stopped, "Stop to return")
	if c := f.closed.Load(); c != 1 {
		t.Errorf("%d VUs closed, want 1", c)
	}
}

func TestRampDownStopTimeoutInterruptsTask(t *testing.T) {
	t.Parallel()
	// A user stopped by a ramp-down has StopTimeout to end its task; the
	// users left running are not touched.
	clk := newFakeClock()
	f := &fakeFactory{}
	taskErr := make(chan error, 2)
	f.task = func(ctx context.Context, v *fakeVU) error {
		<-ctx.Done()
		taskErr <- ctx.Err()
		return ctx.Err()
	}
	sp := make(spawned, 2)
	e := newEngine(t, f, engine.Config{StopTimeout: time.Minute, OnSpawned: sp.hook, Clock: clk})
	e.Start(2, 0)
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == 2 && f.vu(1).tasks.Load() == 1 && f.vu(2).tasks.Load() == 1 }, "2 VUs in their tasks")
	clk.Advance(time.Second)
	e.Start(1, 0)
	sp.next(t)
	clk.waitTimers(t, time.Second+time.Minute)
	clk.Advance(time.Minute - 1)
	clk.waitTimers(t, time.Second+time.Minute)
	select {
	case err := <-taskErr:
		t.Fatalf("a task was interrupted (%v) before the stop timeout", err)
	default:
	}
	clk.Advance(1)
	if err := recv(t, taskErr, "vu 2's task end"); !errors.Is(err, context.Canceled) {
		t.Errorf("task context error %v, want canceled", err)
	}
	eventually(t, func() bool { return f.vu(2).closes.Load() == 1 }, "vu 2 closed")
	if v1 := f.vu(1); v1.closes.Load() != 0 || v1.tasks.Load() != 1 {
		t.Errorf("vu 1: %d tasks, closed %d times; want it still in its first task", v1.tasks.Load(), v1.closes.Load())
	}
}

func TestStopWithCanceledContextKills(t *testing.T) {
	t.Parallel()
	const n = 2
	f := &fakeFactory{}
	var mu sync.Mutex
	taskErrs := map[int]error{}
	stopErrs := map[int]error{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		<-ctx.Done()
		mu.Lock()
		taskErrs[v.id] = ctx.Err()
		mu.Unlock()
		return ctx.Err()
	}
	f.onStop = func(ctx context.Context, v *fakeVU) {
		<-ctx.Done()
		mu.Lock()
		stopErrs[v.id] = ctx.Err()
		mu.Unlock()
	}
	e := newEngine(t, f, engine.Config{StopTimeout: time.Hour, OnStopTimeout: time.Hour})
	e.Start(n, 0)
	eventually(t, func() bool { return f.created.Load() == n }, "%d VUs", n)
	for _, v := range f.all() {
		eventually(t, func() bool { return v.tasks.Load() == 1 }, "vu %d in its task", v.id)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopWithin(t, e, ctx)
	if s := e.State(); s != engine.Stopped {
		t.Errorf("State() = %v, want stopped", s)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, v := range f.all() {
		if taskErrs[v.id] == nil {
			t.Errorf("vu %d: task context not canceled", v.id)
		}
		if !errors.Is(stopErrs[v.id], context.Canceled) {
			t.Errorf("vu %d: OnStop context error %v, want canceled", v.id, stopErrs[v.id])
		}
		if v.closes.Load() != 1 {
			t.Errorf("vu %d: Close called %d times", v.id, v.closes.Load())
		}
	}
}

func TestKillDuringOnStop(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	inStop := make(chan struct{})
	stopErr := make(chan error, 1)
	f.onStop = func(ctx context.Context, v *fakeVU) {
		close(inStop)
		<-ctx.Done()
		stopErr <- ctx.Err()
	}
	e := newEngine(t, f, engine.Config{StopTimeout: 0, OnStopTimeout: time.Hour})
	e.Start(1, 0)
	eventually(t, func() bool { return f.created.Load() == 1 && f.vu(1).tasks.Load() == 1 }, "vu 1 in its task")
	stopped := stopInBackground(e)
	recv(t, inStop, "OnStop")
	select {
	case <-stopped:
		t.Fatal("Stop returned while OnStop was running")
	default:
	}
	e.Kill()
	if err := recv(t, stopErr, "OnStop's end"); !errors.Is(err, context.Canceled) {
		t.Errorf("OnStop context error %v, want canceled", err)
	}
	recv(t, stopped, "Stop to return")
	if c := f.closed.Load(); c != 1 {
		t.Errorf("%d VUs closed, want 1", c)
	}
}

func TestOnStopTimeout(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	stopErr := make(chan error, 1)
	f.onStop = func(ctx context.Context, v *fakeVU) {
		<-ctx.Done()
		stopErr <- ctx.Err()
	}
	e := newEngine(t, f, engine.Config{OnStopTimeout: 10 * time.Millisecond})
	e.Start(1, 0)
	eventually(t, func() bool { return f.created.Load() == 1 && f.vu(1).tasks.Load() == 1 }, "vu 1 in its task")
	stopWithin(t, e, context.Background())
	if err := recv(t, stopErr, "OnStop's end"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("OnStop context error %v, want deadline exceeded", err)
	}
}

func TestWaitTimeIsHonouredAndEndsOnStop(t *testing.T) {
	t.Parallel()
	// Three users run a first task that takes 5 ms on the fake clock, get
	// WaitTime(5 ms) and wait the hour they ask for: the next task starts
	// when it has passed, not a nanosecond before. The second task takes
	// no time and its hour-long wait ends at once on Stop.
	const n = 3
	const taskTime = 5 * time.Millisecond
	clk := newFakeClock()
	release := make(chan struct{})
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		if v.tasks.Load() == 1 {
			<-release
		}
		return nil
	}
	f.wait = func(*fakeVU, time.Duration) time.Duration { return time.Hour }
	e := newEngine(t, f, engine.Config{StopTimeout: time.Hour, Clock: clk})
	e.Start(n, 0)
	eventually(t, func() bool { return f.created.Load() == n }, "%d VUs", n)
	for _, v := range f.all() {
		eventually(t, func() bool { return v.tasks.Load() == 1 }, "vu %d in its task", v.id)
	}
	clk.Advance(taskTime)
	close(release)
	firstWait := taskTime + time.Hour
	clk.waitTimers(t, firstWait, firstWait, firstWait)
	for _, v := range f.all() {
		if last := time.Duration(v.lastArg.Load()); last != taskTime {
			t.Errorf("vu %d: WaitTime(%v), want the task's %v", v.id, last, taskTime)
		}
	}
	clk.Advance(time.Hour - 1)
	clk.waitTimers(t, firstWait, firstWait, firstWait)
	for _, v := range f.all() {
		if got := v.tasks.Load(); got != 1 {
			t.Errorf("vu %d ran %d tasks before its wait ended, want 1", v.id, got)
		}
	}
	clk.Advance(1)
	secondWait := firstWait + time.Hour
	clk.waitTimers(t, secondWait, secondWait, secondWait)
	stopWithin(t, e, context.Background())
	for _, v := range f.all() {
		if got := v.tasks.Load(); got != 2 {
			t.Errorf("vu %d ran %d tasks, want 2", v.id, got)
		}
		if last := time.Duration(v.lastArg.Load()); last != 0 {
			t.Errorf("vu %d: WaitTime(%v) after a task that took no time", v.id, last)
		}
		if v.stops.Load() != 1 || v.closes.Load() != 1 {
			t.Errorf("vu %d: OnStop %d, Close %d, want 1 and 1", v.id, v.stops.Load(), v.closes.Load())
		}
	}
	if p := clk.pendingAt(); len(p) != 0 {
		t.Errorf("timers pending after Stop: %v", p)
	}
}

func TestPacingCountsALateWakeUp(t *testing.T) {
	t.Parallel()
	// A user paced at one task a second (WaitTime returns 1 s minus what it
	// is given, as constantPacing does) whose wait ends 300 ms late (here:
	// the clock jumps past the timer; in a run, a busy core) is given the
	// lateness as its task's time, so its next task is due 2 s after its
	// first, as Locust's constant_pacing does, not 2.3 s. The wait after a
	// task that started on time is given only the task's time.
	const late = 300 * time.Millisecond
	clk := newFakeClock()
	f := &fakeFactory{}
	f.task = func(context.Context, *fakeVU) error { return nil }
	f.wait = func(_ *fakeVU, last time.Duration) time.Duration { return max(time.Second-last, 0) }
	e := newEngine(t, f, engine.Config{StopTimeout: time.Hour, Clock: clk})
	e.Start(1, 0)
	clk.waitTimers(t, time.Second)
	v := f.all()[0]
	clk.Advance(time.Second + late)
	clk.waitTimers(t, 2*time.Second)
	if last := time.Duration(v.lastArg.Load()); last != late {
		t.Errorf("WaitTime(%v) after a task that started %v late, want %v", last, late, late)
	}
	clk.Advance(time.Second - late)
	clk.waitTimers(t, 3*time.Second)
	if last := time.Duration(v.lastArg.Load()); last != 0 {
		t.Errorf("WaitTime(%v) after a task that started on time and took no time, want 0", last)
	}
	if got := v.tasks.Load(); got != 3 {
		t.Errorf("%d tasks, want 3", got)
	}
}

func TestTasksRepeatAndErrorsDoNotStopUser(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error { return errors.New("task failed") }
	e := newEngine(t, f, engine.Config{})
	e.Start(2, 0)
	eventually(t, func() bool { return f.created.Load() == 2 }, "2 VUs")
	for _, v := range f.all() {
		eventually(t, func() bool { return v.tasks.Load() >= 50 }, "vu %d repeating tasks", v.id)
	}
	if u := e.Users(); u != 2 {
		t.Errorf("Users() = %d, want 2", u)
	}
	select {
	case <-e.Done():
		t.Error("Done closed while users run")
	default:
	}
	stopWithin(t, e, context.Background())
	for _, v := range f.all() {
		// One WaitTime after every task but possibly the last.
		if w, d := v.waits.Load(), v.done.Load(); w != d && w != d-1 {
			t.Errorf("vu %d: %d waits for %d tasks", v.id, w, d)
		}
	}
}

func TestErrStopUser(t *testing.T) {
	t.Parallel()
	const n = 5
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		if v.id%2 == 0 {
			return fmt.Errorf("wrapped: %w", engine.ErrStopUser)
		}
		return engine.ErrStopUser
	}
	sp := make(spawned, 2)
	e := newEngine(t, f, engine.Config{OnSpawned: sp.hook})
	e.Start(n, 0)
	recv(t, e.Done(), "Done")
	if u := e.Users(); u != 0 {
		t.Errorf("Users() = %d after every user stopped itself, want 0", u)
	}
	eventually(t, func() bool { return f.closed.Load() == n }, "%d VUs closed", n)
	for _, v := range f.all() {
		if v.tasks.Load() != 1 || v.waits.Load() != 0 || v.stops.Load() != 1 {
			t.Errorf("vu %d: %d tasks, %d waits, %d OnStop; want 1, 0, 1", v.id, v.tasks.Load(), v.waits.Load(), v.stops.Load())
		}
	}
	// They are not replaced, not even by asking for the same target again.
	sp.next(t)
	e.Start(n, 0)
	sp.next(t)
	if c := f.calls.Load(); c != n {
		t.Errorf("%d VUs made, want %d (no replacements)", c, n)
	}
	if u := e.Users(); u != 0 {
		t.Errorf("Users() = %d, want 0", u)
	}
}

func TestErrStopUserSomeUsers(t *testing.T) {
	t.Parallel()
	f := &fakeFactory{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		if v.id == 1 {
			return engine.ErrStopUser
		}
		<-ctx.Done()
		return ctx.Err()
	}
	e := newEngine(t, f, engine.Config{})
	e.Start(3, 0)
	eventually(t, func() bool { return f.created.Load() == 3 }, "3 VUs")
	eventually(t, func() bool { return f.vu(1).closes.Load() == 1 }, "vu 1 closed")
	if u := e.Users(); u != 2 {
		t.Errorf("Users() = %d, want 2", u)
	}
	select {
	case <-e.Done():
		t.Error("Done closed while two users still run")
	default:
	}
	if c := f.calls.Load(); c != 3 {
		t.Errorf("%d VUs made, want 3: a user that stopped itself is not replaced", c)
	}
}

func TestNewVUError(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	f := &fakeFactory{}
	f.newErr = func(id, _ int) error {
		if id == 2 {
			return errBoom
		}
		return nil
	}
	var mu sync.Mutex
	var errs []error
	e := newEngine(t, f, engine.Config{OnError: func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}})
	e.Start(3, 0)
	eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(errs) == 1
	}, "OnError")
	eventually(t, func() bool { return e.Users() == 2 }, "2 users (have %d)", e.Users())
	mu.Lock()
	if !errors.Is(errs[0], errBoom) {
		t.Errorf("OnError(%v), want %v", errs[0], errBoom)
	}
	mu.Unlock()
	if c := e.UserCounts(); c["A"] != 2 {
		t.Errorf("UserCounts() = %v, want A: 2", c)
	}
	stopWithin(t, e, context.Background())
	if c := f.closed.Load(); c != 2 {
		t.Errorf("%d VUs closed, want 2", c)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 1 {
		t.Errorf("OnError called %d times, want 1", len(errs))
	}
}

func TestStateString(t *testing.T) {
	t.Parallel()
	want := map[engine.State]string{
		engine.Ready: "ready", engine.Spawning: "spawning", engine.Running: "running",
		engine.Stopping: "stopping", engine.Stopped: "stopped",
	}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("State(%d).String() = %q, want %q", int(s), s.String(), w)
		}
	}
}

func TestIterationsBoundTheTest(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		users int
		iters int64
	}{{1, 1}, {1, 7}, {4, 10}, {10, 3}} {
		f := &fakeFactory{}
		f.task = func(ctx context.Context, v *fakeVU) error { return nil }
		e := newEngine(t, f, engine.Config{Iterations: c.iters})
		e.Start(c.users, 0)
		recv(t, e.Done(), "Done")
		e.Stop(context.Background()) // waits for every OnStop
		var tasks, starts int64
		for _, v := range f.all() {
			tasks += v.tasks.Load()
			starts += v.starts.Load()
			if v.starts.Load() != v.stops.Load() {
				t.Errorf("vu %d: %d OnStart, %d OnStop", v.id, v.starts.Load(), v.stops.Load())
			}
		}
		if tasks != c.iters {
			t.Errorf("-u %d -i %d: %d tasks ran", c.users, c.iters, tasks)
		}
		if starts > c.iters {
			t.Errorf("-u %d -i %d: %d users started, more than there were iterations", c.users, c.iters, starts)
		}
		f.check(t)
	}
}

// A cluster's worker is told how many users of each class to run, whatever
// the weights say; a second call changes the counts live.
func TestStartCounts(t *testing.T) {
	t.Parallel()
	classes := []engine.Class{{Name: "A", Weight: 1}, {Name: "B", Weight: 5}, {Name: "C", FixedCount: 9}}
	f := &fakeFactory{}
	sp := make(spawned, 4)
	e := newEngine(t, f, engine.Config{Classes: classes, OnSpawned: sp.hook})
	e.StartCounts([]int{3, 0, 1}, 0)
	if got := sp.next(t); !maps.Equal(got, map[string]int{"A": 3, "B": 0, "C": 1}) {
		t.Errorf("spawned %v, want A 3, B 0, C 1", got)
	}
	e.StartCounts([]int{1, 2}, 0) // C missing: none
	if got := sp.next(t); !maps.Equal(got, map[string]int{"A": 1, "B": 2, "C": 0}) {
		t.Errorf("spawned %v, want A 1, B 2, C 0", got)
	}
	if u := e.Users(); u != 3 {
		t.Errorf("Users() = %d, want 3", u)
	}
}
