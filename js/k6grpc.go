package js

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/grpcc"
)

// k6/net/grpc: new grpc.Client() with k6's load, connect, invoke,
// asyncInvoke and close, on jsload/grpc's compiled protos and connections
// (grpc.go). Calls are jsload's gRPC rows (type gRPC, name
// "/package.Service/Method" or params.tags.name): k6's grpc_req_duration.

// k6GRPCStatuses are the status constants, in code order.
var k6GRPCStatuses = []string{"StatusOK", "StatusCanceled", "StatusUnknown", "StatusInvalidArgument",
	"StatusDeadlineExceeded", "StatusNotFound", "StatusAlreadyExists", "StatusPermissionDenied",
	"StatusResourceExhausted", "StatusFailedPrecondition", "StatusAborted", "StatusOutOfRange",
	"StatusUnimplemented", "StatusInternal", "StatusUnavailable", "StatusDataLoss", "StatusUnauthenticated"}

var k6GRPCHealth = []string{"HealthCheckUnknown", "HealthCheckServing", "HealthCheckNotServing"}

// k6GRPCExports are the module's exports.
func k6GRPCExports() []string {
	out := []string{"Client", "Stream"}
	out = append(out, k6GRPCStatuses...)
	return append(out, k6GRPCHealth...)
}

var (
	k6GRPCConnectParams = []string{"plaintext", "timeout", "reflect", "tls"}
	k6GRPCInvokeParams  = []string{"metadata", "tags", "timeout"}
	k6GRPCTLSParams     = []string{"cert", "key", "cacerts"}
)

// k6GRPCDefaultTimeout is k6's default timeout of a call.
const k6GRPCDefaultTimeout = 60 * time.Second

func (vu *VU) k6GRPCModule() *goja.Object {
	rt := vu.rt
	o := rt.NewObject()
	must(o.Set("Client", func(c goja.ConstructorCall) *goja.Object {
		return (&k6GRPCClient{vu: vu}).object()
	}))
	must(o.Set("Stream", func(c goja.ConstructorCall) *goja.Object {
		panic(rt.NewTypeError("grpc.Stream is not supported by jsload yet: for streaming calls use jsload/grpc (conn.serverStream, clientStream, bidiStream or stream)"))
	}))
	for i, n := range k6GRPCStatuses {
		must(o.Set(n, i))
	}
	for i, n := range k6GRPCHealth {
		must(o.Set(n, i))
	}
	return o
}

// k6GRPCClient is a grpc.Client.
type k6GRPCClient struct {
	vu     *VU
	protos []*grpcc.Protos
	conn   *grpcConn // nil until connect
}

func (cl *k6GRPCClient) object() *goja.Object {
	vu, rt := cl.vu, cl.vu.rt
	o := rt.NewObject()
	must(o.Set("load", cl.load))
	must(o.Set("loadProtoset", func(goja.FunctionCall) goja.Value {
		panic(rt.NewTypeError("client.loadProtoset is not supported by jsload yet: load the .proto files with client.load(importPaths, ...files), or connect with { reflect: true }"))
	}))
	must(o.Set("connect", cl.connect))
	must(o.Set("invoke", func(c goja.FunctionCall) goja.Value { return cl.invoke("invoke", c) }))
	must(o.Set("asyncInvoke", func(c goja.FunctionCall) goja.Value {
		// The call is made now; the promise is settled with its response.
		res := cl.invoke("asyncInvoke", c)
		p, resolve, _ := rt.NewPromise()
		must(resolve(res))
		return rt.ToValue(p)
	}))
	must(o.Set("healthCheck", func(goja.FunctionCall) goja.Value {
		panic(rt.NewTypeError("client.healthCheck is not supported by jsload yet: invoke grpc.health.v1.Health/Check with its .proto loaded"))
	}))
	must(o.Set("close", func(goja.FunctionCall) goja.Value {
		cl.close()
		return goja.Undefined()
	}))
	_ = vu
	return o
}

