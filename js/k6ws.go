package js

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/ws"
)

// k6/ws: ws.connect(url, params, callback) on jsload's WebSocket client
// (internal/ws). The connection's samples are jsload/ws's rows (type WS,
// named by params.tags.name, else the URL without its query):
//
//	connect NAME   the handshake                  (k6: ws_connecting)
//	recv NAME      each message received          (k6: ws_msgs_received)
//	ping NAME      a socket.ping() to its pong    (k6: ws_ping)
//	close NAME     the session, when it ends      (k6: ws_sessions, ws_session_duration)
//	send NAME      a send that failed
//
// connect blocks, running the user's event loop (k6loop.go), until the
// socket has closed, and returns the handshake's response.

var k6WSParams = []string{"headers", "tags"}

// k6WSDial is a connection a k6 module opened (or failed to open).
type k6WSDial struct {
	c       *ws.Conn // nil when the connect failed
	url     string   // the URL as resolved
	name    string   // the statistics name
	status  int      // 101, the refusing status, or 0
	errText string
}

// k6Dial opens a WebSocket connection for k6/ws or k6/websockets and
// records its connect sample. what names the call in errors.
func (vu *VU) k6Dial(what, raw string, header http.Header, protocols []string, name string) *k6WSDial {
	rt := vu.rt
	full, defName, err := vu.wsURL(raw)
	if err != nil {
		panic(rt.NewTypeError("%s: %v", what, err))
	}
	if name == "" {
		name = defName
	}
	o := ws.Options{TLS: vu.env.HTTP.TLS, HandshakeTimeout: vu.env.HTTP.DialTimeout, Header: header, Subprotocols: protocols}
	vu.addCookies(&o, full)
	if err := o.Check(); err != nil {
		panic(rt.NewTypeError("%s %s: %v", what, raw, err))
	}
	d := &k6WSDial{url: full, name: name}
	t0 := time.Now()
	c, err := ws.Dial(vu.ctx, full, o)
	dur := time.Since(t0)
	if err != nil {
		if vu.ctx.Err() != nil {
			vu.stopped(true)
			return nil
		}
		d.errText = err.Error()
		var he *ws.HandshakeError
		if errors.As(err, &he) {
			d.status = he.Status
		}
		vu.record(typeWS, "connect "+name, dur, 0, d.errText, full)
		return d
	}
	d.c, d.status = c, http.StatusSwitchingProtocols
	vu.record(typeWS, "connect "+name, dur, 0, "", full)
	return d
}

// k6WSHeader reads a k6 params.headers object.
func (vu *VU) k6WSHeader(v goja.Value) (http.Header, error) {
	h, ok := v.(*goja.Object)
	if !ok || isArray(h) {
		return nil, errors.New("headers must be an object of header names to values")
	}
	hd := http.Header{}
	for _, k := range h.Keys() {
		hd.Set(k, h.Get(k).String())
	}
	return hd, nil
}

// k6WSName reads the name tag of a k6 params.tags object ("" if none).
func k6WSName(v goja.Value) (string, error) {
	t, ok := v.(*goja.Object)
	if !ok || isArray(t) {
		return "", errors.New("tags must be an object")
	}
	if n := t.Get("name"); !isNullish(n) {
		return n.String(), nil
	}
	return "", nil
}

func (vu *VU) k6WSModule() *goja.Object {
	o := vu.rt.NewObject()
	must(o.Set("connect", vu.k6WSConnect))
	return o
}

// k6Socket is a k6/ws socket.
type k6Socket struct {
	vu       *VU
	d        *k6WSDial
	obj      *goja.Object
	handlers map[string][]goja.Callable
	pings    []time.Time // sent by socket.ping(), waiting for their pongs
	ended    bool        // the close was handled: sample, events
}

var k6SocketEvents = []string{"open", "message", "binaryMessage", "ping", "pong", "close", "error"}

