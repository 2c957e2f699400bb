package js

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/ws"
)

// The "jsload/ws" module: ws.connect(url, options) opens a WebSocket
// connection of the user (internal/ws). Samples are of type WS, named
// after the connection's name (options.name, else the URL's path):
//
//	connect NAME   the opening handshake
//	NAME           conn.request(msg): a send and the next message received
//	recv NAME      each message received by conn.receive() or a handler
//	ping NAME      conn.ping(): the ping's round trip
//	send NAME      a send that failed (successful sends are not samples)
//	close NAME     the connection's lifetime, when it ends
//
// Network failures are recorded failures (the call returns null or false),
// never exceptions; wrong arguments throw.

const typeWS = "WS"

var wsOptionNames = []string{"headers", "subprotocols", "tls", "name", "timeout", "maxMessageSize"}

// wsConn is a connection as scripts see it.
type wsConn struct {
	vu       *VU
	c        *ws.Conn // nil when the connect failed
	name     string
	url      string
	timeout  time.Duration // receive, request and ping
	status   int           // 101, or the refusing status
	err      string        // why the connect failed
	over     bool          // the close sample is recorded
	obj      *goja.Object  // the script's object
	handlers map[string]goja.Callable
	connObject
}

func (vu *VU) wsModule() goja.Value {
	s := vu.sock()
	if s.wsMod == nil {
		o := vu.rt.NewObject()
		must(o.Set("connect", vu.wsConnect))
		s.wsMod = o
	}
	return s.wsMod
}

// wsURL resolves a WebSocket URL: relative ones against the host (http
// becomes ws, https wss); it returns the URL and the default name.
func (vu *VU) wsURL(raw string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("invalid URL %q: %v", raw, err)
	}
	switch u.Scheme {
	case "ws", "wss":
	case "http", "https":
		u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	case "":
		if vu.host == "" {
			if vu.env.OnHostMissing != nil && !vu.hostWarned {
				vu.hostWarned = true
				vu.env.OnHostMissing()
			}
			return "", "", fmt.Errorf("%q is relative and no host is set (give --host, or a ws:// or wss:// URL)", raw)
		}
		base, err := url.Parse(vu.host)
		if err != nil {
			return "", "", fmt.Errorf("invalid host %q: %v", vu.host, err)
		}
		u = joinURL(base, u)
		u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
		return u.String(), pathOf(raw), nil
	default:
		return "", "", fmt.Errorf("invalid URL %q: the scheme must be ws, wss, http or https", raw)
	}
	if u.Host == "" {
		return "", "", fmt.Errorf("invalid URL %q: no host", raw)
	}
	n := *u
	n.RawQuery, n.Fragment = "", ""
	return u.String(), n.String(), nil
}

// wsConnect implements ws.connect(url, options).
func (vu *VU) wsConnect(call goja.FunctionCall) goja.Value {
	rt := vu.rt
	if isNullish(call.Argument(0)) {
		panic(rt.NewTypeError("ws.connect(url, options): url is required"))
	}
	raw := call.Argument(0).String()
	full, name, err := vu.wsURL(raw)
	if err != nil {
		panic(rt.NewTypeError("ws.connect: %v", err))
	}
	o := ws.Options{TLS: vu.env.HTTP.TLS, HandshakeTimeout: vu.env.HTTP.DialTimeout}
	timeout := vu.env.HTTP.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	if opts := call.Argument(1); !isNullish(opts) {
		obj, ok := opts.(*goja.Object)
		if !ok || isArray(obj) {
			panic(rt.NewTypeError("ws.connect(url, options): options must be an object like { %s }", strings.Join(wsOptionNames, ", ")))
		}
		err := eachSet(obj, func(k string, v goja.Value) (err error) {
			switch k {
			case "headers":
				h, ok := v.(*goja.Object)
				if !ok || isArray(h) {
					return errors.New("headers must be an object of header names to values")
				}
				o.Header = http.Header{}
				for _, hk := range h.Keys() {
					o.Header.Set(hk, h.Get(hk).String())
				}
			case "subprotocols":
				a, ok := v.Export().([]any)
				if !ok {
					return errors.New("subprotocols must be an array of strings")
				}
				for _, p := range a {
					s, ok := p.(string)
					if !ok || s == "" {
						return errors.New("subprotocols must be an array of strings")
					}
					o.Subprotocols = append(o.Subprotocols, s)
				}
			case "tls":
				o.TLS, err = vu.tlsOption(v)
			case "name":
				name = v.String()
			case "timeout":
				if timeout, err = durationParam(v); err == nil {
					o.HandshakeTimeout = timeout
				} else {
					err = fmt.Errorf("timeout %v", err)
				}
			case "maxMessageSize":
				var n int64
				if n, err = sizeParam(v); err == nil && (n <= 0 || n > 1<<30) {
					err = fmt.Errorf("maxMessageSize must be from 1 byte to 1GiB, got %s", v.String())
				}
				o.MaxMessageBytes = n
			default:
				return fmt.Errorf("unknown option %q%s (known: %s)", k, config.DidYouMean(k, wsOptionNames), strings.Join(wsOptionNames, ", "))
			}
			return err
		})
		if err != nil {
			panic(rt.NewTypeError("ws.connect %s: %v", raw, err))
		}
	}
	vu.addCookies(&o, full)
	s := vu.sock()
	if len(s.ws) >= maxSockets {
		panic(rt.NewTypeError("ws.connect: a user may hold at most %d open WebSocket connections (close them with conn.close())", maxSockets))
	}
	if err := o.Check(); err != nil {
		panic(rt.NewTypeError("ws.connect %s: %v", raw, err))
	}
	wc := &wsConn{vu: vu, name: name, url: full, timeout: timeout, connObject: connObject{keys: wsKeys}}
	t0 := time.Now()
	c, err := ws.Dial(vu.ctx, full, o)
	d := time.Since(t0)
	if err != nil {
		if vu.ctx.Err() != nil {
			return vu.stopped(true)
		}
		wc.err = err.Error()
		var he *ws.HandshakeError
		if errors.As(err, &he) {
			wc.status = he.Status
		}
		vu.record(typeWS, "connect "+name, d, 0, wc.err, full)
		wc.obj = rt.NewDynamicObject(wc)
		return wc.obj
	}
	wc.c, wc.status = c, http.StatusSwitchingProtocols
	s.ws = append(s.ws, wc)
	vu.record(typeWS, "connect "+name, d, 0, "", full)
	wc.obj = rt.NewDynamicObject(wc)
	return wc.obj
}

