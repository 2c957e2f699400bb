package engine_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

// arrivalVU is a fakeVU that is told when each of its starts was due.
type arrivalVU struct {
	*fakeVU
	f *arrivalFactory
}

func (v *arrivalVU) RunTaskAt(ctx context.Context, due time.Time) error {
	v.enter("RunTaskAt", 1)
	defer v.leave()
	v.tasks.Add(1)
	defer v.done.Add(1)
	v.f.mu.Lock()
	v.f.dues = append(v.f.dues, due.Sub(clockStart))
	v.f.mu.Unlock()
	if v.f.task != nil {
		return v.f.task(ctx, v, due)
	}
	return nil
}

var _ engine.ScheduledVU = (*arrivalVU)(nil)

// arrivalFactory makes arrivalVUs through its fakeFactory and records the
// due times of the starts they run. task, set before the engine starts,
// is the task (nil: return at once).
type arrivalFactory struct {
	fakeFactory
	task func(ctx context.Context, v *arrivalVU, due time.Time) error

	mu   sync.Mutex
	dues []time.Duration // of the starts run, as offsets from clockStart
}

func (f *arrivalFactory) NewVU(ctx context.Context, id, class int) (engine.VU, error) {
	vu, err := f.fakeFactory.NewVU(ctx, id, class)
	if err != nil {
		return nil, err
	}
	return &arrivalVU{fakeVU: vu.(*fakeVU), f: f}, nil
}

// started is how many starts have been run.
func (f *arrivalFactory) started() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.dues)
}

// sortedDues returns the due times of the starts run, in order (users
// record them concurrently).
func (f *arrivalFactory) sortedDues() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(slices.Values(f.dues))
}

// waitStarted waits until n starts have been run.
func (f *arrivalFactory) waitStarted(t *testing.T, n int) {
	t.Helper()
	eventually(t, func() bool { return f.started() == n }, "%d starts run", n)
}

// stepSchedule advances the clock from from*step to (to+1)*step past
// clockStart, one step at a time, each time once the only timer pending
// (the arrival-rate scheduler's) is due at the step's end: the scheduler
// queues the start due then before the clock moves on.
func (c *fakeClock) stepSchedule(t *testing.T, step time.Duration, from, to int) {
	t.Helper()
	for k := from; k <= to; k++ {
		c.waitTimers(t, time.Duration(k)*step)
		c.Advance(step)
	}
	c.waitTimers(t, time.Duration(to+1)*step)
}

// newArrivalEngine makes an engine whose users are f's, on clk, counting
// dropped starts in dropped.
func newArrivalEngine(t *testing.T, f *arrivalFactory, clk *fakeClock, dropped *atomic.Int64, cfg engine.Config) *engine.Engine {
	cfg.Factory, cfg.Clock = f, clk
	cfg.OnDropped = func(n int64) { dropped.Add(n) }
	return newEngine(t, &f.fakeFactory, cfg)
}

