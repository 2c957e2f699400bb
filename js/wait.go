package js

import (
	"math"
	"math/rand/v2"

	"github.com/dop251/goja"
)

// The wait-time helpers of the module: between(min, max), constant(s),
// constantPacing(s), constantThroughput(n). Each returns a function (for
// scripts that call it) that carries its kind under waitKey, from which Go
// computes the waits itself (VU.waitOf). They are Go functions rather than
// prelude parts: a part costs a closure and a scope in every runtime.

// secondsArg returns argument i as a number of seconds >= 0, or throws
// "what: expected a number of seconds >= 0, got v".
func (vu *VU) secondsArg(c goja.FunctionCall, i int, what string) (goja.Value, float64) {
	v := c.Argument(i)
	f := v.ToFloat()
	if !goja.IsNumber(v) || !(f >= 0) || math.IsInf(f, 1) {
		panic(vu.rt.NewTypeError(what + ": expected a number of seconds >= 0, got " + v.String()))
	}
	return v, f
}

// waitFunc makes the function a helper returns: it answers ret, and
// carries { kind, a, b }.
func (vu *VU) waitFunc(kind string, a, b goja.Value, ret func() float64) goja.Value {
	rt := vu.rt
	f := rt.ToValue(func(goja.FunctionCall) goja.Value { return rt.ToValue(ret()) }).(*goja.Object)
	d := rt.NewObject()
	must(d.Set("kind", kind))
	must(d.Set("a", a))
	must(d.Set("b", b))
	must(f.Set(waitKey, d))
	return f
}

func (vu *VU) between(c goja.FunctionCall) goja.Value {
	minV, lo := vu.secondsArg(c, 0, "between(min, max)")
	maxV, hi := vu.secondsArg(c, 1, "between(min, max)")
	if hi < lo {
		rangeError, _ := goja.AssertConstructor(vu.rt.Get("RangeError"))
		e, err := rangeError(nil, vu.rt.ToValue("between(min, max): max "+maxV.String()+" is less than min "+minV.String()))
		if err != nil {
			panic(err)
		}
		panic(e)
	}
	return vu.waitFunc("between", minV, maxV, func() float64 { return lo + rand.Float64()*(hi-lo) })
}

func (vu *VU) constant(c goja.FunctionCall) goja.Value {
	v, s := vu.secondsArg(c, 0, "constant(seconds)")
	return vu.waitFunc("constant", v, vu.rt.ToValue(0), func() float64 { return s })
}

func (vu *VU) constantPacing(c goja.FunctionCall) goja.Value {
	v, s := vu.secondsArg(c, 0, "constantPacing(seconds)")
	return vu.waitFunc("pacing", v, vu.rt.ToValue(0), func() float64 { return s })
}

func (vu *VU) constantThroughput(c goja.FunctionCall) goja.Value {
	v := c.Argument(0)
	n := v.ToFloat()
	if !goja.IsNumber(v) || !(n > 0) || math.IsInf(n, 1) {
		panic(vu.rt.NewTypeError("constantThroughput(tasksPerSecond): expected a number > 0, got " + v.String()))
	}
	return vu.waitFunc("pacing", vu.rt.ToValue(1/n), vu.rt.ToValue(0), func() float64 { return 1 / n })
}
