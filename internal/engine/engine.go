// Package engine spawns and stops virtual users and runs their task loops.
//
// The engine knows nothing about JavaScript: it drives VUs through the small
// VU interface, created by a Factory. It paces them either with the wait
// times they ask for (Start) or at an arrival rate (StartArrival); every
// user runs the same loop (user.run), and only how it obtains its next
// iteration differs (a pacer). A user that waits between tasks holds no
// goroutine while it waits. One Engine runs one load plan.
package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// ErrStopUser, returned by VU.RunTask, stops that VU for good: it runs its
// OnStop and is not replaced.
var ErrStopUser = errors.New("user stopped itself")

// VU is one virtual user. The engine calls its methods one at a time:
// OnStart once, then RunTask and WaitTime in turn until the user is stopped,
// then OnStop once and Close once. They are not always called from the same
// goroutine: a user that waits between tasks holds none while it waits, and
// goes on in a new one. A context passed to a method is canceled
// when the method must give up (the test is stopping and the stop timeout
// has passed); the VU must return promptly then. A user created when no
// iteration is left (Config.Iterations) is only closed.
type VU interface {
	// OnStart runs the user's start hook.
	OnStart(ctx context.Context)
	// RunTask runs one task. It returns ErrStopUser to stop this user;
	// other problems are the VU's to record.
	RunTask(ctx context.Context) error
	// WaitTime is how long to wait before the next task, given how long the
	// last one took: from its start, or from when the wait before it was due
	// to end if it started later (a late wake-up counts as the task's time,
	// so that a constant pacing catches up).
	WaitTime(lastTask time.Duration) time.Duration
	// OnStop runs the user's stop hook.
	OnStop(ctx context.Context)
	// Close releases the VU's resources.
	Close()
}

// Interrupter is a VU whose running task the engine interrupts itself.
// The engine ends the context it gives RunTask and RunTaskAt (a
// TaskContext) in a stop, a ramp-down or a kill, and then calls Interrupt
// if the user is in a task (RunTask, then WaitTime), so the VU need not
// watch that context (with a context.AfterFunc per task, as a VU must for
// other contexts).
type Interrupter interface {
	// Interrupt makes the task in progress return soon if its context
	// has ended; it does nothing otherwise, and may be called from any
	// goroutine, late or more than once.
	Interrupt()
}

// TaskContext is implemented by the contexts the engine gives RunTask and
// RunTaskAt only: when one ends during a task, the engine interrupts an
// Interrupter VU itself. NewVU, OnStart and OnStop get other contexts,
// which a VU watches itself.
type TaskContext interface {
	context.Context
	endsWithInterrupt()
}

// taskContext is a user's hard context as its tasks get it.
type taskContext struct{ context.Context }

func (taskContext) endsWithInterrupt() {}

// Factory makes VUs. NewVU is called from the new VU's own goroutine, so it
// may do heavy work; id counts from 1 over the whole run, class indexes
// Config.Classes. ctx is canceled when the test stops at once: NewVU must
// then give up promptly.
type Factory interface {
	NewVU(ctx context.Context, id, class int) (VU, error)
}

// Class is a kind of user with its share of the VUs: FixedCount users if it
// is above zero, else a share proportional to Weight of the users that are
// not fixed.
type Class struct {
	Name       string
	Weight     int
	FixedCount int
}

