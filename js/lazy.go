package js

import (
	"sort"

	"github.com/dop251/goja"
)

// A VU's runtime is small only if it builds little: every function object
// costs a few hundred bytes in each of thousands of runtimes. The module's
// objects (http, events, console) are therefore lazy: a property is made on
// first access, from a table shared by all VUs.

// lazyEntry makes one property of a lazy object.
type lazyEntry struct {
	name string
	make func(vu *VU) goja.Value
	// kept: make returns a value kept elsewhere (a prelude part, or another
	// lazy object's entry), so that it is called on every read instead of
	// taking a slot of the object's own.
	kept bool
}

// lazyObject is a JS object whose listed properties are made on first use;
// scripts may add, replace and delete properties as on a plain object.
type lazyObject struct {
	vu    *VU
	table []lazyEntry
	vals  []goja.Value
	extra map[string]goja.Value // set by the script; nil for a deleted entry
}

func (vu *VU) newLazy(table []lazyEntry) *goja.Object {
	return vu.rt.NewDynamicObject(&lazyObject{vu: vu, table: table})
}

func (o *lazyObject) Get(key string) goja.Value {
	if v, ok := o.extra[key]; ok {
		return v
	}
	for i := range o.table {
		if o.table[i].name == key {
			if o.table[i].kept {
				return o.table[i].make(o.vu)
			}
			if o.vals == nil {
				// Slots up to the last entry not kept elsewhere.
				n := 0
				for j := range o.table {
					if !o.table[j].kept {
						n = j + 1
					}
				}
				o.vals = make([]goja.Value, n)
			}
			if o.vals[i] == nil {
				o.vals[i] = o.table[i].make(o.vu)
			}
			return o.vals[i]
		}
	}
	return nil
}

func (o *lazyObject) Set(key string, val goja.Value) bool {
	if o.extra == nil {
		o.extra = map[string]goja.Value{}
	}
	o.extra[key] = val
	return true
}

func (o *lazyObject) Has(key string) bool { return o.Get(key) != nil }

func (o *lazyObject) Delete(key string) bool {
	if o.inTable(key) {
		o.Set(key, nil) // hides the entry
		return true
	}
	delete(o.extra, key)
	return true
}

func (o *lazyObject) Keys() []string {
	keys := make([]string, 0, len(o.table)+len(o.extra))
	for _, e := range o.table {
		if v, set := o.extra[e.name]; !set || v != nil {
			keys = append(keys, e.name)
		}
	}
	for k, v := range o.extra {
		if v != nil && !o.inTable(k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func (o *lazyObject) inTable(key string) bool {
	for _, e := range o.table {
		if e.name == key {
			return true
		}
	}
	return false
}

// fn wraps a Go function of a VU as a lazy entry's maker.
func fn(f func(vu *VU, c goja.FunctionCall) goja.Value) func(vu *VU) goja.Value {
	return func(vu *VU) goja.Value {
		return vu.rt.ToValue(func(c goja.FunctionCall) goja.Value { return f(vu, c) })
	}
}

// jsonParse and jsonStringify call the runtime's JSON functions, looked up
// on first use (the JSON object costs memory once touched).
func (vu *VU) jsonParse(this goja.Value, args ...goja.Value) (goja.Value, error) {
	if vu.jsonParseFn == nil {
		vu.jsonParseFn, _ = goja.AssertFunction(vu.rt.Get("JSON").(*goja.Object).Get("parse"))
	}
	return vu.jsonParseFn(this, args...)
}

func (vu *VU) jsonStr(this goja.Value, args ...goja.Value) (goja.Value, error) {
	if vu.jsonStrFn == nil {
		vu.jsonStrFn, _ = goja.AssertFunction(vu.rt.Get("JSON").(*goja.Object).Get("stringify"))
	}
	return vu.jsonStrFn(this, args...)
}

// envObject is __ENV: the environment, read from a map all VUs share;
// a script may set entries of its own.
type envObject struct {
	rt    *goja.Runtime
	vars  map[string]string
	extra map[string]goja.Value
}

func (o *envObject) Get(key string) goja.Value {
	if v, ok := o.extra[key]; ok {
		return v
	}
	if v, ok := o.vars[key]; ok {
		return o.rt.ToValue(v)
	}
	return nil
}

func (o *envObject) Set(key string, val goja.Value) bool {
	if o.extra == nil {
		o.extra = map[string]goja.Value{}
	}
	o.extra[key] = val
	return true
}

func (o *envObject) Has(key string) bool { return o.Get(key) != nil }

func (o *envObject) Delete(key string) bool {
	if o.extra == nil {
		o.extra = map[string]goja.Value{}
	}
	o.extra[key] = goja.Undefined()
	return true
}

func (o *envObject) Keys() []string {
	keys := make([]string, 0, len(o.vars)+len(o.extra))
	for k := range o.vars {
		if _, ok := o.extra[k]; !ok {
			keys = append(keys, k)
		}
	}
	for k, v := range o.extra {
		if !goja.IsUndefined(v) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
