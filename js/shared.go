package js

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/shared"
)

// Shared state: counter(name) and queue(name, items, { onEmpty }). They
// live in the Env's store (a cluster's master's, through a worker), or in
// the Script's own store, shared by every user of the process.

// store is where this VU's counters and queues live.
func (vu *VU) store() shared.Store {
	if vu.env.Shared != nil {
		return vu.env.Shared
	}
	return vu.s.SharedStore()
}

// SharedStore is the store of the script's counters and queues in this
// process: what a cluster's master serves its workers from.
func (s *Script) SharedStore() *shared.Local {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.d.local == nil {
		s.d.local = shared.NewLocal()
	}
	return s.d.local
}

func (vu *VU) sharedName(fn string, v goja.Value) string {
	if goja.IsUndefined(v) || goja.IsNull(v) || v.String() == "" {
		panic(vu.rt.NewTypeError("%s(name, ...): a name is required: users and processes find the same %s by its name", fn, fn))
	}
	return v.String()
}

// counter implements counter(name): { add(n = 1), get(), name }.
func (vu *VU) counter(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	name := vu.sharedName("counter", c.Argument(0))
	st := vu.store()
	add := func(delta int64) goja.Value {
		if delta != 0 {
			vu.notAtLoad("counter", name, "add")
		}
		n, err := st.Add(vu.ctx, name, delta)
		if err != nil {
			panic(rt.NewTypeError("counter %q: %v", name, err))
		}
		return rt.ToValue(n)
	}
	o := rt.NewObject()
	_ = o.Set("name", name)
	_ = o.Set("add", func(c goja.FunctionCall) goja.Value {
		d := int64(1)
		if a := c.Argument(0); !goja.IsUndefined(a) {
			f := a.ToFloat()
			if f != float64(int64(f)) {
				panic(rt.NewTypeError("counter %q: add(n) takes a whole number, got %s", name, a.String()))
			}
			d = int64(f)
		}
		return add(d)
	})
	_ = o.Set("get", func(goja.FunctionCall) goja.Value { return add(0) })
	return o
}

// notAtLoad throws when the script's top-level code changes shared state:
// loading a script runs its top-level code in runtimes that are no users
// (and a cluster's master runs it too), which would take items no user
// gets.
func (vu *VU) notAtLoad(kind, name, method string) {
	if vu.loading {
		panic(vu.rt.NewTypeError("%s %q: %s() runs in tasks and hooks (onStart...), not in the script's top-level code, which also runs when the script is loaded, in runtimes that are not users", kind, name, method))
	}
}

// queueSource remembers the items a queue was made from when they are
// shared data (csv(), json()): later users giving the same data skip
// encoding it again.
type queueSource struct {
	t    table
	spec shared.QueueSpec
}

var onEmptyModes = []string{"wait", "recycle", "stop"}

// queue implements queue(name, items, { onEmpty }).
func (vu *VU) queue(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	name := vu.sharedName("queue", c.Argument(0))
	mode := ""
	if o, ok := c.Argument(2).(*goja.Object); ok {
		for _, k := range o.Keys() {
			if k != "onEmpty" {
				panic(rt.NewTypeError("queue(%q): unknown option %q (the option is onEmpty)", name, k))
			}
		}
		if v := o.Get("onEmpty"); v != nil && !goja.IsUndefined(v) {
			mode = v.String()
		}
	}
	switch mode {
	case "wait", "recycle", "stop":
	case "":
		panic(rt.NewTypeError("queue(%q, items, { onEmpty }): say what take() does when the queue is dry: onEmpty \"wait\" (until an item is put back), \"recycle\" (start again from the first item) or \"stop\" (stop the user)", name))
	default:
		msg := fmt.Sprintf("queue(%q): onEmpty is \"wait\", \"recycle\" or \"stop\", got %q", name, mode)
		if s := suggest(mode, onEmptyModes); s != "" {
			msg += fmt.Sprintf(": did you mean %q?", s)
		}
		panic(rt.NewTypeError("%s", msg))
	}
	spec := vu.queueSpec(name, c.Argument(1))
	spec.Recycle = mode == "recycle"
	st := vu.store()
	if err := st.Define(vu.ctx, spec); err != nil {
		panic(rt.NewTypeError("%v", err))
	}
	take := func(wait bool) ([]byte, error) {
		vu.notAtLoad("queue", name, "take")
		it, err := st.Take(vu.ctx, name, wait)
		if err != nil && !errors.Is(err, shared.ErrEmpty) {
			if vu.ctx.Err() != nil {
				vu.rt.Interrupt(errStopped)
				return nil, err
			}
			panic(rt.NewTypeError("queue %q: %v", name, err))
		}
		return it, err
	}
	o := rt.NewObject()
	_ = o.Set("name", name)
	_ = o.Set("onEmpty", mode)
	_ = o.Set("take", func(goja.FunctionCall) goja.Value {
		it, err := take(mode == "wait")
		if errors.Is(err, shared.ErrEmpty) {
			// stop: the user stops as stopUser() stops it, said once
			// per queue and process.
			vu.s.d.mu.Lock()
			first := !vu.s.d.dry[name]
			if first {
				if vu.s.d.dry == nil {
					vu.s.d.dry = map[string]bool{}
				}
				vu.s.d.dry[name] = true
			}
			vu.s.d.mu.Unlock()
			if first {
				fmt.Fprintf(vu.env.out(), "[VU %d] queue %q is empty: this user stops, as every user that takes from it from now on (onEmpty: \"stop\")\n", vu.id, name)
			}
			vu.raise(&signal{kind: sigStopUser})
			return goja.Undefined()
		}
		if err != nil {
			return goja.Undefined()
		}
		return vu.parseShared(string(it))
	})
	_ = o.Set("tryTake", func(goja.FunctionCall) goja.Value {
		it, err := take(false)
		if err != nil {
			return goja.Undefined()
		}
		return vu.parseShared(string(it))
	})
	_ = o.Set("put", func(c goja.FunctionCall) goja.Value {
		vu.notAtLoad("queue", name, "put")
		b := vu.itemJSON(name, c.Argument(0))
		if err := st.Put(vu.ctx, name, b); err != nil {
			panic(rt.NewTypeError("queue %q: %v", name, err))
		}
		return goja.Undefined()
	})
	_ = o.Set("size", func(goja.FunctionCall) goja.Value {
		n, err := st.Len(vu.ctx, name)
		if err != nil {
			panic(rt.NewTypeError("queue %q: %v", name, err))
		}
		return rt.ToValue(n)
	})
	return o
}