func TestArrivalRateFollowsTheSchedule(t *testing.T) {
	t.Parallel()
	// 200 starts/s for 1 s, each task taking 1 to 200 ms on the fake
	// clock: the k-th start is due at exactly k*5 ms whatever the tasks
	// take, every one runs, and the pool grows to at least the number of
	// tasks that are running at once.
	const rate, step, steps, maxVUs = 200.0, 5 * time.Millisecond, 200, 500
	work := func(k int) time.Duration { return time.Duration(1+(k*37)%200) * time.Millisecond }
	clk := newFakeClock()
	f := &arrivalFactory{}
	f.task = func(ctx context.Context, v *arrivalVU, due time.Time) error {
		timer := clk.NewTimer(work(int(due.Sub(clockStart) / step)))
		defer timer.Stop()
		select {
		case <-ctx.Done():
		case <-timer.C():
		}
		return nil
	}
	var dropped atomic.Int64
	e := newArrivalEngine(t, f, clk, &dropped, engine.Config{})
	e.StartArrival(rate, 5, maxVUs)
	for k := range steps + 1 {
		if k > 0 {
			clk.Advance(step)
		}
		f.waitStarted(t, k+1)
	}
	stopWithin(t, e, context.Background())

	dues := f.sortedDues()
	if len(dues) != steps+1 {
		t.Fatalf("%d starts run in %v at %v/s, want %d", len(dues), steps*step, rate, steps+1)
	}
	for k, d := range dues {
		if want := time.Duration(k) * step; d != want {
			t.Fatalf("start %d due at %v, want %v", k, d, want)
		}
	}
	if n := dropped.Load(); n != 0 {
		t.Errorf("%d starts dropped, want none", n)
	}
	// When start k began, the tasks of the earlier starts that end after
	// it were still running: each needed a user of its own.
	inFlight := 0
	for k := range steps + 1 {
		n := 1
		for j := range k {
			if time.Duration(j)*step+work(j) > time.Duration(k)*step {
				n++
			}
		}
		inFlight = max(inFlight, n)
	}
	if m := f.created.Load(); m < int64(inFlight) || m > maxVUs {
		t.Errorf("the pool grew to %d users; %d tasks ran at once, at most %d users allowed", m, inFlight, maxVUs)
	}
}

func TestArrivalRateDropsWhatNoUserCanTake(t *testing.T) {
	t.Parallel()
	// Two users, each stuck in its first task: of the 101 starts due in
	// 1 s at 100/s, 13 wait in the queue (100/s * 100 ms + 2 users + 1),
	// the other 86 find it full, and the 13 count as dropped at the stop.
	const step = 10 * time.Millisecond
	clk := newFakeClock()
	f := &arrivalFactory{}
	f.task = func(ctx context.Context, v *arrivalVU, due time.Time) error {
		<-ctx.Done()
		return nil
	}
	var dropped atomic.Int64
	e := newArrivalEngine(t, f, clk, &dropped, engine.Config{MaxDelay: 100 * time.Millisecond})
	e.StartArrival(100, 1, 2)
	f.waitStarted(t, 1)
	clk.stepSchedule(t, step, 1, 1)
	f.waitStarted(t, 2) // by the second user, launched because none was idle
	clk.stepSchedule(t, step, 2, 100)
	if n := dropped.Load(); n != 86 {
		t.Errorf("%d starts dropped before the stop, want 86", n)
	}
	stopWithin(t, e, context.Background())
	if n := dropped.Load(); n != 99 {
		t.Errorf("%d starts dropped in all, want 99 (all but the 2 run)", n)
	}
	if n := f.started(); n != 2 {
		t.Errorf("%d starts run, want 2", n)
	}
	if m := f.created.Load(); m != 2 {
		t.Errorf("pool of %d, want it capped at 2", m)
	}
}

func TestArrivalRateDropsLateStarts(t *testing.T) {
	t.Parallel()
	// One user is stuck in its first task for 150 ms at 100 starts/s. The
	// queue holds 12 starts (100/s * 100 ms + 1 user + 1); starts 13 to 15
	// find it full. Freed at 150 ms, the user drops starts 1 to 4 (more
	// than MaxDelay late) and runs 5 (exactly MaxDelay late) to 12.
	const step = 10 * time.Millisecond
	clk := newFakeClock()
	release := make(chan struct{})
	f := &arrivalFactory{}
	f.task = func(ctx context.Context, v *arrivalVU, due time.Time) error {
		if due.Equal(clockStart) {
			<-release
		}
		return nil
	}
	var dropped atomic.Int64
	e := newArrivalEngine(t, f, clk, &dropped, engine.Config{MaxDelay: 100 * time.Millisecond})
	e.StartArrival(100, 1, 1)
	f.waitStarted(t, 1)
	clk.stepSchedule(t, step, 1, 15)
	if n := dropped.Load(); n != 3 {
		t.Errorf("%d starts dropped while the user was stuck, want 3", n)
	}
	close(release)
	f.waitStarted(t, 9)
	eventually(t, func() bool { return dropped.Load() == 7 }, "7 starts dropped")
	want := []time.Duration{0}
	for k := 5; k <= 12; k++ {
		want = append(want, time.Duration(k)*step)
	}
	if got := f.sortedDues(); !slices.Equal(got, want) {
		t.Errorf("starts run were due at %v, want %v", got, want)
	}
	stopWithin(t, e, context.Background())
	if n := dropped.Load(); n != 7 {
		t.Errorf("%d starts dropped, want 7", n)
	}
}

