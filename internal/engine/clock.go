package engine

import (
	"math"
	"time"
)

// Clock is where the engine reads the time and gets its timers: the spawn
// pacing, the arrival-rate schedule and its lateness limit (MaxDelay),
// users' wait times, how long a task took, and the StopTimeout before tasks
// are interrupted. OnStop's bound (OnStopTimeout) is a context deadline and
// always runs on the system clock. A Clock must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine once d has passed, unless the
	// returned timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a one-shot timer made by a Clock. It behaves as time.Timer does
// since Go 1.23: after Stop or Reset returns, no time sent for the old
// expiry is received from C.
type Timer interface {
	// C is the channel the timer sends its time on (nil for AfterFunc).
	C() <-chan time.Time
	// Stop stops the timer; it reports whether that prevented it from
	// firing.
	Stop() bool
	// Reset makes the timer fire d from now instead; it reports whether
	// the timer was still pending.
	Reset(d time.Duration) bool
}

// systemClock is the Clock of package time; Config.Clock nil means it.
type systemClock struct{}

type systemTimer struct{ t *time.Timer }

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }
func (t systemTimer) C() <-chan time.Time          { return t.t.C }
func (t systemTimer) Stop() bool                   { return t.t.Stop() }
func (t systemTimer) Reset(d time.Duration) bool   { return t.t.Reset(d) }
func (systemClock) AfterFunc(d time.Duration, f func()) Timer {
	return systemTimer{time.AfterFunc(d, f)}
}

// dueAt returns when the k-th event (counting from 0) of a steady rate of
// events per second starting at base is due: base + k/rate seconds,
// rounded down to the nanosecond. A rate that is not positive and finite
// means no pacing: every event is due at base. Both the spawn pacing and
// the arrival-rate schedule are this function, which is why a late timer
// never shifts the events after it.
func dueAt(base time.Time, k int64, rate float64) time.Time {
	if !(rate > 0) || math.IsInf(rate, 1) {
		return base
	}
	// k*1e9 is exact for any count the engine reaches, so the one rounding
	// is the division's.
	return base.Add(time.Duration(float64(k) * float64(time.Second) / rate))
}

// sleeper waits on one timer of a clock, made on first use and reused
// after, so that a loop that waits on every turn allocates nothing. It
// belongs to one goroutine.
type sleeper struct {
	clock Clock
	timer Timer
}

// sleep waits until d has passed, stop is closed or wake receives (a nil
// wake never does); it reports whether d passed. A d of zero or less
// returns true at once.
func (s *sleeper) sleep(d time.Duration, stop <-chan struct{}, wake <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	if s.timer == nil {
		s.timer = s.clock.NewTimer(d)
	} else {
		s.timer.Reset(d)
	}
	select {
	case <-s.timer.C():
		return true
	case <-stop:
	case <-wake:
	}
	s.timer.Stop()
	return false
}

// release stops the sleeper's timer, if it made one.
func (s *sleeper) release() {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// afterOrNow runs f after d on clock, or at once (returning a nil Timer)
// when d is zero or less.
func afterOrNow(clock Clock, d time.Duration, f func()) Timer {
	if d <= 0 {
		f()
		return nil
	}
	return clock.AfterFunc(d, f)
}
