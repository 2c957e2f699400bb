package js

import (
	"fmt"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/stats"
)

// eventsTable lists the events object: fire (and its Locust spellings) for
// custom clients to report their own calls, and measure to time a function.
var eventsTable = []lazyEntry{
	{name: "fire", make: fn(func(vu *VU, c goja.FunctionCall) goja.Value { vu.fire(c.Argument(0), 0); return goja.Undefined() })},
	eventEntry("request", evRequest),
	eventEntry("testStart", evTestStart), eventEntry("test_start", evTestStart),
	eventEntry("testStop", evTestStop), eventEntry("test_stop", evTestStop),
	eventEntry("spawningComplete", evSpawningComplete), eventEntry("spawning_complete", evSpawningComplete),
	eventEntry("quitting", evQuitting),
	// Locust 1.x's request_success / request_failure events.
	{name: "requestSuccess", make: withFire(1)},
	{name: "request_success", make: withFire(1)},
	{name: "requestFailure", make: withFire(2)},
	{name: "request_failure", make: withFire(2)},
	{name: "measure", make: fn(func(vu *VU, c goja.FunctionCall) goja.Value { return vu.measure(c) })},
}

// withFire makes an object whose fire method records with the given force
// (see VU.fire).
func withFire(force int) func(vu *VU) goja.Value {
	return func(vu *VU) goja.Value {
		x := vu.rt.NewObject()
		must(x.Set("fire", func(c goja.FunctionCall) goja.Value {
			vu.fire(c.Argument(0), force)
			return goja.Undefined()
		}))
		return x
	}
}

func (vu *VU) newEvents() *goja.Object { return vu.newLazy(eventsTable) }

func pick(o *goja.Object, keys ...string) goja.Value {
	for _, k := range keys {
		if v := o.Get(k); v != nil && !goja.IsUndefined(v) {
			return v
		}
	}
	return nil
}

// fire records one custom sample. force is 0 to read success from the
// exception field, 1 to force success, 2 to force failure.
func (vu *VU) fire(arg goja.Value, force int) {
	rt := vu.rt
	o, ok := arg.(*goja.Object)
	if !ok {
		panic(rt.NewTypeError("events.fire({ type, name, responseTime, responseLength, exception }): expected an object"))
	}
	typ := pick(o, "type", "requestType", "request_type")
	name := pick(o, "name")
	if typ == nil || goja.IsNull(typ) || typ.String() == "" {
		panic(rt.NewTypeError("events.fire: type (or request_type) is required"))
	}
	if name == nil || goja.IsNull(name) || name.String() == "" {
		panic(rt.NewTypeError("events.fire: name is required"))
	}
	rtV := pick(o, "responseTime", "response_time")
	if rtV == nil || !goja.IsNumber(rtV) && !isNumberLike(rtV) {
		panic(rt.NewTypeError("events.fire: responseTime (or response_time) must be a number of milliseconds"))
	}
	ms := rtV.ToFloat()
	if !(ms >= 0) || ms > maxResponseMS {
		panic(rt.NewTypeError("events.fire: responseTime must be a number of milliseconds from 0 to %g, got %v", float64(maxResponseMS), rtV))
	}
	var size int64
	if l := pick(o, "responseLength", "response_length"); l != nil && !goja.IsNull(l) {
		if f := l.ToFloat(); !(f >= 0) || f > 1<<53 {
			panic(rt.NewTypeError("events.fire: responseLength must be a number of bytes >= 0, got %v", l))
		}
		size = l.ToInteger()
	}
	errText := ""
	if force != 1 {
		if ex := pick(o, "exception"); ex != nil && !goja.IsNull(ex) {
			errText = vu.errorText(ex)
		}
		if force == 2 && errText == "" {
			errText = "failure"
		}
	}
	d := time.Duration(ms * float64(time.Millisecond))
	vu.rec.Record(stats.Sample{
		Type: typ.String(), Name: name.String(), Duration: d,
		Size: size, Err: errText, Scheduled: vu.sched(d),
	})
	if vu.env.Verbose != nil {
		vu.traceEvent(typ.String(), name.String(), ms, size, errText)
	}
	if vu.lis != nil && len(vu.lis.fns[evRequest]) > 0 {
		vu.emitRequest(&requestEvent{typ: typ.String(), name: name.String(), duration: d, size: size, errText: errText})
	}
	if errText != "" {
		vu.abortOnFailure()
	}
}