// queueSpec encodes the items (any array-like value) as JSON, with a
// digest of them all.
func (vu *VU) queueSpec(name string, v goja.Value) shared.QueueSpec {
	rt := vu.rt
	if goja.IsUndefined(v) || goja.IsNull(v) {
		return shared.QueueSpec{Name: name, Items: [][]byte{}, Digest: digestOf(nil)}
	}
	obj, ok := v.(*goja.Object)
	if !ok {
		panic(rt.NewTypeError("queue(%q, items): items must be an array (or csv()/json() data), got %s", name, v.String()))
	}
	var src table
	if da, ok := obj.Export().(*dataArray); ok {
		src = da.t
	}
	if src != nil {
		vu.s.d.mu.Lock()
		qs, ok := vu.s.d.queues[name]
		vu.s.d.mu.Unlock()
		if ok && qs.t == src {
			return qs.spec
		}
	}
	lv := obj.Get("length")
	if lv == nil || goja.IsUndefined(lv) {
		panic(rt.NewTypeError("queue(%q, items): items must be an array (or csv()/json() data)", name))
	}
	n := int(lv.ToInteger())
	items := make([][]byte, n)
	for i := 0; i < n; i++ {
		items[i] = vu.itemJSON(name, obj.Get(fmt.Sprint(i)))
	}
	spec := shared.QueueSpec{Name: name, Items: items, Len: n, Digest: digestOf(items)}
	if src != nil {
		vu.s.d.mu.Lock()
		if vu.s.d.queues == nil {
			vu.s.d.queues = map[string]queueSource{}
		}
		vu.s.d.queues[name] = queueSource{t: src, spec: spec}
		vu.s.d.mu.Unlock()
	}
	return spec
}

func (vu *VU) itemJSON(name string, v goja.Value) []byte {
	if v == nil || goja.IsUndefined(v) {
		panic(vu.rt.NewTypeError("queue %q: an item is undefined: items are JSON values (objects, arrays, strings, numbers, booleans, null)", name))
	}
	s, err := vu.jsonStr(goja.Undefined(), v)
	if err != nil {
		panic(err)
	}
	if goja.IsUndefined(s) {
		panic(vu.rt.NewTypeError("queue %q: an item (%s) has no JSON form: items are JSON values", name, v.String()))
	}
	return []byte(s.String())
}

func digestOf(items [][]byte) string {
	h := sha256.New()
	for _, it := range items {
		fmt.Fprintf(h, "%d:", len(it))
		h.Write(it)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// dataNative are the native entries of data.go and shared.go.
var dataNative = []lazyEntry{
	{name: "open", make: fn((*VU).openData)},
	{name: "csv", make: fn((*VU).csv)},
	{name: "json", make: fn((*VU).json)},
	{name: "sharedArray", make: fn((*VU).sharedArray)},
	{name: "counter", make: fn((*VU).counter)},
	{name: "queue", make: fn((*VU).queue)},
}