// k6WSConnect implements connect(url, params, callback) (params may be
// left out).
func (vu *VU) k6WSConnect(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	if isNullish(c.Argument(0)) {
		panic(rt.NewTypeError("ws.connect(url, params, callback): url is required"))
	}
	raw := c.Argument(0).String()
	paramsV, cbV := c.Argument(1), c.Argument(2)
	if _, ok := goja.AssertFunction(paramsV); ok && len(c.Arguments) == 2 {
		paramsV, cbV = goja.Undefined(), paramsV
	}
	cb, ok := goja.AssertFunction(cbV)
	if !ok {
		panic(rt.NewTypeError("ws.connect(url, params, callback): callback must be a function, got %s", vu.format(cbV)))
	}
	var header http.Header
	name := ""
	if !isNullish(paramsV) {
		po, ok := paramsV.(*goja.Object)
		if !ok || isArray(po) {
			panic(rt.NewTypeError("ws.connect(url, params, callback): params must be an object like { headers, tags }"))
		}
		var err error
		if header, name, err = vu.k6WSParams(po); err != nil {
			panic(rt.NewTypeError("ws.connect %s: %v", raw, err))
		}
	}
	d := vu.k6Dial("ws.connect", raw, header, nil, name)
	if d == nil {
		return goja.Undefined() // the test stopped
	}
	res := rt.NewObject()
	must(res.Set("url", d.url))
	must(res.Set("status", d.status))
	must(res.Set("body", ""))
	must(res.Set("error", d.errText))
	hdr := rt.NewObject()
	if d.c != nil {
		for k, vs := range d.c.Header {
			must(hdr.Set(http.CanonicalHeaderKey(k), strings.Join(vs, ", ")))
		}
	}
	must(res.Set("headers", hdr))
	if d.c == nil {
		return res
	}
	s := &k6Socket{vu: vu, d: d, handlers: map[string][]goja.Callable{}}
	s.obj = s.object()
	l := vu.loop()
	l.add(s)
	defer func() {
		if !s.ended { // the test stopped, or a callback threw
			s.ended = true
			d.c.CloseNow()
			l.dropTimers(s)
		}
	}()
	l.call(cb, goja.Undefined(), s.obj)
	s.emit("open")
	l.run(func() bool { return s.ended })
	return res
}

func (s *k6Socket) object() *goja.Object {
	vu, rt := s.vu, s.vu.rt
	o := rt.NewObject()
	set := func(name string, f func(c goja.FunctionCall) goja.Value) { must(o.Set(name, f)) }
	set("on", func(c goja.FunctionCall) goja.Value {
		ev := c.Argument(0).String()
		f, ok := goja.AssertFunction(c.Argument(1))
		switch {
		case !isKnown(ev, k6SocketEvents):
			panic(rt.NewTypeError("socket.on(event, callback): there is no event %q%s (events: %s)", ev, config.DidYouMean(ev, k6SocketEvents), strings.Join(k6SocketEvents, ", ")))
		case !ok:
			panic(rt.NewTypeError("socket.on(%q, callback): callback must be a function", ev))
		}
		s.handlers[ev] = append(s.handlers[ev], f)
		return goja.Undefined()
	})
	sendFn := func(what string, binary bool) func(c goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			var b []byte
			if binary {
				x, bin, ok := payload(c.Argument(0))
				if !ok || !bin {
					panic(rt.NewTypeError("socket.sendBinary(data): data must be an ArrayBuffer, got %s", vu.format(c.Argument(0))))
				}
				b = x
			} else {
				b = []byte(c.Argument(0).String())
			}
			if s.ended || s.d.c.Err() != nil {
				return goja.Undefined() // closed: nothing is sent, as in k6
			}
			if err := s.d.c.Send(vu.ctx, binary, b); err != nil {
				if vu.ctx.Err() != nil {
					vu.stopped(false)
					return goja.Undefined()
				}
				vu.record(typeWS, "send "+s.d.name, 0, 0, err.Error(), snippet(b, binary))
			}
			return goja.Undefined()
		}
	}
	set("send", sendFn("send", false))
	set("sendBinary", sendFn("sendBinary", true))
	set("ping", func(c goja.FunctionCall) goja.Value {
		if s.ended {
			return goja.Undefined()
		}
		t0 := time.Now()
		if err := s.d.c.SendPing(10 * time.Second); err == nil {
			s.pings = append(s.pings, t0)
		}
		return goja.Undefined()
	})
	set("close", func(c goja.FunctionCall) goja.Value {
		code := 1000
		if a := c.Argument(0); !isNullish(a) {
			code = int(a.ToInteger())
			if !ws.ValidCloseCode(code) || a.ToFloat() != float64(code) {
				panic(rt.NewTypeError("socket.close(code): code must be 1000, 1001 or from 3000 to 4999, got %s", a.String()))
			}
		}
		if s.ended {
			return goja.Undefined()
		}
		life := s.d.c.Close(code, "")
		s.end(life, "", code)
		return goja.Undefined()
	})
	timer := func(what string, every bool) func(c goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			f, ok := goja.AssertFunction(c.Argument(0))
			if !ok {
				panic(rt.NewTypeError("socket.%s(callback, ms): callback must be a function", what))
			}
			d, err := k6Millis(c.Argument(1))
			if err != nil {
				panic(rt.NewTypeError("socket.%s(callback, ms): ms %v", what, err))
			}
			if !s.ended {
				vu.loop().setTimer(f, d, every, nil, s)
			}
			return goja.Undefined()
		}
	}
	set("setTimeout", timer("setTimeout", false))
	set("setInterval", timer("setInterval", true))
	return o
}