// traceEvent prints one custom sample for the verbose run.
func (vu *VU) traceEvent(typ, name string, ms float64, size int64, errText string) {
	outcome := "ok"
	if errText != "" {
		outcome = "FAILED: " + errText
	}
	fmt.Fprintf(vu.env.Verbose, "[VU %d] %s %s -> %s (%.1f ms, %d B)\n", vu.id, typ, name, outcome, ms, size)
}

// maxResponseMS bounds a reported response time: about 11.6 days.
const maxResponseMS = 1e9

func isNumberLike(v goja.Value) bool {
	switch v.Export().(type) {
	case int64, float64, int, int32:
		return true
	}
	return false
}

// errorText is a reported exception's text (see valueText); "failure"
// when that is empty.
func (vu *VU) errorText(v goja.Value) string {
	if s := vu.valueText(v); s != "" {
		return s
	}
	return "failure"
}

// measure implements events.measure(type, name, fn): it times fn, records
// a success, or a failure with the exception's message if fn throws (the
// exception is then swallowed and measure returns undefined). A stop of the
// test is passed through.
func (vu *VU) measure(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	typ, name := c.Argument(0), c.Argument(1)
	fn, ok := goja.AssertFunction(c.Argument(2))
	if !ok || goja.IsUndefined(typ) || goja.IsUndefined(name) {
		panic(rt.NewTypeError("events.measure(type, name, fn): type, name and a function are required"))
	}
	t0 := time.Now()
	v, err := fn(goja.Undefined())
	d := time.Since(t0)
	s := stats.Sample{Type: typ.String(), Name: name.String(), Duration: d, Scheduled: vu.sched(d)}
	if err != nil {
		if isInterrupt(err) {
			panic(err)
		}
		if ex, ok := err.(*goja.Exception); ok {
			s.Err = vu.errorText(ex.Value())
		} else {
			s.Err = err.Error()
		}
		vu.rec.Record(s)
		if vu.env.Verbose != nil {
			vu.traceEvent(s.Type, s.Name, float64(d)/float64(time.Millisecond), 0, s.Err)
		}
		if vu.lis != nil && len(vu.lis.fns[evRequest]) > 0 {
			vu.emitRequest(&requestEvent{typ: s.Type, name: s.Name, duration: d, errText: s.Err, start: t0})
		}
		vu.abortOnFailure()
		return goja.Undefined()
	}
	vu.rec.Record(s)
	if vu.env.Verbose != nil {
		vu.traceEvent(s.Type, s.Name, float64(d)/float64(time.Millisecond), 0, "")
	}
	if vu.lis != nil && len(vu.lis.fns[evRequest]) > 0 {
		vu.emitRequest(&requestEvent{typ: s.Type, name: s.Name, duration: d, start: t0})
	}
	return v
}

// check implements check(value, { name: fn | boolean, ... }): each
// function gets value; a truthy result passes. Every outcome is counted per
// check name; check returns whether all passed. A check function that
// throws counts as failed, and the exception goes on to the task.
func (vu *VU) check(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	value := c.Argument(0)
	set, ok := c.Argument(1).(*goja.Object)
	if !ok {
		panic(rt.NewTypeError("check(value, { name: value => boolean, ... }): the checks must be an object"))
	}
	all := true
	for _, name := range set.Keys() {
		v := set.Get(name)
		pass := false
		if fn, isFn := goja.AssertFunction(v); isFn {
			r, err := fn(goja.Undefined(), value)
			if err != nil {
				vu.rec.RecordCheck(name, false)
				panic(err)
			}
			pass = r.ToBoolean()
		} else {
			pass = v.ToBoolean()
		}
		vu.rec.RecordCheck(name, pass)
		if vu.env.Verbose != nil && !pass {
			fmt.Fprintf(vu.env.Verbose, "[VU %d] check %q failed\n", vu.id, name)
		}
		all = all && pass
	}
	return rt.ToValue(all)
}
