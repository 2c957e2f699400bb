package js

import (
	"math"

	"github.com/dop251/goja"
)

var partTask = partIndex("task")

// task is the module's task(): it makes the descriptor of the plain forms,
// task(fn) and task(weight, fn), as the prelude's task part does, without
// building that part in the runtime; every other call (decorators, tags,
// mistakes) goes to the part.
func (vu *VU) task(c goja.FunctionCall) goja.Value {
	a, b := c.Argument(0), c.Argument(1)
	switch {
	case isFunc(a) && goja.IsUndefined(b):
		return vu.taskDescriptor(a, vu.rt.ToValue(1))
	case goja.IsNumber(a) && wholeNumber(a.ToFloat()) && isFunc(b) && goja.IsUndefined(c.Argument(2)):
		return vu.taskDescriptor(b, a)
	}
	part, err := vu.partFn(partTask)
	if err != nil {
		panic(err)
	}
	v, err := part(goja.Undefined(), c.Arguments...)
	if err != nil {
		panic(err)
	}
	return v
}

// wholeNumber is the prelude's weight check: a whole number >= 0.
func wholeNumber(f float64) bool { return f >= 0 && math.Mod(f, 1) == 0 }

// taskDescriptor is Object.freeze({ [TASK]: true, fn, weight, tags }) with
// the VU's one frozen empty tags array.
func (vu *VU) taskDescriptor(fn, weight goja.Value) goja.Value {
	rt := vu.rt
	if vu.noTags == nil {
		vu.noTags = vu.freeze(rt.NewArray())
	}
	d := rt.NewObject()
	must(d.Set(taskKey, true))
	must(d.Set("fn", fn))
	must(d.Set("weight", weight))
	must(d.Set("tags", vu.noTags))
	return vu.freeze(d)
}

// freeze calls the runtime's Object.freeze.
func (vu *VU) freeze(o *goja.Object) goja.Value {
	f, _ := goja.AssertFunction(vu.rt.Get("Object").(*goja.Object).Get("freeze"))
	v, err := f(goja.Undefined(), o)
	if err != nil {
		panic(err)
	}
	return v
}