// Config configures an Engine.
type Config struct {
	Classes []Class
	Factory Factory
	// StopTimeout is how long running tasks may go on after a stop before
	// they are interrupted. Zero interrupts them at once.
	StopTimeout time.Duration
	// OnStopTimeout bounds each user's OnStop hook; zero means
	// max(StopTimeout, 5s).
	OnStopTimeout time.Duration
	// OnError receives problems the engine cannot attribute to a request,
	// such as a VU that could not be created. It may be nil.
	OnError func(error)
	// OnSpawned is called each time spawning reaches its target, with the
	// number of users per class name. It may be nil.
	OnSpawned func(counts map[string]int)
	// Iterations, when above zero, is how many tasks all users together
	// run; a user that finds none left stops by itself (and, if it never
	// started a task, skips OnStart and OnStop), so the test ends when the
	// last one finishes.
	Iterations int64
	// MaxDelay bounds how late an arrival-rate iteration may start; zero
	// means DefaultMaxDelay.
	MaxDelay time.Duration
	// OnDropped counts arrival-rate starts no user could serve in time. It
	// may be nil.
	OnDropped func(n int64)
	// OnPanic receives a panic in a user's activation (a bug); the user
	// ends. It may be nil.
	OnPanic func(error)
	// Clock is the engine's time source (see Clock); nil means the
	// system clock. Tests pass a fake one to check pacing exactly.
	Clock Clock
}

// State is the engine's lifecycle state.
type State int

// The engine's states, as Locust names them.
const (
	Ready State = iota
	Spawning
	Running
	Stopping
	Stopped
)

func (s State) String() string {
	return [...]string{"ready", "spawning", "running", "stopping", "stopped"}[s]
}

// handle is the engine's side of one running user: its class and the
// contexts that stop it.
type handle struct {
	class      int
	softCancel context.CancelFunc // stop picking tasks
	hardCancel context.CancelFunc // interrupt the running task
	soft, hard context.Context
	task       context.Context      // hard as RunTask gets it (a TaskContext)
	u          atomic.Pointer[user] // set when the user's goroutine starts; a stop wakes it if parked
}

// interrupt ends h's hard context and interrupts the task its user is in,
// if any (see Interrupter). The user sets inTask before its task looks at
// the context, and this looks at inTask after ending it: either the task
// sees the end, or this sees the task.
func (h *handle) interrupt() {
	h.hardCancel()
	if u := h.u.Load(); u != nil && u.inTask.Load() {
		if i, ok := u.vu.(Interrupter); ok {
			i.Interrupt()
		}
	}
}

// Engine runs a swarm of VUs.
type Engine struct {
	cfg Config

	rootSoft, rootHard     context.Context
	cancelSoft, cancelHard context.CancelFunc
	killCtx                context.Context
	kill                   context.CancelFunc

	clock Clock // cfg.Clock or the system clock

	mu          sync.Mutex
	state       State
	running     [][]*handle          // per class, in spawn order
	stopping    map[*handle]struct{} // ramped down, not ended yet (nil until the first)
	nextID      int
	cancelSpawn context.CancelFunc // stops the spawner of the last Start
	retired     []int              // per class: users that stopped themselves, not replaced
	wg          sync.WaitGroup
	iters       atomic.Int64 // tasks started (or reserved), when Config.Iterations is set
	cutTasks    atomic.Int64 // tasks interrupted by a stop (CutOff)
	cutOnStops  atomic.Int64 // OnStop hooks cut off (CutOff)
	arrival     *arrivalPool // set by StartArrival; nil when users pace themselves
	allDone     chan struct{}
	doneOnce    sync.Once
	workers     []workerShard // goroutines kept for activations (workers.go)
}

// New returns an engine in the Ready state.
func New(cfg Config) *Engine {
	e := &Engine{cfg: cfg, clock: cfg.Clock, running: make([][]*handle, len(cfg.Classes)), retired: make([]int, len(cfg.Classes)), allDone: make(chan struct{}), workers: newWorkerShards()}
	if e.clock == nil {
		e.clock = systemClock{}
	}
	e.killCtx, e.kill = context.WithCancel(context.Background())
	e.rootHard, e.cancelHard = context.WithCancel(e.killCtx)
	e.rootSoft, e.cancelSoft = context.WithCancel(e.rootHard)
	context.AfterFunc(e.rootSoft, e.wakeParked)
	context.AfterFunc(e.rootHard, e.interruptTasks)
	return e
}

// State returns the current state.
func (e *Engine) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state
}

// Users returns the number of VUs currently running.
func (e *Engine) Users() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, hs := range e.running {
		n += len(hs)
	}
	return n
}

