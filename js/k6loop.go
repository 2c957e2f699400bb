package js

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/dop251/goja"
)

// k6's event loop, for k6/ws, k6/websockets and k6/timers. A user has one,
// made on first use. It runs:
//
//   - inside ws.connect (k6/ws), until that socket has closed, as k6
//     documents ("connect blocks until the connection is closed");
//   - after a k6 iteration's default function returned, while a timer or a
//     k6/websockets socket is pending: k6 ends an iteration once its event
//     loop is empty, so a socket the iteration opened keeps it going until
//     the socket closes (or the test stops).
//
// Each turn runs the queued tasks (websockets' open and close events), then
// the timers that are due, then waits for the first of: the next timer, an
// event of an open socket, the end of the test. Callbacks run on the
// user's goroutine, one at a time, as in k6.
type k6Loop struct {
	vu      *VU
	timers  []*k6Timer
	lastID  int64
	sources []loopSource
	queue   []func()
	runFn   goja.Callable // run(nil) as a JS function, for vu.invoke
}

// k6Timer is a pending setTimeout or setInterval.
type k6Timer struct {
	id    int64
	at    time.Time
	every time.Duration // > 0 for an interval
	fn    goja.Callable
	args  []goja.Value
	owner any // the k6/ws socket the timer belongs to, nil for a global one
}

// loopSource is an open socket the loop waits on.
type loopSource interface {
	// cases are the channels to wait on (nil channels never fire).
	cases() []reflect.SelectCase
	// fire handles case i (of cases) having fired with v; ok is false for a
	// closed channel.
	fire(i int, v reflect.Value, ok bool)
	// open reports whether the source still has events to wait for.
	open() bool
	// closeNow closes it without events (the user stops).
	closeNow()
}

func (vu *VU) loop() *k6Loop {
	if vu.k6loop == nil {
		l := &k6Loop{vu: vu}
		l.runFn, _ = goja.AssertFunction(vu.rt.ToValue(func(goja.FunctionCall) goja.Value {
			l.run(nil)
			return goja.Undefined()
		}))
		vu.k6loop = l
	}
	return vu.k6loop
}

// pending reports whether the loop has anything to run or wait for.
func (l *k6Loop) pending() bool {
	if l == nil {
		return false
	}
	l.sources = slices.DeleteFunc(l.sources, func(s loopSource) bool { return !s.open() })
	return len(l.queue) > 0 || len(l.timers) > 0 || len(l.sources) > 0
}

// closeAll closes the open sockets and drops the timers (the user stops).
func (l *k6Loop) closeAll() {
	if l == nil {
		return
	}
	for _, s := range l.sources {
		s.closeNow()
	}
	l.sources, l.timers, l.queue = nil, nil, nil
}

// add starts waiting on s.
func (l *k6Loop) add(s loopSource) { l.sources = append(l.sources, s) }

// later queues f to run at the loop's next turn.
func (l *k6Loop) later(f func()) { l.queue = append(l.queue, f) }

// setTimer adds a timer and returns its id.
func (l *k6Loop) setTimer(fn goja.Callable, delay time.Duration, every bool, args []goja.Value, owner any) int64 {
	l.lastID++
	t := &k6Timer{id: l.lastID, at: time.Now().Add(delay), fn: fn, args: args, owner: owner}
	if every {
		t.every = max(delay, time.Millisecond)
	}
	l.timers = append(l.timers, t)
	return t.id
}

// clearTimer removes the timer id (an unknown id does nothing, as in JS).
func (l *k6Loop) clearTimer(id int64) {
	l.timers = slices.DeleteFunc(l.timers, func(t *k6Timer) bool { return t.id == id })
}

// dropTimers removes the timers of owner.
func (l *k6Loop) dropTimers(owner any) {
	l.timers = slices.DeleteFunc(l.timers, func(t *k6Timer) bool { return t.owner == owner })
}

// call calls a script callback; an exception goes on to the script's
// caller (it ends the iteration, as in k6).
func (l *k6Loop) call(fn goja.Callable, this goja.Value, args ...goja.Value) {
	if _, err := fn(this, args...); err != nil {
		panic(err)
	}
}

