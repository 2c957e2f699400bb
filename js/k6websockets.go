package js

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/ws"
)

// k6/websockets: the browser-like WebSocket on jsload's WebSocket client,
// with k6's ping() and ping/pong events. new WebSocket(url, protocols,
// params) connects at once (the constructor blocks for the handshake) and
// the open event follows on the user's event loop (k6loop.go), which the
// iteration runs once its default function returned, until every socket
// has closed. Samples are those of k6/ws (k6ws.go).

// The readyState values.
const (
	wsConnecting = iota
	wsOpen
	wsClosing
	wsClosed
)

var k6WebSocketEvents = []string{"open", "message", "error", "close", "ping", "pong"}

var k6WebSocketKeys = []string{"url", "readyState", "protocol", "binaryType", "bufferedAmount", "extensions",
	"onopen", "onmessage", "onerror", "onclose", "onping", "onpong",
	"send", "close", "ping", "addEventListener", "removeEventListener",
	"CONNECTING", "OPEN", "CLOSING", "CLOSED"}

// k6WebSocket is a k6/websockets WebSocket.
type k6WebSocket struct {
	vu         *VU
	d          *k6WSDial
	obj        *goja.Object
	state      int
	binaryType string
	on         map[string]goja.Value // onopen, ... as set
	listeners  map[string][]goja.Value
	fns        map[string]goja.Value
	pings      []time.Time
	ended      bool // the close is handled (sample recorded, close event queued)
}

// k6WebSocketCtor is the WebSocket constructor.
func (vu *VU) k6WebSocketCtor() goja.Value {
	rt := vu.rt
	ctor := rt.ToValue(func(c goja.ConstructorCall) *goja.Object {
		if isNullish(c.Argument(0)) {
			panic(rt.NewTypeError("new WebSocket(url, protocols, params): url is required"))
		}
		raw := c.Argument(0).String()
		var protocols []string
		if p := c.Argument(1); !isNullish(p) {
			var ok bool
			if protocols, ok = stringList(p); !ok {
				panic(rt.NewTypeError("new WebSocket(%s, protocols): protocols must be a string or an array of strings", raw))
			}
		}
		var header http.Header
		name := ""
		if p := c.Argument(2); !isNullish(p) {
			po, ok := p.(*goja.Object)
			if !ok || isArray(po) {
				panic(rt.NewTypeError("new WebSocket(url, protocols, params): params must be an object like { headers, tags }"))
			}
			var err error
			if header, name, err = vu.k6WSParams(po); err != nil {
				panic(rt.NewTypeError("new WebSocket(%s): %v", raw, err))
			}
		}
		d := vu.k6Dial("new WebSocket", raw, header, protocols, name)
		if d == nil {
			return rt.NewObject() // the test stopped
		}
		w := &k6WebSocket{vu: vu, d: d, binaryType: "arraybuffer", on: map[string]goja.Value{}, listeners: map[string][]goja.Value{}}
		w.obj = rt.NewDynamicObject(w)
		l := vu.loop()
		if d.c == nil {
			w.state, w.ended = wsClosed, true
			l.later(func() {
				w.dispatch("error", map[string]any{"error": d.errText})
				w.dispatch("close", map[string]any{"code": 1006, "reason": d.errText, "wasClean": false})
			})
			return w.obj
		}
		l.add(w)
		l.later(func() {
			if w.state == wsConnecting {
				w.state = wsOpen
				w.dispatch("open", nil)
			}
		})
		return w.obj
	})
	o := ctor.(*goja.Object)
	for i, n := range []string{"CONNECTING", "OPEN", "CLOSING", "CLOSED"} {
		must(o.Set(n, i))
	}
	return o
}

// dispatch calls the on<type> handler, then the listeners, with an event
// { type, target, ...fields }.
func (w *k6WebSocket) dispatch(typ string, fields map[string]any) {
	rt := w.vu.rt
	ev := rt.NewObject()
	must(ev.Set("type", typ))
	must(ev.Set("target", w.obj))
	for k, v := range fields {
		must(ev.Set(k, v))
	}
	call := func(v goja.Value) {
		if f, ok := goja.AssertFunction(v); ok {
			w.vu.loop().call(f, w.obj, ev)
		}
	}
	if h := w.on[typ]; h != nil {
		call(h)
	}
	for _, h := range slices.Clone(w.listeners[typ]) {
		call(h)
	}
}