// UserCounts returns the number of running VUs per class name.
func (e *Engine) UserCounts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.countsLocked()
}

func (e *Engine) countsLocked() map[string]int {
	m := make(map[string]int, len(e.cfg.Classes))
	for i, c := range e.cfg.Classes {
		m[c.Name] = len(e.running[i])
	}
	return m
}

// Distribute splits users over classes as Locust does: fixed counts first
// (in declaration order while users remain), then the rest in proportion to
// the weights, remainders going to the largest fractions (ties to the
// earlier class).
func Distribute(classes []Class, users int) []int {
	out := make([]int, len(classes))
	left := max(users, 0)
	totalW := 0
	for i, c := range classes {
		if c.FixedCount > 0 {
			n := min(c.FixedCount, left)
			out[i] = n
			left -= n
		} else if c.Weight > 0 {
			totalW += c.Weight
		}
	}
	if left <= 0 || totalW == 0 {
		return out
	}
	type frac struct {
		i int
		f float64
	}
	var fr []frac
	given := 0
	for i, c := range classes {
		if c.FixedCount > 0 || c.Weight <= 0 {
			continue
		}
		exact := float64(left) * float64(c.Weight) / float64(totalW)
		n := int(math.Floor(exact))
		out[i] = n
		given += n
		fr = append(fr, frac{i, exact - float64(n)})
	}
	sort.SliceStable(fr, func(a, b int) bool { return fr[a].f > fr[b].f })
	for k := 0; given < left; k++ {
		out[fr[k%len(fr)].i]++
		given++
	}
	return out
}

// spawnOrder interleaves the classes that need more users so that every
// prefix of the order keeps the classes' proportions: after k picks, class i
// has been picked within 1 of k*missing[i]/total times. It schedules the
// picks of each class as unit jobs with Pfair windows (the j-th pick of
// class i is released at slot floor((j-1)*total/missing[i]) and due by slot
// ceil(j*total/missing[i])) and takes the earliest deadline first, ties to
// the earlier class; on one processor that meets every window.
func spawnOrder(missing []int) []int {
	total := 0
	for _, n := range missing {
		total += max(n, 0)
	}
	order := make([]int, 0, total)
	got := make([]int, len(missing))
	for slot := 0; slot < total; slot++ {
		best, bestDue := -1, 0
		for i, m := range missing {
			if got[i] >= m {
				continue
			}
			if got[i]*total/m > slot { // next pick not released yet
				continue
			}
			due := ((got[i]+1)*total + m - 1) / m
			if best < 0 || due < bestDue {
				best, bestDue = i, due
			}
		}
		if best < 0 { // unreachable: the windows are always feasible
			for i, m := range missing {
				if got[i] < m {
					best = i
					break
				}
			}
		}
		got[best]++
		order = append(order, best)
	}
	return order
}

// Start begins spawning toward users VUs at rate per second (rate <= 0 or
// +Inf spawns them all at once), or changes the target of a running test:
// surplus users are stopped gracefully, newest first. It returns at once.
func (e *Engine) Start(users int, rate float64) {
	e.StartClasses(users, rate, nil)
}

// StartClasses is Start with the users spread over the named classes only
// (all of them when names is empty); users of other classes are stopped.
func (e *Engine) StartClasses(users int, rate float64, names []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == Stopping || e.state == Stopped || e.arrival != nil {
		return
	}
	classes := e.cfg.Classes
	if len(names) > 0 {
		classes = append([]Class(nil), classes...)
		for i := range classes {
			if !slices.Contains(names, classes[i].Name) {
				classes[i].Weight, classes[i].FixedCount = 0, 0
			}
		}
	}
	e.startLocked(Distribute(classes, users), rate)
}

// StartCounts is Start with the number of users of each class given, in
// the order of Config.Classes (missing entries count as 0): how a cluster's
// worker runs its share of the swarm.
func (e *Engine) StartCounts(counts []int, rate float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == Stopping || e.state == Stopped || e.arrival != nil {
		return
	}
	target := make([]int, len(e.cfg.Classes))
	copy(target, counts)
	e.startLocked(target, rate)
}

