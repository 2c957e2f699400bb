// Package shared holds the state a test's users share: counters and queues
// of items each taken once. Local is the store of one process; a cluster's
// workers use the master's through a Store that sends each call to it
// (internal/cluster). Items are opaque bytes (the js package's JSON).
package shared

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ErrEmpty is what Take returns when the queue has no item and the caller
// does not wait.
var ErrEmpty = errors.New("the queue is empty")

// QueueSpec describes a queue as the script made it. Two makings of a queue
// (by every user, in every process) must agree on Digest and Recycle.
type QueueSpec struct {
	Name    string
	Items   [][]byte // nil on a cluster's worker: the master holds them
	Len     int      // the number of items
	Digest  string   // of the items, in order
	Recycle bool     // a dry queue starts over from its first item
}

// Store is where counters and queues live. Its methods are safe for
// concurrent use.
type Store interface {
	// Add adds delta to the named counter (0 when first used) and returns
	// its new value.
	Add(ctx context.Context, name string, delta int64) (int64, error)
	// Define makes the queue, or checks that an existing one was made
	// with the same items and options.
	Define(ctx context.Context, spec QueueSpec) error
	// Take removes and returns the queue's next item. When the queue is
	// dry it starts over (Recycle), waits for a Put until ctx ends (wait),
	// or returns ErrEmpty.
	Take(ctx context.Context, name string, wait bool) ([]byte, error)
	// Put adds an item at the end of the queue.
	Put(ctx context.Context, name string, item []byte) error
	// Len is the number of items the queue holds now.
	Len(ctx context.Context, name string) (int, error)
}

// Local is the Store of one process: a counter is one atomic integer, a
// queue has a mutex of its own; the maps are read-mostly.
type Local struct {
	mu       sync.RWMutex
	counters map[string]*atomic.Int64
	queues   map[string]*queue
}

var _ Store = (*Local)(nil)

// NewLocal returns an empty store.
func NewLocal() *Local {
	return &Local{counters: map[string]*atomic.Int64{}, queues: map[string]*queue{}}
}

type queue struct {
	spec   QueueSpec // Items: the original items, for Recycle
	mu     sync.Mutex
	items  [][]byte // what is left, from head
	head   int
	notify chan struct{} // closed and replaced by every Put
}

func (l *Local) counter(name string) *atomic.Int64 {
	l.mu.RLock()
	c := l.counters[name]
	l.mu.RUnlock()
	if c != nil {
		return c
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if c = l.counters[name]; c == nil {
		c = new(atomic.Int64)
		l.counters[name] = c
	}
	return c
}

// Add implements Store.
func (l *Local) Add(_ context.Context, name string, delta int64) (int64, error) {
	return l.counter(name).Add(delta), nil
}

// Value is the named counter's value (0 for one never used).
func (l *Local) Value(name string) int64 { return l.counter(name).Load() }

// Define implements Store.
func (l *Local) Define(_ context.Context, spec QueueSpec) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.queues[spec.Name]; q != nil {
		return q.spec.same(spec)
	}
	if len(spec.Items) != spec.Len {
		return fmt.Errorf("no queue %q here: a queue is made by the script's top-level code, which the master runs too (was it made only in some users?)", spec.Name)
	}
	items := append([][]byte(nil), spec.Items...)
	l.queues[spec.Name] = &queue{spec: spec, items: items, notify: make(chan struct{})}
	return nil
}

func (s QueueSpec) same(o QueueSpec) error {
	if s.Digest != o.Digest || s.Len != o.Len {
		return fmt.Errorf("queue %q was made again with other items (%d items, then %d): every user and process must make a queue with the same items, or use another name", s.Name, s.Len, o.Len)
	}
	if s.Recycle != o.Recycle {
		return fmt.Errorf("queue %q was made again with another onEmpty: every user must make it the same way", s.Name)
	}
	return nil
}

func (l *Local) queue(name string) (*queue, error) {
	l.mu.RLock()
	q := l.queues[name]
	l.mu.RUnlock()
	if q == nil {
		return nil, fmt.Errorf("no queue %q: the script's top-level code makes queues, with queue(name, items)", name)
	}
	return q, nil
}

// Take implements Store.
func (l *Local) Take(ctx context.Context, name string, wait bool) ([]byte, error) {
	q, err := l.queue(name)
	if err != nil {
		return nil, err
	}
	for {
		q.mu.Lock()
		if q.head == len(q.items) && q.spec.Recycle && len(q.spec.Items) > 0 {
			q.items = append(q.items[:0], q.spec.Items...)
			q.head = 0
		}
		if q.head < len(q.items) {
			it := q.items[q.head]
			q.items[q.head] = nil
			q.head++
			q.mu.Unlock()
			return it, nil
		}
		ch := q.notify
		q.mu.Unlock()
		if !wait {
			return nil, ErrEmpty
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

// Put implements Store.
func (l *Local) Put(_ context.Context, name string, item []byte) error {
	q, err := l.queue(name)
	if err != nil {
		return err
	}
	q.mu.Lock()
	if q.head > 0 && q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.items = append(q.items, item)
	close(q.notify)
	q.notify = make(chan struct{})
	q.mu.Unlock()
	return nil
}

// Len implements Store.
func (l *Local) Len(_ context.Context, name string) (int, error) {
	q, err := l.queue(name)
	if err != nil {
		return 0, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head, nil
}