// run runs the loop until done reports true (nil: until nothing is
// pending) or the test stops.
func (l *k6Loop) run(done func() bool) {
	vu := l.vu
	for {
		for len(l.queue) > 0 {
			f := l.queue[0]
			l.queue = l.queue[1:]
			f()
		}
		if done != nil && done() || !l.pending() {
			return
		}
		if len(l.queue) > 0 {
			continue
		}
		var next *k6Timer
		for _, t := range l.timers {
			if next == nil || t.at.Before(next.at) {
				next = t
			}
		}
		if next != nil && !time.Now().Before(next.at) {
			if next.every > 0 {
				next.at = next.at.Add(next.every)
				if now := time.Now(); next.at.Before(now) {
					next.at = now // a late interval does not run in a burst
				}
			} else {
				l.clearTimer(next.id)
			}
			l.call(next.fn, goja.Undefined(), next.args...)
			continue
		}
		cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(vu.ctx.Done())}}
		var timer *time.Timer
		if next != nil {
			timer = time.NewTimer(time.Until(next.at))
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)})
		} else {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv}) // never fires
		}
		type span struct {
			s     loopSource
			first int
		}
		spans := make([]span, 0, len(l.sources))
		for _, s := range l.sources {
			spans = append(spans, span{s, len(cases)})
			cases = append(cases, s.cases()...)
		}
		chosen, v, ok := reflect.Select(cases)
		if timer != nil {
			timer.Stop()
		}
		switch chosen {
		case 0:
			vu.stopped(false)
			return
		case 1:
			continue // the timer is due: the next turn runs it
		}
		for i := len(spans) - 1; i >= 0; i-- {
			if chosen >= spans[i].first {
				spans[i].s.fire(chosen-spans[i].first, v, ok)
				break
			}
		}
	}
}

// k6TimersTable is k6/timers; the same functions are globals in k6
// scripts.
var k6TimersTable = []lazyEntry{
	{name: "setTimeout", make: fn(func(vu *VU, c goja.FunctionCall) goja.Value { return vu.k6SetTimer(c, false, "setTimeout") })},
	{name: "setInterval", make: fn(func(vu *VU, c goja.FunctionCall) goja.Value { return vu.k6SetTimer(c, true, "setInterval") })},
	{name: "clearTimeout", make: fn((*VU).k6ClearTimer)},
	{name: "clearInterval", make: fn((*VU).k6ClearTimer)},
}

// k6SetTimer implements setTimeout(fn, ms, ...args) and setInterval.
func (vu *VU) k6SetTimer(c goja.FunctionCall, every bool, what string) goja.Value {
	f, ok := goja.AssertFunction(c.Argument(0))
	if !ok {
		panic(vu.rt.NewTypeError("%s(fn, ms): fn must be a function, got %s", what, vu.format(c.Argument(0))))
	}
	d, err := k6Millis(c.Argument(1))
	if err != nil {
		panic(vu.rt.NewTypeError("%s(fn, ms): ms %v", what, err))
	}
	var args []goja.Value
	if len(c.Arguments) > 2 {
		args = slices.Clone(c.Arguments[2:])
	}
	return vu.rt.ToValue(vu.loop().setTimer(f, d, every, args, nil))
}

func (vu *VU) k6ClearTimer(c goja.FunctionCall) goja.Value {
	if vu.k6loop != nil && goja.IsNumber(c.Argument(0)) {
		vu.k6loop.clearTimer(c.Argument(0).ToInteger())
	}
	return goja.Undefined()
}

// k6Millis reads a delay in milliseconds (absent: 0).
func k6Millis(v goja.Value) (time.Duration, error) {
	if isNullish(v) {
		return 0, nil
	}
	f := v.ToFloat()
	if !(f >= 0) || f > 1e12 {
		return 0, fmt.Errorf("must be a number of milliseconds >= 0, got %s", v.String())
	}
	return time.Duration(f * float64(time.Millisecond)), nil
}

// installK6Timers makes the timer functions globals, as they are in k6.
func (vu *VU) installK6Timers() {
	g := vu.globals
	if g.Get("setTimeout") != nil {
		return
	}
	t := vu.newLazy(k6TimersTable)
	for _, e := range k6TimersTable {
		must(g.Set(e.name, t.Get(e.name)))
	}
}
