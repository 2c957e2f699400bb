package engine

import (
	"math/rand/v2"
	"time"
)

// Wait decides how long a user waits between two tasks.
type Wait interface {
	// Next returns the wait after a task that took lastTask.
	Next(lastTask time.Duration, r *rand.Rand) time.Duration
}

// Between waits a uniformly random time in [Min, Max].
type Between struct{ Min, Max time.Duration }

// Next implements Wait.
func (b Between) Next(_ time.Duration, r *rand.Rand) time.Duration {
	if b.Max <= b.Min {
		return b.Min
	}
	return b.Min + time.Duration(r.Int64N(int64(b.Max-b.Min)+1))
}

// Constant always waits D.
type Constant struct{ D time.Duration }

// Next implements Wait.
func (c Constant) Next(time.Duration, *rand.Rand) time.Duration { return c.D }

// Pacing makes each task start Period after the previous one started: it
// waits Period minus the task's duration, or not at all if the task took
// longer (Locust's constant_pacing; constant_throughput(n) is Pacing 1/n).
type Pacing struct{ Period time.Duration }

// Next implements Wait.
func (p Pacing) Next(last time.Duration, _ *rand.Rand) time.Duration {
	if w := p.Period - last; w > 0 {
		return w
	}
	return 0
}

var (
	_ Wait = Between{}
	_ Wait = Constant{}
	_ Wait = Pacing{}
)