func TestSetRateRebasesTheSchedule(t *testing.T) {
	t.Parallel()
	// At 10/s starts are due at 0, 100 and 200 ms. SetRate(100) at 250 ms
	// makes one due at once and the next 10 ms later; SetRate(0) stops
	// them however long the clock runs; SetRate(50) starts again at once,
	// then every 20 ms.
	clk := newFakeClock()
	f := &arrivalFactory{}
	var dropped atomic.Int64
	e := newArrivalEngine(t, f, clk, &dropped, engine.Config{})
	ms := time.Millisecond
	e.StartArrival(10, 1, 10)
	f.waitStarted(t, 1)
	clk.waitTimers(t, 100*ms)
	clk.Advance(100 * ms)
	f.waitStarted(t, 2)
	clk.waitTimers(t, 200*ms)
	clk.Advance(150 * ms)
	f.waitStarted(t, 3)
	clk.waitTimers(t, 300*ms)

	e.SetRate(100)
	f.waitStarted(t, 4)
	clk.waitTimers(t, 260*ms)
	clk.Advance(10 * ms)
	f.waitStarted(t, 5)
	clk.waitTimers(t, 270*ms)

	e.SetRate(0)
	clk.waitTimers(t)
	clk.Advance(time.Hour)
	if n := f.started(); n != 5 {
		t.Fatalf("%d starts run at rate 0, want 5 as before", n)
	}

	e.SetRate(50)
	f.waitStarted(t, 6)
	clk.waitTimers(t, time.Hour+280*ms)
	clk.Advance(20 * ms)
	f.waitStarted(t, 7)
	stopWithin(t, e, context.Background())

	want := []time.Duration{0, 100 * ms, 200 * ms, 250 * ms, 260 * ms, time.Hour + 260*ms, time.Hour + 280*ms}
	if got := f.sortedDues(); !slices.Equal(got, want) {
		t.Errorf("starts due at %v, want %v", got, want)
	}
	if n := dropped.Load(); n != 0 {
		t.Errorf("%d starts dropped, want none", n)
	}
}

func TestArrivalRateIterations(t *testing.T) {
	t.Parallel()
	// With Config.Iterations 5 the one user of the pool runs the starts
	// due at 0 to 40 ms, then stops itself and the test is done.
	const step = 10 * time.Millisecond
	clk := newFakeClock()
	f := &arrivalFactory{}
	var dropped atomic.Int64
	e := newArrivalEngine(t, f, clk, &dropped, engine.Config{Iterations: 5})
	e.StartArrival(100, 1, 1)
	for k := 1; k <= 4; k++ {
		f.waitStarted(t, k)
		clk.waitTimers(t, time.Duration(k)*step)
		select {
		case <-e.Done():
			t.Fatalf("Done after %d of 5 iterations", k)
		default:
		}
		clk.Advance(step)
	}
	recv(t, e.Done(), "Done")
	if n := f.started(); n != 5 {
		t.Errorf("%d starts run, want 5", n)
	}
	if n := e.IterationsStarted(); n != 5 {
		t.Errorf("IterationsStarted() = %d, want 5", n)
	}
	eventually(t, func() bool { return f.closed.Load() == 1 }, "the user closed")
	v := f.vu(1)
	if v.starts.Load() != 1 || v.stops.Load() != 1 {
		t.Errorf("OnStart %d, OnStop %d, want 1 and 1", v.starts.Load(), v.stops.Load())
	}
	if u := e.Users(); u != 0 {
		t.Errorf("Users() = %d after the iterations, want 0", u)
	}
}
