package engine

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Activations (see user) run in goroutines that are kept for the next one
// when they end: a goroutine whose activation parked or ended waits,
// idle, for another user to resume, up to maxIdleWorkers per shard. A
// wake-up hands its user to an idle goroutine if there is one, and runs
// the activation itself otherwise. A kept goroutine's stack has already
// grown to what a task needs and is warm in the caches; a new one starts
// small, grows under goja's and the client's frames, and gives its grown
// stack back when it ends (with 18,000 users waking once a second, 3% of
// the generator's CPU in a 20 s profile).
//
// The idle goroutines are split in shards (one per P), each user using
// the shard of its id, so that no channel or counter is shared by all
// users. Idle goroutines end when the engine's hard context ends (the end
// of Stop, or Kill).
const maxIdleWorkers = 32

// workerShard is one shard of the idle goroutines.
type workerShard struct {
	ready chan *user   // an idle goroutine receives the user it resumes
	idle  atomic.Int32 // goroutines waiting on ready, or about to
	_     [48]byte     // keeps shards on separate cache lines
}

// newWorkerShards returns one shard per P.
func newWorkerShards() []workerShard {
	s := make([]workerShard, max(runtime.GOMAXPROCS(0), 1))
	for i := range s {
		s[i].ready = make(chan *user)
	}
	return s
}

// shard returns the shard of user id.
func (e *Engine) shard(id int) *workerShard {
	return &e.workers[id%len(e.workers)]
}

// resume runs u's next activation: in an idle goroutine of its shard if
// one is waiting, else in the calling goroutine, which then stays idle.
// stop says the activation only ends the user (a ramp-down woke it): its
// goroutine's stack is then not grown for a task. (A test-wide stop
// resumes its users through wakeParked.)
func (e *Engine) resume(u *user, stop bool) {
	s := e.shard(u.id)
	select {
	case s.ready <- u:
		return
	default:
	}
	if !stop {
		growStack(0)
	}
	u.run(false)
	e.idle(s)
}

// idle keeps the calling goroutine, whose activation has parked or ended,
// for the activations s hands it, until s has maxIdleWorkers idle ones or
// the engine's hard context ends.
func (e *Engine) idle(s *workerShard) {
	done := e.rootHard.Done()
	for s.idle.Add(1) <= maxIdleWorkers {
		select {
		case u := <-s.ready:
			s.idle.Add(-1)
			u.run(false)
		case <-done:
			s.idle.Add(-1)
			return
		}
	}
	s.idle.Add(-1)
}

// A stop resumes the parked users in at most stopBatch goroutines at
// first, twice as many each time none of them was free for stopStall on
// the engine's clock (their OnStops block).
const (
	stopBatch = 64
	stopStall = time.Millisecond
)

// wakeParked is rootSoft's AfterFunc: a test-wide stop (Stop, Kill) ends
// the wait of every parked user. One goroutine walks the running users
// and hands each parked one to a goroutine of its own small pool, which
// runs the user's last activation (its OnStop) and then takes the next.
// The pool grows when all of its goroutines stay busy (blocked in
// OnStops), so that slow OnStops still run side by side. With one
// context.AfterFunc per user instead, a stop made a goroutine, with its
// stack, for every waiting user at once, and an idle run's peak memory
// was often its stop's.
func (e *Engine) wakeParked() {
	hs := e.live()
	q := make(chan *user)
	defer close(q)
	workers, limit := 0, stopBatch
	var stall Timer
	for _, h := range hs {
		// rootSoft's end reaches h.soft in no set order with this walk:
		// cancel it first, for park to see it (see park).
		h.softCancel()
		u := h.u.Load()
		if u == nil || !u.unpark(true) {
			continue
		}
		select {
		case q <- u:
			continue
		default:
		}
		if workers >= limit {
			if stall == nil {
				stall = e.clock.NewTimer(stopStall)
			} else {
				stall.Reset(stopStall)
			}
			select {
			case q <- u:
				stall.Stop()
				continue
			case <-stall.C():
				limit *= 2
			}
		}
		workers++
		go func() {
			for next, ok := u, true; ok; next, ok = <-q {
				next.run(false)
			}
		}()
	}
}

// live returns the handles of the users that have not ended: those
// running and those a ramp-down is stopping (whose wake-up, already under
// way, finds them no longer parked if wakeParked got there first).
func (e *Engine) live() []*handle {
	e.mu.Lock()
	defer e.mu.Unlock()
	var hs []*handle
	for _, c := range e.running {
		hs = append(hs, c...)
	}
	for h := range e.stopping {
		hs = append(hs, h)
	}
	return hs
}

// interruptTasks is rootHard's AfterFunc: the end of a test's stop timeout,
// or a kill, interrupts the tasks still running (handle.interrupt), the
// engine's only context.AfterFunc for them (see Interrupter).
func (e *Engine) interruptTasks() {
	for _, h := range e.live() {
		h.interrupt()
	}
}
