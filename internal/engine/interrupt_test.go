package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

// stuckTasks makes f's VUs Interrupters whose tasks ignore their
// context: only Interrupt ends them, which it does only once the task's
// context has ended. A task's context must be an engine.TaskContext. It
// returns how many times each VU was interrupted in its task.
func stuckTasks(f *fakeFactory) (interrupted func(id int) int) {
	var mu sync.Mutex
	type running struct {
		ctx  context.Context
		done chan struct{}
	}
	tasks := map[int]*running{}
	counts := map[int]int{}
	f.task = func(ctx context.Context, v *fakeVU) error {
		if _, ok := ctx.(engine.TaskContext); !ok {
			f.violation("vu %d: RunTask's context is not an engine.TaskContext", v.id)
		}
		r := &running{ctx: ctx, done: make(chan struct{})}
		mu.Lock()
		tasks[v.id] = r
		mu.Unlock()
		<-r.done
		return ctx.Err()
	}
	f.interrupt = func(v *fakeVU) {
		mu.Lock()
		defer mu.Unlock()
		r := tasks[v.id]
		if r == nil || r.ctx.Err() == nil {
			return // not in a task, or its context goes on: nothing to do
		}
		counts[v.id]++
		delete(tasks, v.id)
		close(r.done)
	}
	return func(id int) int {
		mu.Lock()
		defer mu.Unlock()
		return counts[id]
	}
}

// TestStopInterruptsTasks: with no stop timeout, a stop interrupts the
// task of every user (engine.Interrupter) that does not end by itself when
// its context ends.
func TestStopInterruptsTasks(t *testing.T) {
	t.Parallel()
	const n = 3
	f := &fakeFactory{}
	interrupted := stuckTasks(f)
	sp := make(spawned, 1)
	e := newEngine(t, f, engine.Config{OnSpawned: sp.hook})
	e.Start(n, 0)
	sp.next(t)
	eventually(t, func() bool { return f.created.Load() == n && f.vu(1).tasks.Load() == 1 && f.vu(n).tasks.Load() == 1 }, "%d VUs in their tasks", n)
	stopWithin(t, e, context.Background())
	for id := 1; id <= n; id++ {
		if c := interrupted(id); c != 1 {
			t.Errorf("vu %d interrupted %d times, want once", id, c)
		}
	}
	if tasks, _ := e.CutOff(); tasks != n {
		t.Errorf("CutOff() = %d tasks, want %d", tasks, n)
	}
}

// rampedDown starts n users whose tasks only an interrupt ends
// (stuckTasks), with stopTimeout on a fake clock, then ramps down to one:
// users 2 to n are stopping, their stop timeouts pending.
func rampedDown(t *testing.T, n int, stopTimeout time.Duration) (*fakeClock, *fakeFactory, *engine.Engine, func(id int) int) {
	t.Helper()
	clk := newFakeClock()
	f := &fakeFactory{}
	interrupted := stuckTasks(f)
	sp := make(spawned, 2)
	e := newEngine(t, f, engine.Config{StopTimeout: stopTimeout, OnSpawned: sp.hook, Clock: clk})
	e.Start(n, 0)
	sp.next(t)
	eventually(t, func() bool {
		if f.created.Load() != int64(n) {
			return false
		}
		for id := 1; id <= n; id++ {
			if f.vu(id).tasks.Load() != 1 {
				return false
			}
		}
		return true
	}, "%d VUs in their tasks", n)
	e.Start(1, 0)
	sp.next(t)
	timers := make([]time.Duration, n-1)
	for i := range timers {
		timers[i] = stopTimeout
	}
	clk.waitTimers(t, timers...)
	return clk, f, e, interrupted
}

// TestRampDownInterruptsTask: a user stopped by a ramp-down is interrupted
// when its stop timeout has passed, not before; the user left running is
// not.
func TestRampDownInterruptsTask(t *testing.T) {
	t.Parallel()
	clk, f, _, interrupted := rampedDown(t, 2, time.Minute)
	clk.Advance(time.Minute - 1)
	clk.waitTimers(t, time.Minute)
	if c := interrupted(2); c != 0 {
		t.Fatalf("vu 2 interrupted %d times before its stop timeout", c)
	}
	clk.Advance(1)
	eventually(t, func() bool { return f.vu(2).closes.Load() == 1 }, "vu 2 interrupted and closed")
	if c1, c2 := interrupted(1), interrupted(2); c1 != 0 || c2 != 1 {
		t.Errorf("interrupted: vu 1 %d times, vu 2 %d; want 0 and 1", c1, c2)
	}
}

// TestKillInterruptsRampedDownUsers: a kill interrupts at once the tasks
// of the running users and of those a ramp-down stopped whose stop
// timeout has not passed yet.
func TestKillInterruptsRampedDownUsers(t *testing.T) {
	t.Parallel()
	_, f, e, interrupted := rampedDown(t, 3, time.Hour)
	e.Kill()
	eventually(t, func() bool { return f.closed.Load() == 3 }, "3 VUs closed")
	for id := 1; id <= 3; id++ {
		if c := interrupted(id); c != 1 {
			t.Errorf("vu %d interrupted %d times, want once", id, c)
		}
	}
}