// addCookies sends the cookies of the user's HTTP client (a session from
// a login, say) with the handshake, unless the script set a Cookie header.
func (vu *VU) addCookies(o *ws.Options, full string) {
	if vu.http == nil || vu.http.hc == nil || o.Header.Get("Cookie") != "" {
		return
	}
	u, err := url.Parse(full)
	if err != nil {
		return
	}
	u.Scheme = strings.Replace(u.Scheme, "ws", "http", 1)
	cs := vu.http.hc.Cookies(u)
	if len(cs) == 0 {
		return
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + "=" + c.Value
	}
	if o.Header == nil {
		o.Header = http.Header{}
	}
	o.Header.Set("Cookie", strings.Join(parts, "; "))
}

var wsKeys = &connKeys{
	props:   []string{"ok", "error", "status", "protocol", "name", "url", "closed", "closeCode", "closeReason"},
	members: []string{"send", "receive", "request", "ping", "on", "wait", "close"},
}

// Get implements goja.DynamicObject.
func (c *wsConn) Get(key string) goja.Value {
	if v, ok := c.extra[key]; ok {
		return v
	}
	rt := c.vu.rt
	switch key {
	case "ok":
		return rt.ToValue(c.c != nil)
	case "error":
		if c.err == "" {
			return goja.Null()
		}
		return rt.ToValue(c.err)
	case "status":
		return rt.ToValue(c.status)
	case "protocol":
		if c.c == nil {
			return rt.ToValue("")
		}
		return rt.ToValue(c.c.Subprotocol)
	case "name":
		return rt.ToValue(c.name)
	case "url":
		return rt.ToValue(c.url)
	case "closed":
		return rt.ToValue(c.c == nil || c.c.Err() != nil)
	case "closeCode", "closeReason":
		var e *ws.ClosedError
		if c.c != nil {
			e = c.c.Err()
		}
		if e == nil || e.Local {
			return goja.Null()
		}
		if key == "closeReason" {
			if e.Code == 0 {
				return rt.ToValue(e.Cause)
			}
			return rt.ToValue(e.Reason)
		}
		if e.Code == 0 {
			return rt.ToValue(1006) // closed abnormally
		}
		return rt.ToValue(e.Code)
	}
	s := c.vu.sock()
	return c.method(key, &s.wsFns, func() map[string]goja.Value { return methodsOf(c.vu, wsMethods, "conn") })
}

func (c *wsConn) Has(key string) bool { return c.Get(key) != nil }

