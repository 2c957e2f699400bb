package js

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/tcp"
)

// The "jsload/tcp" module: tcp.connect("host:port", options) opens a TCP
// (or TLS) connection of the user (internal/tcp). Samples are of type TCP:
//
//	connect NAME   the connect (and TLS handshake)
//	NAME           an exchange: from the first write after a read to the
//	               last read before the next write (write's name replaces
//	               NAME), recorded at that next write, at close() or at the
//	               end of the task; its size is the bytes read
//
// NAME is options.name, else host:port. A failed read (timeout, the server
// closing, a reply over maxRead) is a recorded failure of the exchange and
// returns null; wrong arguments throw.

const typeTCP = "TCP"

var tcpOptionNames = []string{"tls", "name", "timeout", "maxRead", "binary"}

// tcpConn is a connection as scripts see it.
type tcpConn struct {
	vu      *VU
	c       *tcp.Conn // nil when the connect failed
	name    string
	addr    string
	timeout time.Duration
	binary  bool   // reads return ArrayBuffers
	err     string // why the connect failed, or why the connection ended
	dead    bool   // ended by a failure (recorded then)

	// The open exchange.
	xOpen, xRead bool
	xName        string
	xStart, xEnd time.Time
	xSize        int64
	xLast        []byte

	connObject
}

func (vu *VU) tcpModule() goja.Value {
	s := vu.sock()
	if s.tcpMod == nil {
		o := vu.rt.NewObject()
		must(o.Set("connect", vu.tcpConnect))
		s.tcpMod = o
	}
	return s.tcpMod
}

// tcpConnect implements tcp.connect(address, options).
func (vu *VU) tcpConnect(call goja.FunctionCall) goja.Value {
	rt := vu.rt
	if isNullish(call.Argument(0)) {
		panic(rt.NewTypeError("tcp.connect(address, options): address (host:port) is required"))
	}
	addr := call.Argument(0).String()
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		panic(rt.NewTypeError("tcp.connect: address %q must be host:port, such as \"127.0.0.1:6379\"", addr))
	}
	o := tcp.Options{ConnectTimeout: vu.env.HTTP.DialTimeout}
	c := &tcpConn{vu: vu, name: addr, addr: addr, timeout: vu.env.HTTP.Timeout, connObject: connObject{keys: tcpKeys}}
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	if opts := call.Argument(1); !isNullish(opts) {
		obj, ok := opts.(*goja.Object)
		if !ok || isArray(obj) {
			panic(rt.NewTypeError("tcp.connect(address, options): options must be an object like { %s }", strings.Join(tcpOptionNames, ", ")))
		}
		err := eachSet(obj, func(k string, v goja.Value) (err error) {
			switch k {
			case "tls":
				if b, isBool := v.Export().(bool); isBool {
					if b {
						t := vu.env.HTTP.TLS
						o.TLS = &t
					}
					return nil
				}
				var t httpc.TLSOptions
				t, err = vu.tlsOption(v)
				o.TLS = &t
			case "name":
				c.name = v.String()
			case "timeout":
				if c.timeout, err = durationParam(v); err == nil {
					o.ConnectTimeout = c.timeout
				} else {
					err = fmt.Errorf("timeout %v", err)
				}
			case "maxRead":
				var n int64
				if n, err = sizeParam(v); err == nil && (n <= 0 || n > 1<<30) {
					err = fmt.Errorf("maxRead must be from 1 byte to 1GiB, got %s", v.String())
				}
				o.MaxRead = int(n)
			case "binary":
				c.binary = v.ToBoolean()
			default:
				return fmt.Errorf("unknown option %q%s (known: %s)", k, config.DidYouMean(k, tcpOptionNames), strings.Join(tcpOptionNames, ", "))
			}
			return err
		})
		if err != nil {
			panic(rt.NewTypeError("tcp.connect %s: %v", addr, err))
		}
	}
	s := vu.sock()
	if len(s.tcp) >= maxSockets {
		panic(rt.NewTypeError("tcp.connect: a user may hold at most %d open TCP connections (close them with conn.close())", maxSockets))
	}
	if o.TLS != nil {
		if _, err := o.TLS.Config(); err != nil {
			panic(rt.NewTypeError("tcp.connect %s: %v", addr, err))
		}
	}
	t0 := time.Now()
	nc, err := tcp.Dial(vu.ctx, addr, o)
	d := time.Since(t0)
	obj := rt.NewDynamicObject(c)
	if err != nil {
		if vu.ctx.Err() != nil {
			return vu.stopped(true)
		}
		c.err = err.Error()
		vu.record(typeTCP, "connect "+c.name, d, 0, c.err, addr)
		return obj
	}
	c.c = nc
	s.tcp = append(s.tcp, c)
	vu.record(typeTCP, "connect "+c.name, d, 0, "", addr)
	return obj
}