func isKnown(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// emit calls the handlers of ev.
func (s *k6Socket) emit(ev string, args ...goja.Value) {
	for _, h := range s.handlers[ev] {
		s.vu.loop().call(h, s.obj, args...)
	}
}

// end records the session once it is over and runs the error and close
// handlers; code is the close code the close handler gets.
func (s *k6Socket) end(life time.Duration, errText string, code int) {
	if s.ended {
		return
	}
	s.ended = true
	s.vu.loop().dropTimers(s)
	s.vu.record(typeWS, "close "+s.d.name, life, 0, errText, fmt.Sprintf("code %d", code))
	if errText != "" {
		e := s.vu.rt.NewObject()
		must(e.Set("error", func(goja.FunctionCall) goja.Value { return s.vu.rt.ToValue(errText) }))
		s.emit("error", e)
	}
	s.emit("close", s.vu.rt.ToValue(code))
}

func (s *k6Socket) cases() []reflect.SelectCase {
	c := s.d.c
	return []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Messages())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Done())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Pongs())},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Pings())},
	}
}

func (s *k6Socket) fire(i int, v reflect.Value, ok bool) {
	vu := s.vu
	switch i {
	case 0:
		s.message(v.Interface().(ws.Message))
	case 1:
		for !s.ended {
			m, ok := s.d.c.Poll()
			if !ok {
				break
			}
			s.message(m)
		}
		if s.ended {
			return
		}
		e := s.d.c.Err()
		code, errText := e.Code, ""
		if code == 0 {
			code = 1006
		}
		if !e.Normal() && !e.Local {
			errText = e.Error()
		}
		s.end(time.Since(s.d.c.Opened), errText, code)
	case 2:
		if len(s.pings) > 0 {
			vu.record(typeWS, "ping "+s.d.name, time.Since(s.pings[0]), 0, "", "")
			s.pings = s.pings[1:]
		}
		s.emit("pong")
	case 3:
		s.emit("ping")
	}
}

func (s *k6Socket) message(m ws.Message) {
	vu := s.vu
	vu.record(typeWS, "recv "+s.d.name, 0, int64(len(m.Data)), "", snippet(m.Data, m.Binary))
	if m.Binary {
		s.emit("binaryMessage", vu.rt.ToValue(vu.rt.NewArrayBuffer(m.Data)))
	} else {
		s.emit("message", vu.rt.ToValue(string(m.Data)))
	}
}

func (s *k6Socket) open() bool { return !s.ended }

func (s *k6Socket) closeNow() {
	if !s.ended {
		s.ended = true
		s.d.c.CloseNow()
	}
}

// k6WSParams reads the params of ws.connect and new WebSocket: the
// handshake's headers and the row's name (tags.name).
func (vu *VU) k6WSParams(po *goja.Object) (header http.Header, name string, err error) {
	err = eachSet(po, func(k string, v goja.Value) (err error) {
		switch k {
		case "headers":
			header, err = vu.k6WSHeader(v)
		case "tags":
			name, err = k6WSName(v)
		case "jar", "compression":
			return fmt.Errorf("params.%s is not supported by jsload yet (the user's cookies are sent with the handshake)", k)
		default:
			return fmt.Errorf("unknown param %q%s (jsload reads %s)", k, config.DidYouMean(k, k6WSParams), strings.Join(k6WSParams, ", "))
		}
		return err
	})
	return header, name, err
}
