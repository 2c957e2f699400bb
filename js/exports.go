package js

import "github.com/dop251/goja"

// The Go side of lighten's rewrites of the bundle's export helpers.

// exportNames is require("jsload:export"), the VU's __export: it defines
// each property of all (a getter function) on target as an enumerable,
// non-configurable getter, as esbuild's helper does.
func (vu *VU) exportNames(c goja.FunctionCall) goja.Value {
	target, ok := c.Argument(0).(*goja.Object)
	all, ok2 := c.Argument(1).(*goja.Object)
	if !ok || !ok2 {
		panic(vu.rt.NewTypeError("__export: expected two objects"))
	}
	for _, k := range all.Keys() {
		if err := target.DefineAccessorProperty(k, all.Get(k), nil, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
			panic(err)
		}
	}
	return goja.Undefined()
}

// exportsObject is the entry module's exports when exportSwitch rewrote
// them: each read of an export calls get with the export's index, so that
// it sees the variable's current value. Exports cannot be assigned or
// deleted (they were getters without setters); other properties can be
// added, as on the object it replaces.
type exportsObject struct {
	rt    *goja.Runtime
	get   goja.Callable
	names []string       // the Script's
	index map[string]int // the Script's
	extra map[string]goja.Value
}

func (vu *VU) newExports(c goja.FunctionCall) goja.Value {
	get, ok := goja.AssertFunction(c.Argument(0))
	if !ok {
		panic(vu.rt.NewTypeError("jsload:exports: expected a function"))
	}
	return vu.rt.NewDynamicObject(&exportsObject{rt: vu.rt, get: get, names: vu.s.exportNames, index: vu.s.exportIndex})
}

func (o *exportsObject) Get(key string) goja.Value {
	if i, ok := o.index[key]; ok {
		v, err := o.get(goja.Undefined(), o.rt.ToValue(i))
		if err != nil {
			panic(err) // as a throwing getter would
		}
		return v
	}
	return o.extra[key]
}

func (o *exportsObject) Set(key string, val goja.Value) bool {
	if _, ok := o.index[key]; ok {
		return false
	}
	if o.extra == nil {
		o.extra = map[string]goja.Value{}
	}
	o.extra[key] = val
	return true
}

func (o *exportsObject) Has(key string) bool {
	if _, ok := o.index[key]; ok {
		return true
	}
	_, ok := o.extra[key]
	return ok
}

func (o *exportsObject) Delete(key string) bool {
	if _, ok := o.index[key]; ok {
		return false
	}
	delete(o.extra, key)
	return true
}

func (o *exportsObject) Keys() []string {
	keys := append(make([]string, 0, len(o.names)+len(o.extra)), o.names...)
	for k := range o.extra {
		keys = append(keys, k)
	}
	return keys
}
