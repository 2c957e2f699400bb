package engine

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// pacer is how a user obtains its iterations; everything else a user does
// is runUser's, the same in both load models. A waitPacer runs the next
// task when the VU's wait time after the last one has passed (Start); an
// arrivalPacer takes scheduled start times from the arrival-rate queue
// (StartArrival). A pacer belongs to one user and is called by its
// activations, one at a time.
type pacer interface {
	// reservesFirst reports whether the user takes its first iteration of
	// Config.Iterations before OnStart, so that a user that gets none is
	// only closed, rather than when the iteration is due.
	reservesFirst() bool
	// takeWait returns the wait before the next iteration that the user
	// spends parked, without a goroutine (see user), and forgets it; zero
	// when there is none or next does the waiting.
	takeWait() time.Duration
	// next blocks until the user's next iteration is due and returns the
	// time it was scheduled for (zero when it has no schedule); ok is false
	// when the user must stop instead (its soft context is done).
	next(h *handle) (scheduled time.Time, ok bool)
	// done is called after each task after which the user goes on.
	done(vu VU)
	// leave is called once when the user will take no more iterations
	// (also when its VU could not be made), before its OnStop.
	leave()
}

// user is one running user: what its activations share. A user runs
// in activations: the first starts in the goroutine launchLocked starts
// and makes the VU; each runs tasks until the user ends or must wait
// (a wait time above zero, waitPacer only), and then parks: its
// goroutine is done with it (and waits idle for another user's
// activation, or ends: workers.go), and the end of the wait or a stop
// runs the next activation in an idle goroutine or in its own (a timer's
// or context.AfterFunc's). A waiting user thus holds no goroutine and no
// stack, only this struct and its timer; without waits the user stays in
// one activation, as a loop. Activations never overlap: one parks before
// the next can start.
type user struct {
	e        *Engine
	id       int
	h        *handle
	p        pacer
	vu       VU   // nil until NewVU returned one
	reserved bool // the first iteration is already taken
	// inTask is set while the user runs a task and its WaitTime, for the
	// engine to interrupt it (handle.interrupt).
	inTask atomic.Bool

	// mu guards waiting and the timer's arming against the wake-ups; it
	// belongs to this user only.
	mu      sync.Mutex
	waiting bool  // parked: the first wake-up to see it resumes the user
	timer   Timer // ends a wait; made at the first one, reset after
}

// runUser is a new user's goroutine: its first activation (see user),
// after which the goroutine may stay idle for others.
func (e *Engine) runUser(id int, h *handle, p pacer) {
	u := &user{e: e, id: id, h: h, p: p}
	h.u.Store(u)
	s := e.shard(id)
	growFirstStack(0)
	u.run(true)
	e.idle(s)
}

// run is one activation of u: from the user's launch (first) or from
// the end of a wait, until the user ends or parks in its next wait. The
// user's end (Close, its contexts canceled, recoverVU, e.wg) runs in the
// activation that ends it, the same whichever that is; a parked
// activation touches nothing of u after parking, since the next one may
// already be running.
func (u *user) run(first bool) {
	parked := false
	defer func() {
		if !parked {
			u.e.wg.Done()
		}
	}()
	defer u.e.recoverVU(u.h)
	defer func() {
		if !parked {
			u.h.hardCancel()
		}
	}()
	defer func() {
		if !parked {
			u.h.softCancel()
		}
	}()
	defer func() {
		if !parked && u.vu != nil {
			u.vu.Close()
		}
	}()
	if first && !u.start() {
		return
	}
	var selfStopped bool
	selfStopped, parked = u.e.iterate(u)
	if parked {
		return
	}
	u.p.leave()
	u.e.finish(u.vu, u.h, selfStopped)
}

// start makes the user's VU and runs OnStart; it reports false when the
// user retires instead: its VU could not be made, or it gets no iteration
// before OnStart (it then skips OnStart and OnStop).
func (u *user) start() bool {
	e, h, p := u.e, u.h, u.p
	vu, err := e.cfg.Factory.NewVU(h.hard, u.id, h.class)
	if err != nil {
		p.leave()
		// A user that cannot start is not replaced: if none can, the
		// test ends (Done) instead of idling.
		if e.cfg.OnError != nil && h.hard.Err() == nil {
			e.cfg.OnError(err) // before remove: the last removal may end the test
		}
		e.remove(h, true)
		return false
	}
	u.vu = vu
	if p.reservesFirst() && e.cfg.Iterations > 0 {
		if !e.takeIteration() {
			p.leave()
			e.remove(h, true)
			return false
		}
		u.reserved = true
	}
	vu.OnStart(h.hard)
	return true
}

// iterate runs u's tasks as its pacer paces them until the user parks in
// a wait (parked) or ends; then it reports whether the user stopped
// itself (ErrStopUser, or no iteration left) rather than being stopped.
func (e *Engine) iterate(u *user) (selfStopped, parked bool) {
	h, vu, p := u.h, u.vu, u.p
	svu, canSchedule := vu.(ScheduledVU)
	defer func() {
		// Not once parked: the next activation may already run a task.
		if !parked {
			u.inTask.Store(false)
		}
	}()
	for {
		if d := p.takeWait(); d > 0 {
			u.inTask.Store(false)
			if u.park(d) {
				return false, true
			}
		}
		scheduled, ok := p.next(h)
		if !ok {
			return false, false
		}
		if !u.reserved && !e.takeIteration() {
			return true, false
		}
		u.reserved = false
		u.inTask.Store(true) // before the task looks at h.hard (see handle.interrupt)
		var err error
		if canSchedule && !scheduled.IsZero() {
			err = svu.RunTaskAt(h.task, scheduled)
		} else {
			err = vu.RunTask(h.task)
		}
		if h.hard.Err() != nil {
			e.cutTasks.Add(1) // the task ran until it was interrupted
		}
		if errors.Is(err, ErrStopUser) {
			return true, false
		}
		if h.soft.Err() != nil {
			return false, false
		}
		if e.cfg.Iterations > 0 && e.iters.Load() >= e.cfg.Iterations {
			return true, false // the last iteration is done: no wait after it
		}
		p.done(vu)
	}
}