var tcpKeys = &connKeys{
	props:   []string{"ok", "error", "name", "address", "closed"},
	members: []string{"write", "read", "readUntil", "readSome", "close"},
}

// Get implements goja.DynamicObject.
func (c *tcpConn) Get(key string) goja.Value {
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
	case "name":
		return rt.ToValue(c.name)
	case "address":
		return rt.ToValue(c.addr)
	case "closed":
		return rt.ToValue(c.c == nil || c.dead || c.c.Closed())
	}
	s := c.vu.sock()
	return c.method(key, &s.tcpFns, func() map[string]goja.Value { return methodsOf(c.vu, tcpMethods, "conn") })
}

func (c *tcpConn) Has(key string) bool { return c.Get(key) != nil }

var tcpMethods = map[string]func(c *tcpConn, call goja.FunctionCall) goja.Value{
	"write": func(c *tcpConn, call goja.FunctionCall) goja.Value {
		b, _, ok := payload(call.Argument(0))
		if !ok {
			panic(c.vu.rt.NewTypeError("conn.write(data): data must be a string, an ArrayBuffer or a Uint8Array, got %s", c.vu.format(call.Argument(0))))
		}
		name := nameArg(call.Argument(1))
		if !c.usable("write") {
			return c.vu.rt.ToValue(false)
		}
		if c.xRead {
			c.flush("")
		}
		if !c.xOpen {
			c.xOpen, c.xStart, c.xName = true, time.Now(), c.name
		}
		if name != "" {
			c.xName = name
		}
		if err := c.c.Write(c.vu.ctx, b, c.timeout); err != nil {
			c.fail(err)
			return c.vu.rt.ToValue(false)
		}
		return c.vu.rt.ToValue(true)
	},
	"read": func(c *tcpConn, call goja.FunctionCall) goja.Value {
		n := call.Argument(0)
		if !goja.IsNumber(n) && !isNumberLike(n) || n.ToFloat() != float64(n.ToInteger()) || n.ToInteger() < 1 {
			panic(c.vu.rt.NewTypeError("conn.read(n, timeout): n must be a whole number of bytes >= 1, got %s", n.String()))
		}
		if c.c != nil && n.ToInteger() > int64(c.c.Max()) {
			panic(c.vu.rt.NewTypeError("conn.read(%d): more than the connection's maxRead (%d bytes): raise maxRead in tcp.connect's options", n.ToInteger(), c.c.Max()))
		}
		to := c.timeoutOf("read", call.Argument(1))
		if !c.usable("read") {
			return goja.Null()
		}
		b, err := c.c.ReadN(c.vu.ctx, int(n.ToInteger()), to)
		return c.got(b, err)
	},
	"readUntil": func(c *tcpConn, call goja.FunctionCall) goja.Value {
		delim, _, ok := payload(call.Argument(0))
		if !ok || len(delim) == 0 {
			panic(c.vu.rt.NewTypeError("conn.readUntil(delimiter, timeout): the delimiter must be a non-empty string or bytes, got %s", c.vu.format(call.Argument(0))))
		}
		to := c.timeoutOf("readUntil", call.Argument(1))
		if !c.usable("readUntil") {
			return goja.Null()
		}
		b, err := c.c.ReadUntil(c.vu.ctx, delim, to)
		return c.got(b, err)
	},
	"readSome": func(c *tcpConn, call goja.FunctionCall) goja.Value {
		to := c.timeoutOf("readSome", call.Argument(0))
		if !c.usable("readSome") {
			return goja.Null()
		}
		b, err := c.c.ReadSome(c.vu.ctx, to)
		return c.got(b, err)
	},
	"close": func(c *tcpConn, call goja.FunctionCall) goja.Value {
		if c.c == nil || c.c.Closed() {
			return goja.Undefined()
		}
		c.flush("")
		c.c.Close()
		c.drop()
		return goja.Undefined()
	},
}

