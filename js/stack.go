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
// a user runs its JavaScript on a goroutine of its own that ends with the
// task (offStack): that stack goes back to the runtime's pool, and the
// user's goroutine stays small. Users that do not wait (throughput tests)
// run inline, as handing over costs about a microsecond a task.

// onStack runs f, which runs the VU's JavaScript, off the caller's
// goroutine when the user waits between tasks.
func (vu *VU) onStack(f func()) {
	if vu.waits {
		offStack(f)
	} else {
		f()
	}
}

// offStack runs f on a new goroutine and waits for it; a panic in f goes on
// in the caller's goroutine, with the stack where it happened.
func offStack(f func()) {
	done := make(chan *offStackPanic, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- &offStackPanic{p, debug.Stack()}
			}
			close(done)
		}()
		f()
	}()
	if p := <-done; p != nil {
		panic(p)
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
