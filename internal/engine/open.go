package engine

import (
	"context"
	"errors"
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

// arrival is the state of an open-model (arrival-rate) test: a scheduler
// hands start times to a pool of users that grows as needed.
type arrival struct {
	rate     atomic.Uint64 // math.Float64bits of iterations per second
	changed  chan struct{} // a rate change wakes the scheduler
	tokens   chan time.Time
	idle     atomic.Int64 // users waiting for a start
	launched atomic.Int64
	maxVUs   int64
	counts   []int // users per class, for the class of the next one
}

// StartArrival starts an open-model test: task iterations start at rate per
// second whatever the response times, run by a pool of users that starts
// with initial users and grows up to maxVUs when none is free. A start that
// waits longer than Config.MaxDelay for a user, or finds the queue full, is
// dropped and reported to Config.OnDropped. Wait times are not used.
func (e *Engine) StartArrival(rate float64, initial, maxVUs int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state != Ready || e.open != nil {
		return
	}
	if maxVUs < 1 {
		maxVUs = 1
	}
	initial = min(max(initial, 1), maxVUs)
	maxDelay := e.maxDelay()
	capacity := int(math.Min(rate*maxDelay.Seconds()+float64(maxVUs)+1, 1<<20))
	a := &arrival{changed: make(chan struct{}, 1), tokens: make(chan time.Time, capacity), maxVUs: int64(maxVUs), counts: make([]int, len(e.cfg.Classes))}
	a.rate.Store(math.Float64bits(max(rate, 0)))
	e.open = a
	for i := 0; i < initial; i++ {
		e.launchOpenLocked()
	}
	e.state = Running
	go e.schedule(a)
}

// SetRate changes the arrival rate of a running open-model test.
func (e *Engine) SetRate(rate float64) {
	e.mu.Lock()
	a := e.open
	e.mu.Unlock()
	if a == nil {
		return
	}
	a.rate.Store(math.Float64bits(max(rate, 0)))
	select {
	case a.changed <- struct{}{}:
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

// schedule emits start times at the arrival rate until the test stops. The
// k-th start after a rate change is due k/rate seconds after the change, so
// timer slack never accumulates into drift.
func (e *Engine) schedule(a *arrival) {
	base := time.Now()
	var k int64
	rate := math.Float64frombits(a.rate.Load())
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if rate <= 0 {
			select {
			case <-e.rootSoft.Done():
				return
			case <-a.changed:
				rate, base, k = math.Float64frombits(a.rate.Load()), time.Now(), 0
			}
			continue
		}
		due := base.Add(time.Duration(float64(k) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-e.rootSoft.Done():
				return
			case <-a.changed:
				// Rebase at the change: starts so far keep their times.
				rate, base, k = math.Float64frombits(a.rate.Load()), time.Now(), 0
				if !timer.Stop() {
					<-timer.C
				}
				continue
			case <-timer.C:
			}
		}
		if e.rootSoft.Err() != nil {
			return
		}
		select {
		case a.tokens <- due:
		default:
			e.dropped(1) // the queue is full: far behind
		}
		k++
		if a.idle.Load() == 0 && a.launched.Load() < a.maxVUs {
			e.mu.Lock()
			if e.rootSoft.Err() == nil {
				e.launchOpenLocked()
			}
			e.mu.Unlock()
		}
	}
}

// launchOpenLocked adds one user to the open-model pool, of the class
// furthest below its share.
func (e *Engine) launchOpenLocked() {
	a := e.open
	n := int(a.launched.Add(1))
	target := Distribute(e.cfg.Classes, n)
	class := 0
	for i := range target {
		if a.counts[i] < target[i] {
			class = i
			break
		}
	}
	a.counts[class]++
	a.idle.Add(1) // free from now: it takes the first start as soon as it is made
	h := e.newHandleLocked(class)
	go e.runOpen(e.nextID, h, a)
}

// runOpen is an open-model user: it takes start times and runs a task for
// each, until the test stops.
func (e *Engine) runOpen(id int, h *handle, a *arrival) {
	defer e.wg.Done()
	defer e.recoverVU(h)
	defer close(h.done)
	defer h.hardCancel()
	defer h.softCancel()
	vu, err := e.cfg.Factory.NewVU(h.hard, id, h.class)
	if err != nil {
		a.idle.Add(-1)
		if e.cfg.OnError != nil && h.hard.Err() == nil {
			e.cfg.OnError(err) // before remove: the last removal may end the test
		}
		e.remove(h, true)
		return
	}
	defer vu.Close()
	svu, scheduled := vu.(ScheduledVU)
	vu.OnStart(h.hard)
	maxDelay := e.maxDelay()
	lim := e.cfg.Iterations
	selfStopped := false
loop:
	for {
		select {
		case <-h.soft.Done():
			break loop
		case due := <-a.tokens:
			if time.Since(due) > maxDelay {
				e.dropped(1)
				continue
			}
			if lim > 0 && e.iters.Add(1) > lim {
				selfStopped = true
				break loop
			}
			a.idle.Add(-1)
			if scheduled {
				err = svu.RunTaskAt(h.hard, due)
			} else {
				err = vu.RunTask(h.hard)
			}
			a.idle.Add(1)
			if errors.Is(err, ErrStopUser) || lim > 0 && e.iters.Load() >= lim {
				selfStopped = true
				break loop
			}
		}
	}
	a.idle.Add(-1)
	e.finish(vu, h, selfStopped)
}