var wsMethods = map[string]func(c *wsConn, call goja.FunctionCall) goja.Value{
	"send": func(c *wsConn, call goja.FunctionCall) goja.Value {
		b, bin := c.data("send", call.Argument(0))
		if !c.usable("send") {
			return c.vu.rt.ToValue(false)
		}
		return c.vu.rt.ToValue(c.send(b, bin))
	},
	"receive": func(c *wsConn, call goja.FunctionCall) goja.Value {
		to := c.timeoutOf("receive", call.Argument(0))
		if !c.usable("receive") {
			return goja.Null()
		}
		t0 := time.Now()
		m, err := c.c.Receive(c.vu.ctx, to)
		d := time.Since(t0)
		if err != nil {
			return c.failed("recv", d, err)
		}
		c.vu.record(typeWS, "recv "+c.name, d, int64(len(m.Data)), "", snippet(m.Data, m.Binary))
		return c.value(m)
	},
	"request": func(c *wsConn, call goja.FunctionCall) goja.Value {
		b, bin := c.data("request", call.Argument(0))
		to := c.timeoutOf("request", call.Argument(1))
		name := c.name
		if n := nameArg(call.Argument(1)); n != "" {
			name = n
		}
		if !c.usable("request") {
			return goja.Null()
		}
		// Messages that arrived before the request are not its reply.
		for {
			m, ok := c.c.Poll()
			if !ok {
				break
			}
			c.vu.record(typeWS, "recv "+c.name, 0, int64(len(m.Data)), "", snippet(m.Data, m.Binary))
		}
		t0 := time.Now()
		if !c.send(b, bin) {
			return goja.Null()
		}
		m, err := c.c.Receive(c.vu.ctx, to)
		d := time.Since(t0)
		if err != nil {
			if c.vu.ctx.Err() != nil {
				return c.vu.stopped(true)
			}
			c.vu.record(typeWS, name, d, 0, err.Error(), snippet(b, bin))
			c.ended()
			return goja.Null()
		}
		c.vu.record(typeWS, name, d, int64(len(m.Data)), "", snippet(m.Data, m.Binary))
		return c.value(m)
	},
	"ping": func(c *wsConn, call goja.FunctionCall) goja.Value {
		to := c.timeoutOf("ping", call.Argument(0))
		if !c.usable("ping") {
			return goja.Null()
		}
		d, err := c.c.Ping(c.vu.ctx, to)
		if err != nil {
			return c.failed("ping", d, err)
		}
		c.vu.record(typeWS, "ping "+c.name, d, 0, "", "")
		return c.vu.rt.ToValue(float64(d) / float64(time.Millisecond))
	},
	"on": func(c *wsConn, call goja.FunctionCall) goja.Value {
		ev := call.Argument(0).String()
		if ev != "message" && ev != "close" {
			panic(c.vu.rt.NewTypeError("conn.on(event, fn): event must be \"message\" or \"close\", got %q%s", ev, config.DidYouMean(ev, []string{"message", "close"})))
		}
		if isNullish(call.Argument(1)) {
			delete(c.handlers, ev)
			return goja.Undefined()
		}
		fn, ok := goja.AssertFunction(call.Argument(1))
		if !ok {
			panic(c.vu.rt.NewTypeError("conn.on(%q, fn): fn must be a function", ev))
		}
		if c.handlers == nil {
			c.handlers = map[string]goja.Callable{}
		}
		c.handlers[ev] = fn
		return call.This
	},
	"wait": func(c *wsConn, call goja.FunctionCall) goja.Value {
		var to time.Duration
		if !isNullish(call.Argument(0)) {
			to = c.timeoutOf("wait", call.Argument(0))
		}
		if !c.usable("wait") {
			return goja.Undefined()
		}
		c.wait(to)
		return goja.Undefined()
	},
	"close": func(c *wsConn, call goja.FunctionCall) goja.Value {
		code := 1000
		if a := call.Argument(0); !isNullish(a) {
			code = int(a.ToInteger())
			if !ws.ValidCloseCode(code) || a.ToFloat() != float64(code) {
				panic(c.vu.rt.NewTypeError("conn.close(code, reason): code must be 1000, 1001 or from 3000 to 4999, got %s", a.String()))
			}
		}
		reason := ""
		if a := call.Argument(1); !isNullish(a) {
			reason = a.String()
			if len(reason) > 123 {
				panic(c.vu.rt.NewTypeError("conn.close(code, reason): the reason must be at most 123 bytes, got %d", len(reason)))
			}
		}
		if c.c == nil || c.over {
			return goja.Undefined()
		}
		life := c.c.Close(code, reason)
		c.over = true
		c.drop()
		c.vu.record(typeWS, "close "+c.name, life, 0, "", fmt.Sprintf("code %d", code))
		return goja.Undefined()
	},
}

// data reads the payload argument of a method.
func (c *wsConn) data(method string, v goja.Value) ([]byte, bool) {
	b, bin, ok := payload(v)
	if !ok {
		panic(c.vu.rt.NewTypeError("conn.%s(data): data must be a string, an ArrayBuffer or a Uint8Array, got %s", method, c.vu.format(v)))
	}
	return b, bin
}

