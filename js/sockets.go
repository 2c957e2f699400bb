package js

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
)

// sockets are a VU's WebSocket and TCP connections and the objects of the
// "jsload/ws" and "jsload/tcp" modules, made on first use. A connection
// lives until the script closes it or the user stops (VU.Close).
type sockets struct {
	wsMod, tcpMod goja.Value
	wsFns, tcpFns map[string]goja.Value // the connections' methods, shared by the VU's connections
	ws            []*wsConn
	tcp           []*tcpConn
}

// maxSockets bounds the open connections of one user of each kind: a
// script that opens one per task and never closes it is told so.
const maxSockets = 10000

func (vu *VU) sock() *sockets {
	if vu.sockets == nil {
		vu.sockets = &sockets{}
	}
	return vu.sockets
}

// close closes every open connection without recording (the user stops).
func (s *sockets) close() {
	if s == nil {
		return
	}
	for _, c := range s.ws {
		c.c.CloseNow()
	}
	for _, c := range s.tcp {
		c.c.Close()
	}
	s.ws, s.tcp = nil, nil
}

// flush records the TCP exchanges still open at the end of a task.
func (s *sockets) flush() {
	if s == nil {
		return
	}
	for _, c := range s.tcp {
		if c.xOpen && c.xRead {
			c.vu.sample(typeTCP, c.xName, c.xEnd.Sub(c.xStart), c.xSize, "", c.detail())
		}
		c.reset()
	}
}

// record records one sample of a protocol module, prints its trace line in
// a verbose run (detail is a short view of the payload, may be ""), and
// ends the task on a failure under abortOnFailure.
func (vu *VU) record(typ, name string, d time.Duration, size int64, errText, detail string) {
	vu.sample(typ, name, d, size, errText, detail)
	if errText != "" {
		vu.abortOnFailure()
	}
}

// sample records and traces one sample, as record does, but never ends
// the task: for samples recorded after the task's JS has returned.
func (vu *VU) sample(typ, name string, d time.Duration, size int64, errText, detail string) {
	vu.rec.Record(stats.Sample{Type: typ, Name: name, Duration: d, Size: size, Err: errText, Scheduled: vu.sched(d)})
	if vu.env.Verbose != nil {
		outcome := "ok"
		if errText != "" {
			outcome = "FAILED: " + errText
		}
		if detail != "" {
			detail = " " + detail
		}
		fmt.Fprintf(vu.env.Verbose, "[VU %d] %s %s -> %s (%.1f ms, %d B)%s\n", vu.id, typ, name, outcome,
			float64(d)/float64(time.Millisecond), size, detail)
	}
}

// snippet is a short quoted view of a payload for trace lines.
func snippet(b []byte, binary bool) string {
	if binary {
		return fmt.Sprintf("<%d bytes binary>", len(b))
	}
	const max = 80
	s := string(b)
	if len(s) > max {
		return fmt.Sprintf("%q... (%d more bytes)", s[:max], len(s)-max)
	}
	return fmt.Sprintf("%q", s)
}

// stopped handles a blocking call cut short by the end of the test: the
// call in flight is counted apart (when it would have been a sample) and
// the task runs no further.
func (vu *VU) stopped(sample bool) goja.Value {
	if sample {
		vu.rec.RecordCutOff(1)
	}
	vu.rt.Interrupt(errStopped)
	return goja.Undefined()
}

// payload reads data to send: a string (as UTF-8), an ArrayBuffer or a
// Uint8Array; binary says whether it was not a string.
func payload(v goja.Value) (b []byte, binary bool, ok bool) {
	if goja.IsString(v) {
		return []byte(v.String()), false, true
	}
	switch x := v.Export().(type) {
	case goja.ArrayBuffer:
		return x.Bytes(), true, true
	case []byte:
		return x, true, true
	}
	return nil, false, false
}

// tlsOption reads a module's tls option onto the run's TLS options, in the
// HTTP client's shape ({ cert, key, ca, serverName, minVersion,
// insecureSkipVerify }); errors read "tls.cert ...".
func (vu *VU) tlsOption(v goja.Value) (httpc.TLSOptions, error) {
	o := vu.env.HTTP // a copy: the TLS options of the run, replaced field by field
	c := &jsClient{vu: vu, opts: &o}
	if err := c.configureTLS(v); err != nil {
		if m := err.Error(); strings.HasPrefix(m, ".") {
			return o.TLS, fmt.Errorf("tls%s", m)
		}
		return o.TLS, fmt.Errorf("tls %v", err)
	}
	return o.TLS, nil
}

// timeoutArg reads an optional timeout argument: a number of seconds, a
// duration string, or an object with a timeout key; def when absent.
func timeoutArg(v goja.Value, def time.Duration) (time.Duration, error) {
	if o, ok := v.(*goja.Object); ok && !goja.IsString(v) {
		v = o.Get("timeout")
	}
	if isNullish(v) {
		return def, nil
	}
	return durationParam(v)
}

// nameArg reads the name key of an optional options object.
func nameArg(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		if n := o.Get("name"); !isNullish(n) {
			return n.String()
		}
	}
	return ""
}

// connKeys are a connection type's own keys: read-only properties and
// methods, which the script cannot set.
type connKeys struct{ props, members []string }

// connObject is what the WebSocket and TCP connection objects share as
// goja.DynamicObjects: keys the script adds itself (Set, Delete, Keys), and
// the type's methods, made once per user on first use. The type implements
// Get (its properties, then extra, then method) and Has.
type connObject struct {
	keys  *connKeys
	extra map[string]goja.Value
}

// Set implements goja.DynamicObject: the script may add keys of its own,
// but not replace the connection's.
func (o *connObject) Set(key string, val goja.Value) bool {
	if slices.Contains(o.keys.props, key) || slices.Contains(o.keys.members, key) {
		return false
	}
	if o.extra == nil {
		o.extra = map[string]goja.Value{}
	}
	o.extra[key] = val
	return true
}

func (o *connObject) Delete(key string) bool { delete(o.extra, key); return true }

func (o *connObject) Keys() []string {
	keys := append(make([]string, 0, len(o.keys.props)+len(o.extra)), o.keys.props...)
	for k := range o.extra {
		keys = append(keys, k)
	}
	return keys
}

// method returns the method key names, from the user's shared functions
// (*fns, made by make the first time), or nil when key is not a method.
func (o *connObject) method(key string, fns *map[string]goja.Value, make func() map[string]goja.Value) goja.Value {
	if !slices.Contains(o.keys.members, key) {
		return nil
	}
	if *fns == nil {
		*fns = make()
	}
	return (*fns)[key]
}

// methodsOf makes the shared method functions of a connection type: each
// finds its connection in the call's this.
func methodsOf[C any](vu *VU, fns map[string]func(c C, call goja.FunctionCall) goja.Value, kind string) map[string]goja.Value {
	out := make(map[string]goja.Value, len(fns))
	for name, f := range fns {
		out[name] = vu.rt.ToValue(func(call goja.FunctionCall) goja.Value {
			o, _ := call.This.(*goja.Object)
			var c C
			ok := false
			if o != nil {
				c, ok = o.Export().(C)
			}
			if !ok {
				panic(vu.rt.NewTypeError("%s.%s() must be called on a connection", kind, name))
			}
			return f(c, call)
		})
	}
	return out
}