// park arms u's wake-ups for a wait of d and reports true: the caller's
// activation must then end at once. It reports false, arming nothing,
// when the user is already stopping (the wait ends at once).
//
// Two things end a wait: the timer (d has passed) and the end of h.soft
// (a stop): the engine's wakeParked for a test-wide stop, stopNewestLocked
// for one user's. The first to find u.waiting set clears it and runs the
// next activation; the other finds it clear and does nothing. Both cancel
// h.soft before they look, and park looks at it under u.mu, so a user
// cannot park unseen after a stop. A wake-up that comes late is always
// the timer's after a stop resumed the user, and a stopped user does not
// wait again, so a late one never cuts a later wait short.
func (u *user) park(d time.Duration) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.h.soft.Err() != nil {
		return false
	}
	u.waiting = true
	if u.timer == nil {
		u.timer = u.e.clock.AfterFunc(d, u.waited)
	} else {
		u.timer.Reset(d)
	}
	return true
}

// waited is the wait timer's function: the wait is over.
func (u *user) waited() { u.wake(false) }

// stopped ends the wait of a user whose h.soft ended (a ramp-down): its
// next activation ends it.
func (u *user) stopped() { u.wake(true) }

// wake resumes a parked user (Engine.resume), unless another wake-up did
// already or the user is not waiting; it runs in a timer's goroutine or
// one of its own.
func (u *user) wake(stop bool) {
	if u.unpark(stop) {
		u.e.resume(u, stop)
	}
}

// unpark reports whether u was parked, and takes it out of its wait: the
// caller then runs its next activation. stop also stops its timer.
func (u *user) unpark(stop bool) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.waiting {
		return false
	}
	u.waiting = false
	if stop {
		u.timer.Stop()
	}
	return true
}

// growStack grows the calling goroutine's stack, new and small, to 8 KB
// in one step while it holds only a few frames: a task with an HTTP
// request needs just over 4 KB, and a stack that grows under goja's and
// the client's frames instead costs two copies that adjust every frame
// (about a tenth of the CPU of an idle run, measured with pprof). Its
// frame of 5 KB, plus the runtime's guard and the frames above it, fits
// in 8 KB; the indices keep the compiler from dropping the array.
//
//go:noinline
func growStack(i int) byte {
	var frame [5 << 10]byte
	frame[i%len(frame)] = byte(i)
	return frame[(i*7)%len(frame)]
}

// growFirstStack is growStack for a user's first activation, to 16 KB:
// its first request usually dials, and Go's dialer under goja's and the
// client's frames takes the stack past 8 KB. In the users10k bench's
// burst (10,000 users at once, a perf profile of its first 1.5 s) stack
// growth went from 19% of the samples to 7% with it.
//
//go:noinline
func growFirstStack(i int) byte {
	var frame [13 << 10]byte
	frame[i%len(frame)] = byte(i)
	return frame[(i*7)%len(frame)]
}

// takeIteration takes one iteration of Config.Iterations and reports
// whether there was one left (always true without a budget).
func (e *Engine) takeIteration() bool {
	return e.cfg.Iterations <= 0 || e.iters.Add(1) <= e.cfg.Iterations
}

// waitPacer paces a user started by Start: its next task starts when the
// wait time the VU asks for after the last one has passed. The user waits
// parked (takeWait), so next itself never blocks.
type waitPacer struct {
	clock   Clock
	started time.Time     // when the last task started, or was due to (next)
	due     time.Time     // when the wait after the last task ends; zero: no wait
	wait    time.Duration // before the next task
}

func newWaitPacer(clock Clock) *waitPacer { return &waitPacer{clock: clock} }

func (p *waitPacer) reservesFirst() bool { return true }

func (p *waitPacer) takeWait() time.Duration {
	d := p.wait
	p.wait = 0
	return d
}

// next starts the next task at once, unless the user is stopping. A task
// that starts after its wait was due to end (the timer's goroutine waited
// for a core, or a collection held it) counts as started when due: its
// lateness is part of its time, as in Locust's constant_pacing (which
// measures from the previous wait's start and subtracts the wait asked
// for), so that a pacing catches up instead of slipping for good.
func (p *waitPacer) next(h *handle) (time.Time, bool) {
	if h.soft.Err() != nil {
		return time.Time{}, false
	}
	p.started = p.clock.Now()
	if !p.due.IsZero() && p.due.Before(p.started) {
		p.started = p.due
	}
	p.due = time.Time{}
	return time.Time{}, true
}

// done asks the VU how long to wait, given how long the task took.
func (p *waitPacer) done(vu VU) {
	now := p.clock.Now()
	p.wait = vu.WaitTime(now.Sub(p.started))
	if p.wait > 0 {
		p.due = now.Add(p.wait)
	}
}

func (p *waitPacer) leave() {}
