package js

import (
	"fmt"
	"runtime/debug"
)

// A VU's JavaScript runs deep in Go's stack (goja's interpreter, and the
// HTTP client under it), and a goroutine keeps the stack it grew until a
// garbage collection shrinks it, by half at most. The engine's goroutine of
// a user that waits between tasks sleeps most of the time: with its stack
// grown for the JavaScript, thousands of idle users hold 8 KB each. So such
// a user runs its JavaScript on one of a few worker goroutines (offStack),
// which keep the grown stacks, and the user's goroutine stays small. Users
// that do not wait (throughput tests) run inline, as handing over costs a
// microsecond or two a task.

// onStack runs f, which runs the VU's JavaScript, off the caller's
// goroutine when the user waits between tasks.
func (vu *VU) onStack(f func()) {
	if vu.waits {
		offStack(f)
	} else {
		f()
	}
}

// offStack runs f on a worker goroutine and waits for it; a panic in f goes
// on in the caller's goroutine, with the stack where it happened. Workers
// wait for the next function in a pool (their stacks stay grown, so no
// task pays for growing one); there are about as many as functions ever
// ran at once, up to maxIdleWorkers idle ones.
func offStack(f func()) {
	done := make(chan *offStackPanic, 1)
	job := func() {
		defer func() {
			if p := recover(); p != nil {
				done <- &offStackPanic{p, debug.Stack()}
			}
			close(done)
		}()
		f()
	}
	select {
	case w := <-idleWorkers:
		w <- job
	default:
		w := make(chan func(), 1)
		w <- job
		go work(w)
	}
	if p := <-done; p != nil {
		panic(p)
	}
}

// maxIdleWorkers bounds the workers that wait for a function.
const maxIdleWorkers = 64

// idleWorkers are the waiting workers, each by the channel it takes
// functions from.
var idleWorkers = make(chan chan func(), maxIdleWorkers)

// work runs the functions sent on w, returning to idleWorkers after each,
// and ends when that pool is full.
func work(w chan func()) {
	for f := range w {
		f()
		select {
		case idleWorkers <- w:
		default:
			return
		}
	}
}

// offStackPanic is a panic that happened in offStack's goroutine.
type offStackPanic struct {
	val   any
	stack []byte
}

func (p *offStackPanic) String() string {
	return fmt.Sprintf("%v\n[in the goroutine that ran the JavaScript]\n%s", p.val, p.stack)
}