func (e *Engine) startLocked(target []int, rate float64) {
	if e.cancelSpawn != nil {
		e.cancelSpawn() // under e.mu, so the old spawner launches no one after this
	}
	missing := make([]int, len(target))
	for i, t := range target {
		have := len(e.running[i]) + e.retired[i]
		if have > t {
			e.stopNewestLocked(i, have-t)
		} else {
			missing[i] = t - have
		}
	}
	order := spawnOrder(missing)
	ctx, cancel := context.WithCancel(e.rootSoft)
	e.cancelSpawn = cancel
	e.state = Spawning
	go e.spawn(ctx, order, rate)
}

// stopNewestLocked stops n running users of class i, newest first.
func (e *Engine) stopNewestLocked(i, n int) {
	hs := e.running[i]
	for k := 0; k < n && len(hs) > 0; k++ {
		h := hs[len(hs)-1]
		hs = hs[:len(hs)-1]
		h.softCancel()
		if u := h.u.Load(); u != nil {
			go u.stopped() // ends its wait if it is parked
		}
		// Until it ends, a kill or the test's stop interrupts it too
		// (interruptTasks).
		if e.stopping == nil {
			e.stopping = make(map[*handle]struct{})
		}
		e.stopping[h] = struct{}{}
		afterOrNow(e.clock, e.cfg.StopTimeout, h.interrupt)
	}
	e.running[i] = hs
}

// spawn launches a user of each class in order, the k-th (from 0) when
// dueAt(start, k, rate) has come, until ctx (the Start's spawn) is
// canceled. Once all are launched the engine is Running and OnSpawned is
// told.
func (e *Engine) spawn(ctx context.Context, order []int, rate float64) {
	start := e.clock.Now()
	s := sleeper{clock: e.clock}
	defer s.release()
	for k, class := range order {
		if !s.sleep(dueAt(start, int64(k), rate).Sub(e.clock.Now()), ctx.Done(), nil) {
			return
		}
		e.mu.Lock()
		if ctx.Err() != nil { // checked under e.mu, where Start and Stop cancel it
			e.mu.Unlock()
			return
		}
		e.launchLocked(class, newWaitPacer(e.clock))
		e.mu.Unlock()
		// Let the user just launched run (until it waits, typically on
		// its first connection) before launching the next: a spawner
		// behind its schedule (an unlimited rate, or more users than the
		// cores start in time) would otherwise queue every user first,
		// and Go's scheduler polls the network only when nothing else is
		// runnable, so the first responses would wait for the whole
		// spawn. With 10,000 users, constant(1), on one core: the mean
		// first response 1.25 s -> 0.80 s after the start, and 87-89% ->
		// 96% of the requests delivered in 15 s (TestUnlimitedSpawnLetsUsersRun).
		runtime.Gosched()
	}
	e.mu.Lock()
	if ctx.Err() == nil && e.state == Spawning {
		e.state = Running
		e.checkDoneLocked()
		counts := e.countsLocked()
		e.mu.Unlock()
		if e.cfg.OnSpawned != nil {
			e.cfg.OnSpawned(counts)
		}
		return
	}
	e.mu.Unlock()
}

// launchLocked registers a new running user of class and starts its
// goroutine (its first activation), which obtains its iterations from p.
func (e *Engine) launchLocked(class int, p pacer) {
	h := e.newHandleLocked(class)
	go e.runUser(e.nextID, h, p)
}

// newHandleLocked registers a new running user of class and counts it in
// e.wg; the caller starts its goroutine.
func (e *Engine) newHandleLocked(class int) *handle {
	e.nextID++
	h := &handle{class: class}
	h.hard, h.hardCancel = context.WithCancel(e.rootHard)
	h.task = taskContext{h.hard}
	// A test-wide stop reaches the VU through rootSoft. A VU's own hard
	// cancel is always preceded by its soft cancel.
	h.soft, h.softCancel = context.WithCancel(e.rootSoft)
	e.running[class] = append(e.running[class], h)
	e.wg.Add(1)
	return h
}

