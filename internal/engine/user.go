package engine

import (
	"errors"
	"time"
)

// pacer is how a user obtains its iterations; everything else a user does
// is runUser's, the same in both load models. A waitPacer runs the next
// task when the VU's wait time after the last one has passed (Start); an
// arrivalPacer takes scheduled start times from the arrival-rate queue
// (StartArrival). A pacer belongs to one user and is called from that
// user's goroutine only.
type pacer interface {
	// reservesFirst reports whether the user takes its first iteration of
	// Config.Iterations before OnStart, so that a user that gets none is
	// only closed, rather than when the iteration is due.
	reservesFirst() bool
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

// runUser is one user's goroutine: it makes the VU, runs OnStart, then
// runs a task for each iteration p gives until the user is stopped, stops
// itself (ErrStopUser) or finds Config.Iterations used up, and ends with
// OnStop and Close. A user whose VU cannot be made, or that gets no
// iteration before OnStart, retires without OnStart or OnStop.
func (e *Engine) runUser(id int, h *handle, p pacer) {
	defer e.wg.Done()
	defer e.recoverVU(h)
	defer h.hardCancel()
	defer h.softCancel()
	vu, err := e.cfg.Factory.NewVU(h.hard, id, h.class)
	if err != nil {
		p.leave()
		// A user that cannot start is not replaced: if none can, the
		// test ends (Done) instead of idling.
		if e.cfg.OnError != nil && h.hard.Err() == nil {
			e.cfg.OnError(err) // before remove: the last removal may end the test
		}
		e.remove(h, true)
		return
	}
	defer vu.Close()
	reserved := false
	if p.reservesFirst() && e.cfg.Iterations > 0 {
		if !e.takeIteration() {
			p.leave()
			e.remove(h, true)
			return
		}
		reserved = true
	}
	vu.OnStart(h.hard)
	selfStopped := e.iterate(h, vu, p, reserved)
	p.leave()
	e.finish(vu, h, selfStopped)
}

// iterate runs vu's tasks as p paces them and reports whether the user
// stopped itself (ErrStopUser, or no iteration left) rather than being
// stopped. reserved says the first iteration is already taken.
func (e *Engine) iterate(h *handle, vu VU, p pacer, reserved bool) (selfStopped bool) {
	svu, canSchedule := vu.(ScheduledVU)
	for {
		scheduled, ok := p.next(h)
		if !ok {
			return false
		}
		if !reserved && !e.takeIteration() {
			return true
		}
		reserved = false
		var err error
		if canSchedule && !scheduled.IsZero() {
			err = svu.RunTaskAt(h.hard, scheduled)
		} else {
			err = vu.RunTask(h.hard)
		}
		if h.hard.Err() != nil {
			e.cutTasks.Add(1) // the task ran until it was interrupted
		}
		if errors.Is(err, ErrStopUser) {
			return true
		}
		if h.soft.Err() != nil {
			return false
		}
		if e.cfg.Iterations > 0 && e.iters.Load() >= e.cfg.Iterations {
			return true // the last iteration is done: no wait after it
		}
		p.done(vu)
	}
}

// takeIteration takes one iteration of Config.Iterations and reports
// whether there was one left (always true without a budget).
func (e *Engine) takeIteration() bool {
	return e.cfg.Iterations <= 0 || e.iters.Add(1) <= e.cfg.Iterations
}

// waitPacer paces a user started by Start: its next task starts when the
// wait time the VU asks for after the last one has passed.
type waitPacer struct {
	clock   Clock
	sleep   sleeper
	started time.Time     // when the last task started
	wait    time.Duration // before the next task
}

func newWaitPacer(clock Clock) *waitPacer {
	return &waitPacer{clock: clock, sleep: sleeper{clock: clock}}
}

func (p *waitPacer) reservesFirst() bool { return true }

// next waits out the last wait time, ended early by a stop.
func (p *waitPacer) next(h *handle) (time.Time, bool) {
	if p.wait > 0 {
		p.sleep.sleep(p.wait, h.soft.Done(), nil)
		p.wait = 0
	}
	if h.soft.Err() != nil {
		return time.Time{}, false
	}
	p.started = p.clock.Now()
	return time.Time{}, true
}

// done asks the VU how long to wait, given how long the task took.
func (p *waitPacer) done(vu VU) {
	p.wait = vu.WaitTime(p.clock.Now().Sub(p.started))
}

func (p *waitPacer) leave() { p.sleep.release() }
