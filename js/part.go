package js

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"

	"github.com/dop251/goja"
)

// The "jsload" module is built in each VU's runtime from what the script
// reads of it: the module object and the prelude's `native` object are lazy
// objects (lazy.go) whose entries are the Go functions and the parts of
// prelude.js, each run the first time it is read.

//go:embed prelude.js
var preludeSrc string

// Marker keys, the same strings as TASK, WAIT and FIELDS in prelude.js.
const (
	taskKey   = "__jsloadTask"   // marks a task descriptor, or a method's task data
	waitKey   = "__jsloadWait"   // marks a wait-time function made by between() and co.
	fieldsKey = "__jsloadFields" // field tasks recorded by decorators
)

var partLine = regexp.MustCompile(`(?m)^// @part ([A-Za-z]+)\n`)

// preludeParts are the names of the parts of prelude.js, in file order,
// and preludeProg evaluates to the function that makes them: called with
// (native, i), it runs part i and returns its value. One function for all
// parts: with a compiled function per part, each part kept about 0.6 KB
// more in the runtime (measured; the function made for it seems to stay
// reachable from what it returned).
var preludeParts, preludeProg = splitPrelude(preludeSrc)

func splitPrelude(src string) ([]string, *goja.Program) {
	var b strings.Builder
	fmt.Fprintf(&b, "(function (native, part) {\n\"use strict\";\nconst TASK = %q, WAIT = %q, FIELDS = %q;\nswitch (part) {\n", taskKey, waitKey, fieldsKey)
	ms := partLine.FindAllStringSubmatchIndex(src, -1)
	names := make([]string, len(ms))
	for i, m := range ms {
		end := len(src)
		if i+1 < len(ms) {
			end = ms[i+1][0]
		}
		names[i] = src[m[2]:m[3]]
		fmt.Fprintf(&b, "case %d: { // %s\n%s\n}\n", i, names[i], strings.TrimSpace(src[m[1]:end]))
	}
	b.WriteString("}\n})")
	return names, goja.MustCompile("jsload:prelude", b.String(), true)
}

// partIndex returns the index of the named part; a missing one is a bug.
func partIndex(name string) int {
	for i, p := range preludeParts {
		if p == name {
			return i
		}
	}
	panic("prelude.js has no part " + name)
}

var (
	partDescribe  = partIndex("describe")
	partConstruct = partIndex("construct")
)

// part returns the value of part i in vu's runtime, running it on first use.
func (vu *VU) part(i int) (goja.Value, error) {
	if vu.parts == nil {
		vu.parts = make([]goja.Value, len(preludeParts))
	}
	if v := vu.parts[i]; v != nil {
		return v, nil
	}
	if vu.makePart == nil {
		f, err := vu.rt.RunProgram(preludeProg)
		if err != nil {
			return nil, err
		}
		vu.makePart, _ = goja.AssertFunction(f)
	}
	v, err := vu.makePart(goja.Undefined(), vu.native, vu.rt.ToValue(i))
	if err != nil {
		return nil, err
	}
	vu.parts[i] = v
	return v, nil
}

// partFn returns part i as a function, for Go to call.
func (vu *VU) partFn(i int) (goja.Callable, error) {
	v, err := vu.part(i)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(v)
	if !ok {
		return nil, fmt.Errorf("prelude part %s is not a function", preludeParts[i])
	}
	return fn, nil
}

// partEntry makes a lazy entry of the named part. It is read from JS, so a
// failure (an interrupt) is thrown there.
func partEntry(name string) lazyEntry {
	i := partIndex(name)
	return lazyEntry{name: name, kept: true, make: func(vu *VU) goja.Value {
		v, err := vu.part(i)
		if err != nil {
			panic(err)
		}
		return v
	}}
}

// nativeTable is the prelude's `native` object: the Go half of the module
// (first: they take the object's slots), and every part of prelude.js by
// name.
var nativeTable = func() []lazyEntry {
	t := []lazyEntry{
		{name: "http", make: func(vu *VU) goja.Value { return vu.newHTTP() }},
		{name: "events", make: func(vu *VU) goja.Value { return vu.newEvents() }},
		{name: "sleep", make: fn((*VU).sleep)},
		{name: "check", make: fn((*VU).check)},
		{name: "control", make: fn((*VU).control)},
		{name: "interrupt", make: fn((*VU).interruptSet)},
		{name: "task", make: fn((*VU).task)},
		{name: "between", make: fn((*VU).between)},
		{name: "constant", make: fn((*VU).constant)},
		{name: "constantPacing", make: fn((*VU).constantPacing)},
		{name: "constantThroughput", make: fn((*VU).constantThroughput)},
		{name: "run", make: func(vu *VU) goja.Value { return vu.newRunObject() }},
		{name: "waitForSpawningComplete", make: fn((*VU).waitForSpawningComplete)},
		{name: "host", kept: true, make: func(vu *VU) goja.Value { return vu.rt.ToValue(vu.host) }},
	}
	t = append(t, dataNative...)
	for _, p := range preludeParts {
		if p != "task" { // the Go task is the module's (task.go)
			t = append(t, partEntry(p))
		}
	}
	return t
}()

// moduleTable is the "jsload" module as scripts see it, in the order its
// keys are listed.
var moduleTable = func() []lazyEntry {
	var t []lazyEntry
	from := func(name, key string) {
		t = append(t, lazyEntry{name: name, kept: true, make: func(vu *VU) goja.Value { return vu.nativeObj.Get(key) }})
	}
	for _, name := range []string{
		"task", "tag", "transition", "transitions", "initial",
		"between", "constant", "constantPacing", "constantThroughput",
		"User", "HttpUser", "FastHttpUser", "TaskSet", "SequentialTaskSet", "MarkovTaskSet",
		"taskSet", "sequence", "rescheduleTask", "stopUser",
		"http", "events", "sleep", "check", "run", "waitForSpawningComplete",
		"open", "csv", "json", "sharedArray", "counter", "queue", // data.go, shared.go
	} {
		key := name
		if name == "FastHttpUser" {
			key = "HttpUser"
		}
		from(name, key)
	}
	t = append(t, lazyEntry{name: "params", make: func(vu *VU) goja.Value { return vu.newParams() }})
	return t
}()