func (c *wsConn) timeoutOf(method string, v goja.Value) time.Duration {
	d, err := timeoutArg(v, c.timeout)
	if err != nil {
		panic(c.vu.rt.NewTypeError("conn.%s: timeout %v", method, err))
	}
	return d
}

// usable reports whether the connection is open; a method called on one
// that never opened throws (the script did not check conn.ok), and one
// that ended returns false (its failure was recorded when it ended, or the
// script closed it).
func (c *wsConn) usable(method string) bool {
	if c.c == nil {
		panic(c.vu.rt.NewTypeError("conn.%s(): the connection to %s failed (%s): check conn.ok after ws.connect", method, c.url, c.err))
	}
	if e := c.c.Err(); e != nil {
		if e.Local && c.over {
			panic(c.vu.rt.NewTypeError("conn.%s(): the connection %s was closed by the script", method, c.name))
		}
		c.ended()
		return false
	}
	return true
}

func (c *wsConn) send(b []byte, bin bool) bool {
	t0 := time.Now()
	if err := c.c.Send(c.vu.ctx, bin, b); err != nil {
		if c.vu.ctx.Err() != nil {
			c.vu.stopped(false)
			return false
		}
		c.vu.record(typeWS, "send "+c.name, time.Since(t0), 0, err.Error(), snippet(b, bin))
		c.ended()
		return false
	}
	return true
}

// failed records a failed receive or ping (a timeout, or the connection
// ending) and returns null.
func (c *wsConn) failed(kind string, d time.Duration, err error) goja.Value {
	if c.vu.ctx.Err() != nil {
		return c.vu.stopped(false)
	}
	c.vu.record(typeWS, kind+" "+c.name, d, 0, err.Error(), "")
	c.ended()
	return goja.Null()
}

// ended records the connection's lifetime once it has ended by the peer or
// a failure: a failure unless the peer closed it with 1000 or 1001. It does
// nothing while the connection is open.
func (c *wsConn) ended() {
	if c.over || c.c == nil {
		return
	}
	e := c.c.Err()
	if e == nil {
		return
	}
	c.over = true
	c.drop()
	errText := ""
	if !e.Normal() {
		errText = e.Error()
	}
	c.vu.record(typeWS, "close "+c.name, time.Since(c.c.Opened), 0, errText, "")
}

// drop forgets the connection in the VU's list.
func (c *wsConn) drop() {
	s := c.vu.sock()
	for i, x := range s.ws {
		if x == c {
			s.ws = append(s.ws[:i], s.ws[i+1:]...)
			break
		}
	}
}

func (c *wsConn) value(m ws.Message) goja.Value {
	if m.Binary {
		return c.vu.rt.ToValue(c.vu.rt.NewArrayBuffer(m.Data))
	}
	return c.vu.rt.ToValue(string(m.Data))
}

// wait drives the handlers: every message received goes to the "message"
// handler, until d has passed (0: no limit), the message handler returns
// false, the connection ends (the "close" handler is called with its code
// and reason), a handler closes it, or the test stops.
func (c *wsConn) wait(d time.Duration) {
	vu := c.vu
	var tc <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		tc = t.C
	}
	for !c.over {
		m, ok := c.c.Poll()
		if !ok {
			select {
			case <-tc:
				return
			case <-vu.ctx.Done():
				vu.stopped(false)
				return
			case <-c.c.Done():
				if m, ok = c.c.Poll(); !ok {
					e := c.c.Err()
					c.ended()
					if h := c.handlers["close"]; h != nil && !e.Local {
						code := e.Code
						reason := e.Reason
						if code == 0 {
							code, reason = 1006, e.Cause
						}
						if _, err := h(c.obj, vu.rt.ToValue(code), vu.rt.ToValue(reason)); err != nil {
							panic(err)
						}
					}
					return
				}
			case m = <-c.msgsOf():
			}
		}
		vu.record(typeWS, "recv "+c.name, 0, int64(len(m.Data)), "", snippet(m.Data, m.Binary))
		if h := c.handlers["message"]; h != nil {
			r, err := h(c.obj, c.value(m), vu.rt.ToValue(m.Binary))
			if err != nil {
				panic(err)
			}
			if b, ok := r.Export().(bool); ok && !b {
				return // the handler returned false: done waiting
			}
		}
	}
}

// msgsOf is the connection's message queue, for wait's select.
func (c *wsConn) msgsOf() <-chan ws.Message { return c.c.Messages() }

var _ goja.DynamicObject = (*wsConn)(nil)