// finish takes a user that ended out of the running ones and runs its
// OnStop, bounded by OnStopTimeout (or max(StopTimeout, 5s)).
func (e *Engine) finish(vu VU, h *handle, selfStopped bool) {
	e.remove(h, selfStopped)
	stopT := e.cfg.OnStopTimeout
	if stopT <= 0 {
		stopT = max(e.cfg.StopTimeout, 5*time.Second)
	}
	ctx, cancel := context.WithTimeout(e.killCtx, stopT)
	vu.OnStop(ctx)
	if ctx.Err() != nil {
		e.cutOnStops.Add(1)
	}
	cancel()
}

// CutOff is how many tasks were still running when they were interrupted
// (the stop timeout passed, or a kill), and how many OnStop hooks were
// cut off by their bound or a kill, so far.
func (e *Engine) CutOff() (tasks, onStops int64) {
	return e.cutTasks.Load(), e.cutOnStops.Load()
}

// remove takes h out of the running users. retire counts it as a user that
// stopped itself, unless a ramp-down had already taken it out.
func (e *Engine) remove(h *handle, retire bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.stopping, h)
	hs := e.running[h.class]
	for i, x := range hs {
		if x == h {
			e.running[h.class] = append(hs[:i], hs[i+1:]...)
			if retire {
				e.retired[h.class]++
				e.checkDoneLocked()
			}
			return
		}
	}
}

// recoverVU turns a panic in a user's goroutine (a bug in jsload) into an
// error for Config.OnPanic, so that the test ends with its results instead
// of a crash.
func (e *Engine) recoverVU(h *handle) {
	if r := recover(); r != nil {
		e.remove(h, true)
		if e.cfg.OnPanic != nil {
			e.cfg.OnPanic(fmt.Errorf("%v\n%s", r, debug.Stack()))
		}
	}
}

// Stop ends the test gracefully: no new tasks start, waits end at once,
// running tasks get StopTimeout to finish before they are interrupted, and
// every started user's OnStop runs. It blocks until all VUs have ended or
// ctx is canceled (then it interrupts everything, as Kill does).
func (e *Engine) Stop(ctx context.Context) {
	e.mu.Lock()
	if e.state == Stopped {
		e.mu.Unlock()
		return
	}
	e.state = Stopping
	if e.cancelSpawn != nil {
		e.cancelSpawn()
	}
	e.mu.Unlock()
	e.cancelSoft()
	hardTimer := afterOrNow(e.clock, e.cfg.StopTimeout, e.cancelHard)
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		e.Kill()
		<-done
	}
	if hardTimer != nil {
		hardTimer.Stop()
	}
	e.cancelHard()
	e.mu.Lock()
	a := e.arrival
	e.mu.Unlock()
	if a != nil {
		a.dropPending(e)
	}
	e.mu.Lock()
	e.state = Stopped
	e.mu.Unlock()
}

// Kill interrupts every VU at once, OnStop hooks included. Stop (or a Stop
// already in progress) still waits for the VUs to end.
func (e *Engine) Kill() {
	e.cancelSoft()
	e.cancelHard()
	e.kill()
}

// IterationsStarted is how many tasks have started, when Config.Iterations
// is set (0 otherwise).
func (e *Engine) IterationsStarted() int64 { return e.iters.Load() }

// Done returns a channel that is closed when every user has stopped by
// itself (each returned ErrStopUser) after spawning finished: the test has
// nothing left to do.
func (e *Engine) Done() <-chan struct{} { return e.allDone }

// checkDoneLocked closes allDone when spawning is over and every user retired.
func (e *Engine) checkDoneLocked() {
	if e.state != Running {
		return
	}
	r := 0
	for i := range e.running {
		if len(e.running[i]) > 0 {
			return
		}
		r += e.retired[i]
	}
	if r > 0 {
		e.doneOnce.Do(func() { close(e.allDone) })
	}
}