// load implements client.load(importPaths, ...files).
func (cl *k6GRPCClient) load(c goja.FunctionCall) goja.Value {
	vu, rt := cl.vu, cl.vu.rt
	dirs, ok := stringList(c.Argument(0))
	if !ok {
		panic(rt.NewTypeError("client.load(importPaths, ...files): importPaths must be null or an array of folders, got %s", vu.format(c.Argument(0))))
	}
	var files []string
	for _, a := range c.Arguments[min(1, len(c.Arguments)):] {
		if !goja.IsString(a) || a.String() == "" {
			panic(rt.NewTypeError("client.load(importPaths, ...files): each file must be a .proto file name, got %s", vu.format(a)))
		}
		files = append(files, a.String())
	}
	if len(files) == 0 {
		panic(rt.NewTypeError("client.load(importPaths, ...files): no .proto file given"))
	}
	p, err := vu.s.loadProtos(files, dirs)
	if err != nil {
		panic(vu.jsError("client.load: " + err.Error()))
	}
	cl.protos = append(cl.protos, p)
	return goja.Undefined()
}

// connect implements client.connect(address, params): the connection is
// made through jsload/grpc's dial (it connects on the first call).
func (cl *k6GRPCClient) connect(c goja.FunctionCall) goja.Value {
	vu, rt := cl.vu, cl.vu.rt
	addr := c.Argument(0)
	opts := rt.NewObject() // jsload/grpc's connect options
	reflect := false
	if p := c.Argument(1); !isNullish(p) {
		po, ok := p.(*goja.Object)
		if !ok || isArray(po) {
			panic(rt.NewTypeError("client.connect(address, params): params must be an object like { %s }", strings.Join(k6GRPCConnectParams, ", ")))
		}
		err := eachSet(po, func(k string, v goja.Value) error {
			switch k {
			case "plaintext":
				must(opts.Set("plaintext", v.ToBoolean()))
			case "timeout":
				d, err := k6Duration(v)
				if err != nil {
					return fmt.Errorf("timeout %v", err)
				}
				must(opts.Set("connectTimeout", d.String()))
			case "reflect":
				reflect = v.ToBoolean()
			case "tls":
				t, err := cl.tls(v)
				if err != nil {
					return err
				}
				must(opts.Set("tls", t))
			default:
				return fmt.Errorf("unknown param %q%s (jsload reads %s)", k, config.DidYouMean(k, k6GRPCConnectParams), strings.Join(k6GRPCConnectParams, ", "))
			}
			return nil
		})
		if err != nil {
			panic(rt.NewTypeError("client.connect(%s): %v", addr.String(), err))
		}
	}
	if !reflect && len(cl.protos) == 0 {
		panic(rt.NewTypeError("client.connect(%s): no .proto files loaded: call client.load(importPaths, ...files) in the init code, or connect with { reflect: true }", addr.String()))
	}
	cl.close()
	conn := vu.dialGRPC(goja.FunctionCall{This: goja.Undefined(), Arguments: []goja.Value{addr, opts}}, false)
	conn.protos = cl.protos
	cl.conn = conn
	if reflect {
		ps := &vu.s.protos
		key := "reflect\x00" + addr.String()
		ps.mu.Lock()
		r, ok := ps.compiled[key]
		ps.mu.Unlock()
		if !ok {
			ctx, cancel := context.WithTimeout(vu.ctx, 30*time.Second)
			r.p, r.err = conn.cc.Reflect(ctx)
			cancel()
			if vu.ctx.Err() != nil {
				vu.rt.Interrupt(errStopped)
				return goja.Undefined()
			}
			ps.remember(key, r)
		}
		if r.err != nil {
			panic(vu.jsError(fmt.Sprintf("client.connect(%s) with reflect: %v", addr.String(), r.err)))
		}
		conn.protos = append([]*grpcc.Protos{r.p}, conn.protos...)
	}
	return goja.Undefined()
}