func (c *tcpConn) timeoutOf(method string, v goja.Value) time.Duration {
	d, err := timeoutArg(v, c.timeout)
	if err != nil {
		panic(c.vu.rt.NewTypeError("conn.%s: timeout %v", method, err))
	}
	return d
}

// usable reports whether the connection can be used: a connection that
// never opened, or that the script closed, throws; one that failed returns
// false (its failure was recorded then).
func (c *tcpConn) usable(method string) bool {
	switch {
	case c.c == nil:
		panic(c.vu.rt.NewTypeError("conn.%s(): the connection to %s failed (%s): check conn.ok after tcp.connect", method, c.addr, c.err))
	case c.dead:
		return false
	case c.c.Closed():
		panic(c.vu.rt.NewTypeError("conn.%s(): the connection %s was closed by the script", method, c.name))
	}
	return true
}

// got ends a read: a success adds to the open exchange; a failure is
// recorded.
func (c *tcpConn) got(b []byte, err error) goja.Value {
	if err != nil {
		c.fail(err)
		return goja.Null()
	}
	now := time.Now()
	if !c.xOpen { // a read with no write before (a greeting): its own exchange
		c.xOpen, c.xStart, c.xName = true, now, c.name
	}
	c.xRead, c.xEnd = true, now
	c.xSize += int64(len(b))
	c.xLast = b
	if c.binary {
		return c.vu.rt.ToValue(c.vu.rt.NewArrayBuffer(b))
	}
	return c.vu.rt.ToValue(string(b))
}

// fail records a failed write or read as the open exchange's failure (or
// one of its own); the connection ends unless it was a timeout.
func (c *tcpConn) fail(err error) {
	if c.vu.ctx.Err() != nil {
		c.vu.stopped(c.xOpen)
		c.reset()
		return
	}
	if !c.xOpen {
		c.xOpen, c.xStart, c.xName = true, time.Now(), c.name
	}
	c.xEnd = time.Now()
	var te *tcp.TimeoutError
	if !errors.As(err, &te) {
		c.dead = true
		c.err = err.Error()
		c.c.Close()
		c.drop()
	}
	c.xRead = true
	c.flush(err.Error())
}

// flush records the open exchange, if it read anything or failed.
func (c *tcpConn) flush(errText string) {
	if c.xOpen && (c.xRead || errText != "") {
		c.vu.record(typeTCP, c.xName, c.xEnd.Sub(c.xStart), c.xSize, errText, c.detail())
	}
	c.reset()
}

// detail is the trace's view of the exchange's last read.
func (c *tcpConn) detail() string {
	if c.vu.env.Verbose == nil || c.xLast == nil {
		return ""
	}
	return snippet(c.xLast, c.binary)
}

func (c *tcpConn) reset() {
	c.xOpen, c.xRead, c.xSize, c.xLast = false, false, 0, nil
}

// drop forgets the connection in the VU's list.
func (c *tcpConn) drop() {
	s := c.vu.sock()
	for i, x := range s.tcp {
		if x == c {
			s.tcp = append(s.tcp[:i], s.tcp[i+1:]...)
			break
		}
	}
}

var _ goja.DynamicObject = (*tcpConn)(nil)
