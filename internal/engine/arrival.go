package engine

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// ScheduledVU is a VU that can be told when its task was due: in
// arrival-rate tests, a task that starts late measures its lateness.
type ScheduledVU interface {
	VU
	// RunTaskAt runs one task that was due at scheduled.
	RunTaskAt(ctx context.Context, scheduled time.Time) error
}

// DefaultMaxDelay is how late an arrival-rate iteration may start before
// it is dropped instead.
const DefaultMaxDelay = time.Second

// arrivalPool is the state of an arrival-rate test: a scheduler puts
// start times in a queue at the rate, and a pool of users, grown as
// needed, takes them.
type arrivalPool struct {
	rate        atomic.Uint64  // math.Float64bits of starts per second
	rateChanged chan struct{}  // SetRate wakes the scheduler
	starts      chan time.Time // start times due and not yet taken
	idle        atomic.Int64   // users free to take a start
	launched    atomic.Int64   // users launched so far
	maxUsers    int64
	classUsers  []int // users launched per class; under Engine.mu
}

// StartArrival starts an arrival-rate test: task iterations start at rate per
// second whatever the response times, run by a pool of users that starts
// with initial users and grows up to maxVUs when none is free. A start that
// waits longer than Config.MaxDelay for a user, or finds the queue full, is
// dropped and reported to Config.OnDropped. Wait times are not used.
// Counting from 0 at the moment the test began or the rate last changed,
// the k-th start is due k/rate seconds (rounded down to the nanosecond)
// after that moment, however late the ones before it ran.
func (e *Engine) StartArrival(rate float64, initial, maxVUs int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state != Ready || e.arrival != nil {
		return
	}
	if maxVUs < 1 {
		maxVUs = 1
	}
	initial = min(max(initial, 1), maxVUs)
	capacity := int(math.Min(rate*e.maxDelay().Seconds()+float64(maxVUs)+1, 1<<20))
	a := &arrivalPool{rateChanged: make(chan struct{}, 1), starts: make(chan time.Time, capacity), maxUsers: int64(maxVUs), classUsers: make([]int, len(e.cfg.Classes))}
	a.rate.Store(math.Float64bits(max(rate, 0)))
	e.arrival = a
	for range initial {
		e.launchArrivalUserLocked()
	}
	e.state = Running
	go e.scheduleArrivals(a)
}

// SetRate changes the arrival rate of a running arrival-rate test: the
// starts due so far keep their times, the next is due at once and the
// following ones at the new rate from there.
func (e *Engine) SetRate(rate float64) {
	e.mu.Lock()
	a := e.arrival
	e.mu.Unlock()
	if a == nil {
		return
	}
	a.rate.Store(math.Float64bits(max(rate, 0)))
	select {
	case a.rateChanged <- struct{}{}:
	default:
	}
}

func (e *Engine) maxDelay() time.Duration {
	if e.cfg.MaxDelay > 0 {
		return e.cfg.MaxDelay
	}
	return DefaultMaxDelay
}

func (e *Engine) dropped(n int64) {
	if e.cfg.OnDropped != nil {
		e.cfg.OnDropped(n)
	}
}

// scheduleArrivals queues start times at the arrival rate until the test
// stops, and launches a user for a start when none is idle and the pool
// may grow. The k-th start after a rate change is due dueAt(change, k,
// rate), so timer slack never accumulates into drift.
func (e *Engine) scheduleArrivals(a *arrivalPool) {
	base := e.clock.Now()
	var k int64
	rate := math.Float64frombits(a.rate.Load())
	s := sleeper{clock: e.clock}
	defer s.release()
	stop := e.rootSoft.Done()
	for {
		if rate <= 0 {
			select {
			case <-stop:
				return
			case <-a.rateChanged:
				rate, base, k = math.Float64frombits(a.rate.Load()), e.clock.Now(), 0
			}
			continue
		}
		due := dueAt(base, k, rate)
		if !s.sleep(due.Sub(e.clock.Now()), stop, a.rateChanged) {
			if e.rootSoft.Err() != nil {
				return
			}
			// Rebase at the change: starts so far keep their times.
			rate, base, k = math.Float64frombits(a.rate.Load()), e.clock.Now(), 0
			continue
		}
		if e.rootSoft.Err() != nil {
			return
		}
		select {
		case a.starts <- due:
		default:
			e.dropped(1) // the queue is full: far behind
		}
		k++
		if a.idle.Load() == 0 && a.launched.Load() < a.maxUsers {
			e.mu.Lock()
			if e.rootSoft.Err() == nil {
				e.launchArrivalUserLocked()
			}
			e.mu.Unlock()
		}
	}
}

// launchArrivalUserLocked adds one user to the arrival-rate pool, of the
// class furthest below its share.
func (e *Engine) launchArrivalUserLocked() {
	a := e.arrival
	n := int(a.launched.Add(1))
	target := Distribute(e.cfg.Classes, n)
	class := 0
	for i := range target {
		if a.classUsers[i] < target[i] {
			class = i
			break
		}
	}
	a.classUsers[class]++
	a.idle.Add(1) // free from now: it takes the first start as soon as it is made
	e.launchLocked(class, &arrivalPacer{pool: a, e: e, idle: true})
}

// dropPending reports the starts still queued when the test has ended as
// dropped: they were due but never began.
func (a *arrivalPool) dropPending(e *Engine) {
	var n int64
	for len(a.starts) > 0 {
		<-a.starts
		n++
	}
	if n > 0 {
		e.dropped(n)
	}
}

// arrivalPacer paces a user of the arrival-rate pool: its next task is the
// next start time in the queue that is not later than Config.MaxDelay
// (later ones are dropped). It keeps the pool's idle count: the user is
// idle from its launch until it takes a start, and again after each task.
type arrivalPacer struct {
	pool *arrivalPool
	e    *Engine
	idle bool // counted in pool.idle
}

func (p *arrivalPacer) reservesFirst() bool { return false }

// takeWait is zero: an arrival-rate user waits for its next start in next.
func (p *arrivalPacer) takeWait() time.Duration { return 0 }

func (p *arrivalPacer) next(h *handle) (time.Time, bool) {
	maxDelay := p.e.maxDelay()
	for h.soft.Err() == nil {
		select {
		case <-h.soft.Done():
		case due := <-p.pool.starts:
			if p.e.clock.Now().Sub(due) > maxDelay {
				p.e.dropped(1)
				continue
			}
			p.setIdle(false)
			return due, true
		}
	}
	return time.Time{}, false
}

func (p *arrivalPacer) done(VU) { p.setIdle(true) }

func (p *arrivalPacer) leave() { p.setIdle(false) }

func (p *arrivalPacer) setIdle(idle bool) {
	if idle == p.idle {
		return
	}
	p.idle = idle
	if idle {
		p.pool.idle.Add(1)
	} else {
		p.pool.idle.Add(-1)
	}
}