// Get implements goja.DynamicObject.
func (w *k6WebSocket) Get(key string) goja.Value {
	rt := w.vu.rt
	switch key {
	case "url":
		return rt.ToValue(w.d.url)
	case "readyState":
		return rt.ToValue(w.state)
	case "protocol":
		if w.d.c == nil {
			return rt.ToValue("")
		}
		return rt.ToValue(w.d.c.Subprotocol)
	case "binaryType":
		return rt.ToValue(w.binaryType)
	case "bufferedAmount":
		return rt.ToValue(0)
	case "extensions":
		return rt.ToValue("")
	case "CONNECTING", "OPEN", "CLOSING", "CLOSED":
		return rt.ToValue(slices.Index([]string{"CONNECTING", "OPEN", "CLOSING", "CLOSED"}, key))
	}
	if ev, ok := strings.CutPrefix(key, "on"); ok && isKnown(ev, k6WebSocketEvents) {
		if v := w.on[ev]; v != nil {
			return v
		}
		return goja.Null()
	}
	if f, ok := w.fns[key]; ok {
		return f
	}
	var f func(c goja.FunctionCall) goja.Value
	switch key {
	case "send":
		f = w.send
	case "close":
		f = w.close
	case "ping":
		f = w.ping
	case "addEventListener", "removeEventListener":
		add := key == "addEventListener"
		f = func(c goja.FunctionCall) goja.Value {
			typ := c.Argument(0).String()
			if !isKnown(typ, k6WebSocketEvents) {
				panic(rt.NewTypeError("WebSocket.%s(type, listener): there is no event %q%s (events: %s)", key, typ, config.DidYouMean(typ, k6WebSocketEvents), strings.Join(k6WebSocketEvents, ", ")))
			}
			h := c.Argument(1)
			if _, ok := goja.AssertFunction(h); !ok {
				panic(rt.NewTypeError("WebSocket.%s(%q, listener): listener must be a function", key, typ))
			}
			ls := slices.DeleteFunc(w.listeners[typ], func(x goja.Value) bool { return x.SameAs(h) })
			if add {
				ls = append(ls, h)
			}
			w.listeners[typ] = ls
			return goja.Undefined()
		}
	default:
		return nil
	}
	if w.fns == nil {
		w.fns = map[string]goja.Value{}
	}
	v := rt.ToValue(f)
	w.fns[key] = v
	return v
}

// Set implements goja.DynamicObject: the on<event> handlers and
// binaryType can be set.
func (w *k6WebSocket) Set(key string, v goja.Value) bool {
	rt := w.vu.rt
	if ev, ok := strings.CutPrefix(key, "on"); ok && isKnown(ev, k6WebSocketEvents) {
		if isNullish(v) {
			delete(w.on, ev)
			return true
		}
		if _, ok := goja.AssertFunction(v); !ok {
			panic(rt.NewTypeError("WebSocket.%s must be a function, got %s", key, w.vu.format(v)))
		}
		w.on[ev] = v
		return true
	}
	if key == "binaryType" {
		switch t := v.String(); t {
		case "arraybuffer":
			w.binaryType = t
		case "blob":
			panic(rt.NewTypeError("WebSocket.binaryType \"blob\" is not supported by jsload: use \"arraybuffer\" (binary messages then arrive as ArrayBuffers)"))
		default:
			panic(rt.NewTypeError("WebSocket.binaryType must be \"arraybuffer\", got %q", t))
		}
		return true
	}
	if slices.Contains(k6WebSocketKeys, key) {
		panic(rt.NewTypeError("WebSocket.%s is read-only", key))
	}
	panic(rt.NewTypeError("WebSocket has no property %q%s", key, config.DidYouMean(key, k6WebSocketKeys)))
}

func (w *k6WebSocket) Has(key string) bool    { return slices.Contains(k6WebSocketKeys, key) }
func (w *k6WebSocket) Delete(key string) bool { return false }
func (w *k6WebSocket) Keys() []string         { return slices.Clone(k6WebSocketKeys) }

// send implements send(data): a string as text, an ArrayBuffer or a typed
// array as binary. Sending on a socket that is not open throws, as in
// browsers.
func (w *k6WebSocket) send(c goja.FunctionCall) goja.Value {
	vu := w.vu
	b, bin, ok := payload(c.Argument(0))
	if !ok {
		panic(vu.rt.NewTypeError("WebSocket.send(data): data must be a string, an ArrayBuffer or a Uint8Array, got %s", vu.format(c.Argument(0))))
	}
	if w.state != wsOpen {
		panic(vu.jsError(fmt.Sprintf("InvalidStateError: WebSocket.send(): the socket to %s is %s", w.d.url, [...]string{"still connecting (send from onopen)", "open", "closing", "closed"}[w.state])))
	}
	if err := w.d.c.Send(vu.ctx, bin, b); err != nil {
		if vu.ctx.Err() != nil {
			vu.stopped(false)
			return goja.Undefined()
		}
		vu.record(typeWS, "send "+w.d.name, 0, 0, err.Error(), snippet(b, bin))
	}
	return goja.Undefined()
}

