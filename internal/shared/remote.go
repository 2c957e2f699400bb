package shared

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"
)

// The wire form of Store calls, for a cluster: a worker's Remote sends
// each call as a request to the master, which answers with Serve from its
// own store. The transport is the caller's (NATS in internal/cluster).

type request struct {
	Op      string `json:"op"` // add, define, take, put, len
	Name    string `json:"name"`
	Delta   int64  `json:"delta,omitempty"`
	Item    []byte `json:"item,omitempty"`
	Len     int    `json:"len,omitempty"`
	Digest  string `json:"digest,omitempty"`
	Recycle bool   `json:"recycle,omitempty"`
}

type answer struct {
	Value int64  `json:"value,omitempty"`
	Item  []byte `json:"item,omitempty"`
	Empty bool   `json:"empty,omitempty"`
	Error string `json:"error,omitempty"`
}

// Serve answers one request of a Remote from store. It never blocks on a
// dry queue: a Remote that waits asks again.
func Serve(ctx context.Context, store Store, req []byte) []byte {
	var r request
	var a answer
	var err error
	if err = json.Unmarshal(req, &r); err == nil {
		switch r.Op {
		case "add":
			a.Value, err = store.Add(ctx, r.Name, r.Delta)
		case "define":
			err = store.Define(ctx, QueueSpec{Name: r.Name, Len: r.Len, Digest: r.Digest, Recycle: r.Recycle})
		case "take":
			a.Item, err = store.Take(ctx, r.Name, false)
			if errors.Is(err, ErrEmpty) {
				a.Empty, err = true, nil
			}
		case "put":
			err = store.Put(ctx, r.Name, r.Item)
		case "len":
			var n int
			n, err = store.Len(ctx, r.Name)
			a.Value = int64(n)
		default:
			err = errors.New("unknown shared-state operation " + r.Op)
		}
	}
	if err != nil {
		a.Error = err.Error()
	}
	b, _ := json.Marshal(a)
	return b
}

// Remote is a Store whose state is elsewhere: call sends a request and
// returns the answer.
type Remote struct {
	call    func(ctx context.Context, req []byte) ([]byte, error)
	defined sync.Map // queue name -> QueueSpec checked with the owner
	// Poll is the longest pause between two asks of a dry queue when
	// waiting (it starts at a hundredth of it).
	Poll time.Duration
}

var _ Store = (*Remote)(nil)

// NewRemote returns a Store that sends every call with call.
func NewRemote(call func(ctx context.Context, req []byte) ([]byte, error)) *Remote {
	return &Remote{call: call, Poll: 200 * time.Millisecond}
}

func (r *Remote) do(ctx context.Context, req request) (answer, error) {
	b, _ := json.Marshal(req)
	res, err := r.call(ctx, b)
	if err != nil {
		return answer{}, err
	}
	var a answer
	if err := json.Unmarshal(res, &a); err != nil {
		return answer{}, err
	}
	if a.Error != "" {
		return a, errors.New(a.Error)
	}
	return a, nil
}

// Add implements Store.
func (r *Remote) Add(ctx context.Context, name string, delta int64) (int64, error) {
	a, err := r.do(ctx, request{Op: "add", Name: name, Delta: delta})
	return a.Value, err
}

// Define implements Store: the owner must have made the same queue (a
// cluster's master runs the script's top-level code too). Each queue is
// checked once per process.
func (r *Remote) Define(ctx context.Context, spec QueueSpec) error {
	if v, ok := r.defined.Load(spec.Name); ok {
		return v.(QueueSpec).same(spec)
	}
	_, err := r.do(ctx, request{Op: "define", Name: spec.Name, Len: spec.Len, Digest: spec.Digest, Recycle: spec.Recycle})
	if err != nil {
		return err
	}
	spec.Items = nil
	r.defined.Store(spec.Name, spec)
	return nil
}

// Take implements Store; waiting, it asks again after a pause that grows
// to Poll.
func (r *Remote) Take(ctx context.Context, name string, wait bool) ([]byte, error) {
	pause := r.Poll / 100
	for {
		a, err := r.do(ctx, request{Op: "take", Name: name})
		if err != nil {
			return nil, err
		}
		if !a.Empty {
			return a.Item, nil
		}
		if !wait {
			return nil, ErrEmpty
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, r.Poll)
	}
}

// Put implements Store.
func (r *Remote) Put(ctx context.Context, name string, item []byte) error {
	_, err := r.do(ctx, request{Op: "put", Name: name, Item: item})
	return err
}

// Len implements Store.
func (r *Remote) Len(ctx context.Context, name string) (int, error) {
	a, err := r.do(ctx, request{Op: "len", Name: name})
	return int(a.Value), err
}