// tls turns k6's tls param ({ cert, key, cacerts }: PEM text, as k6 reads
// it, or jsload's file names) into jsload/grpc's ({ cert, key, ca }).
func (cl *k6GRPCClient) tls(v goja.Value) (*goja.Object, error) {
	rt := cl.vu.rt
	o, ok := v.(*goja.Object)
	if !ok || isArray(o) {
		return nil, fmt.Errorf("tls must be an object like { %s }", strings.Join(k6GRPCTLSParams, ", "))
	}
	out := rt.NewObject()
	err := eachSet(o, func(k string, x goja.Value) error {
		switch k {
		case "cert", "key":
			must(out.Set(k, x.String()))
		case "cacerts":
			list, ok := stringList(x)
			if !ok {
				return errors.New("tls.cacerts must be a PEM string or an array of them")
			}
			must(out.Set("ca", strings.Join(list, "\n")))
		case "password":
			return errors.New("tls.password (an encrypted key) is not supported by jsload yet: give the key unencrypted")
		default:
			return fmt.Errorf("tls has an unknown key %q%s (jsload reads %s)", k, config.DidYouMean(k, k6GRPCTLSParams), strings.Join(k6GRPCTLSParams, ", "))
		}
		return nil
	})
	return out, err
}

// close closes the client's connection, if any.
func (cl *k6GRPCClient) close() {
	if cl.conn == nil {
		return
	}
	_ = cl.conn.cc.Close()
	if g := cl.vu.grpc; g != nil {
		for i, c := range g.conns {
			if c == cl.conn.cc {
				g.conns = append(g.conns[:i], g.conns[i+1:]...)
				break
			}
		}
	}
	cl.conn = nil
}

// invoke implements client.invoke(method, request, params): a unary call,
// recorded, whose response is { status, message, headers, trailers, error }.
func (cl *k6GRPCClient) invoke(what string, c goja.FunctionCall) goja.Value {
	vu, rt := cl.vu, cl.vu.rt
	method := c.Argument(0)
	if cl.conn == nil {
		panic(rt.NewTypeError("client.%s(%s): the client is not connected: call client.connect(address, params) first", what, method.String()))
	}
	jp := rt.NewObject() // jsload/grpc's call params
	timeout := k6GRPCDefaultTimeout
	if p := c.Argument(2); !isNullish(p) {
		po, ok := p.(*goja.Object)
		if !ok || isArray(po) {
			panic(rt.NewTypeError("client.%s(method, request, params): params must be an object like { %s }", what, strings.Join(k6GRPCInvokeParams, ", ")))
		}
		err := eachSet(po, func(k string, v goja.Value) (err error) {
			switch k {
			case "metadata":
				must(jp.Set("metadata", v))
			case "tags":
				var name string
				if name, err = k6WSName(v); err == nil && name != "" {
					must(jp.Set("name", name))
				}
			case "timeout":
				if timeout, err = k6Duration(v); err != nil {
					err = fmt.Errorf("timeout %v", err)
				}
			default:
				return fmt.Errorf("unknown param %q%s (jsload reads %s)", k, config.DidYouMean(k, k6GRPCInvokeParams), strings.Join(k6GRPCInvokeParams, ", "))
			}
			return err
		})
		if err != nil {
			panic(rt.NewTypeError("client.%s(%s): %v", what, method.String(), err))
		}
	}
	conn := cl.conn
	p := conn.prepare(callInvoke, method, jp)
	p.call.Timeout = timeout
	req := conn.message(p, c.Argument(1))
	res := conn.cc.Run(vu.ctx, p.call, []proto.Message{req})
	errText, ok := conn.recordResult(p, res)
	if !ok {
		return goja.Undefined()
	}
	o := rt.NewObject()
	code := res.Status.Code()
	must(o.Set("status", int(code)))
	if code == codes.OK && len(res.Messages) > 0 {
		must(o.Set("message", conn.toJS(res.Messages[len(res.Messages)-1])))
	} else {
		must(o.Set("message", goja.Null()))
	}
	must(o.Set("headers", k6Metadata(res.Header)))
	must(o.Set("trailers", k6Metadata(res.Trailer)))
	if code == codes.OK {
		must(o.Set("error", goja.Null()))
	} else {
		e := rt.NewObject()
		must(e.Set("code", int(code)))
		must(e.Set("message", res.Status.Message()))
		must(e.Set("details", []any{}))
		must(o.Set("error", e))
	}
	if errText != "" {
		vu.abortOnFailure()
	}
	return o
}

// k6Metadata is metadata as k6 gives it: names to arrays of values.
func k6Metadata(md metadata.MD) map[string]any {
	o := make(map[string]any, len(md))
	for k, v := range md {
		vals := make([]any, len(v))
		for i, s := range v {
			vals[i] = s
		}
		o[k] = vals
	}
	return o
}