// close implements close(code, reason): the closing handshake, then the
// close event on the loop.
func (w *k6WebSocket) close(c goja.FunctionCall) goja.Value {
	rt := w.vu.rt
	code := 1000
	if a := c.Argument(0); !isNullish(a) {
		code = int(a.ToInteger())
		if !ws.ValidCloseCode(code) || a.ToFloat() != float64(code) {
			panic(rt.NewTypeError("WebSocket.close(code, reason): code must be 1000, 1001 or from 3000 to 4999, got %s", a.String()))
		}
	}
	reason := ""
	if a := c.Argument(1); !isNullish(a) {
		reason = a.String()
		if len(reason) > 123 {
			panic(rt.NewTypeError("WebSocket.close(code, reason): the reason must be at most 123 bytes, got %d", len(reason)))
		}
	}
	if w.ended || w.state >= wsClosing {
		return goja.Undefined()
	}
	w.state = wsClosing
	life := w.d.c.Close(code, reason)
	w.end(life, "", code, reason, true)
	return goja.Undefined()
}

func (w *k6WebSocket) ping(goja.FunctionCall) goja.Value {
	if w.state != wsOpen {
		return goja.Undefined()
	}
	t0 := time.Now()
	if err := w.d.c.SendPing(10 * time.Second); err == nil {
		w.pings = append(w.pings, t0)
	}
	return goja.Undefined()
}

// end records the session and queues the error and close events.
func (w *k6WebSocket) end(life time.Duration, errText string, code int, reason string, clean bool) {
	if w.ended {
		return
	}
	w.ended = true
	w.vu.record(typeWS, "close "+w.d.name, life, 0, errText, fmt.Sprintf("code %d", code))
	w.vu.loop().later(func() {
		w.state = wsClosed
		if errText != "" {
			w.dispatch("error", map[string]any{"error": errText})
		}
		w.dispatch("close", map[string]any{"code": code, "reason": reason, "wasClean": clean})
	})
}

func (w *k6WebSocket) cases() []reflect.SelectCase {
	c := w.d.c
	msgs := reflect.ValueOf(c.Messages())
	if w.state == wsConnecting {
		msgs = reflect.Value{} // messages wait for the open event
	}
	return []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: msgs},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Done())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Pongs())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Pings())},
	}
}

func (w *k6WebSocket) fire(i int, v reflect.Value, ok bool) {
	vu := w.vu
	switch i {
	case 0:
		w.message(v.Interface().(ws.Message))
	case 1:
		for !w.ended && w.state == wsOpen {
			m, ok := w.d.c.Poll()
			if !ok {
				break
			}
			w.message(m)
		}
		if w.ended {
			return
		}
		e := w.d.c.Err()
		code, reason, errText := e.Code, e.Reason, ""
		if code == 0 {
			code, reason = 1006, e.Cause
		}
		if !e.Normal() && !e.Local {
			errText = e.Error()
		}
		w.end(time.Since(w.d.c.Opened), errText, code, reason, errText == "")
	case 2:
		if len(w.pings) > 0 {
			vu.record(typeWS, "ping "+w.d.name, time.Since(w.pings[0]), 0, "", "")
			w.pings = w.pings[1:]
		}
		w.dispatch("pong", nil)
	case 3:
		w.dispatch("ping", nil)
	}
}

func (w *k6WebSocket) message(m ws.Message) {
	vu := w.vu
	vu.record(typeWS, "recv "+w.d.name, 0, int64(len(m.Data)), "", snippet(m.Data, m.Binary))
	var data any = string(m.Data)
	if m.Binary {
		data = vu.rt.NewArrayBuffer(m.Data)
	}
	w.dispatch("message", map[string]any{"data": data})
}

// open: the loop waits on the socket until its close is handled (the
// close event itself is a queued task).
func (w *k6WebSocket) open() bool { return !w.ended }

func (w *k6WebSocket) closeNow() {
	if !w.ended {
		w.ended = true
		w.state = wsClosed
		w.d.c.CloseNow()
	}
}

var _ goja.DynamicObject = (*k6WebSocket)(nil)
