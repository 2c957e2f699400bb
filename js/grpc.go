package js

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/grpcc"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
)

// The "jsload/grpc" module: grpc.load(files, { importPaths }) compiles
// .proto files once per script; grpc.connect(target, options) makes a
// connection of the user, whose calls record themselves as type "gRPC",
// name "/package.Service/Method".

// grpcType is the type column of gRPC samples.
const grpcType = "gRPC"

// maxGRPCConns bounds the connections one user makes: they last as long as
// the user.
const maxGRPCConns = 100

var grpcConnectOptions = []string{"protos", "plaintext", "tls", "timeout", "connectTimeout", "metadata"}

var grpcCallParams = []string{"metadata", "timeout", "name"}

// protoStore holds the .proto files a script compiled, for all its VUs,
// and their sources: a cluster's master sends them to workers with the
// bundle (Bundle.Protos), and workers read them from there.
type protoStore struct {
	mu         sync.Mutex
	src        map[string]string // by path relative to the script's directory (slashes)
	fromBundle bool              // src came with the bundle: read no file
	disk       []string          // the files read from disk (absolute paths)
	compiled   map[string]protoResult
}

type protoResult struct {
	p   *grpcc.Protos
	err error
}

// remember keeps a compiled (or failed) set of protos under key.
func (ps *protoStore) remember(key string, r protoResult) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.compiled == nil {
		ps.compiled = map[string]protoResult{}
	}
	ps.compiled[key] = r
}

// diskFiles are the .proto files read from disk so far.
func (ps *protoStore) diskFiles() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return slices.Clone(ps.disk)
}

// sources is a copy of the sources read so far.
func (ps *protoStore) sources() map[string]string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if len(ps.src) == 0 {
		return nil
	}
	m := make(map[string]string, len(ps.src))
	for k, v := range ps.src {
		m[k] = v
	}
	return m
}

// loadProtos compiles files once per script (by files and import paths).
func (s *Script) loadProtos(files, importPaths []string) (*grpcc.Protos, error) {
	ps := &s.protos
	key := strings.Join(files, "\x00") + "\x01" + strings.Join(importPaths, "\x00")
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if r, ok := ps.compiled[key]; ok {
		return r.p, r.err
	}
	dir := filepath.Dir(s.Path)
	dirs := make([]string, len(importPaths))
	for i, d := range importPaths {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		dirs[i] = d
	}
	if len(dirs) == 0 {
		dirs = []string{dir}
	}
	// read is called with ps.mu held, from the compiler's goroutines.
	read := func(p string) ([]byte, error) {
		rel := p
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			rel = r
		}
		rel = filepath.ToSlash(rel)
		if src, ok := ps.src[rel]; ok {
			return []byte(src), nil
		}
		if ps.fromBundle {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if ps.src == nil {
			ps.src = map[string]string{}
		}
		ps.src[rel] = string(b)
		if a, err := filepath.Abs(p); err == nil {
			ps.disk = append(ps.disk, a)
		}
		return b, nil
	}
	p, err := grpcc.Compile(context.Background(), files, dirs, read)
	if err != nil && ps.fromBundle {
		err = fmt.Errorf("%w (workers get the .proto files that grpc.load read at the script's top level on the master)", err)
	}
	if ps.compiled == nil {
		ps.compiled = map[string]protoResult{}
	}
	ps.compiled[key] = protoResult{p, err}
	return p, err
}

// jsError is a JS Error with msg, to throw.
func (vu *VU) jsError(msg string) *goja.Object {
	o, err := vu.rt.New(vu.rt.Get("Error"), vu.rt.ToValue(msg))
	if err != nil {
		panic(err)
	}
	return o
}

// vuGRPC is a VU's side of the module: its module object, the protos it
// loaded and its connections.
type vuGRPC struct {
	mod    *goja.Object
	loaded []*grpcc.Protos
	objs   map[*goja.Object]*grpcc.Protos
	conns  []*grpcc.Conn
	// streams are the stream() calls not known to be recorded yet: those
	// still open when the user stops are counted as cut off.
	streams []*bool
}

func (vu *VU) grpcState() *vuGRPC {
	if vu.grpc == nil {
		vu.grpc = &vuGRPC{objs: map[*goja.Object]*grpcc.Protos{}}
	}
	return vu.grpc
}

// closeGRPC closes the user's connections.
func (vu *VU) closeGRPC() {
	if vu.grpc == nil {
		return
	}
	for _, c := range vu.grpc.conns {
		_ = c.Close()
	}
	vu.grpc.conns = nil
	n := int64(0)
	for _, recorded := range vu.grpc.streams {
		if !*recorded {
			*recorded = true
			n++
		}
	}
	if n > 0 {
		vu.rec.RecordCutOff(n) // open when the user stopped
	}
	vu.grpc.streams = nil
}

// grpcExports are the names "jsload/grpc" exports.
var grpcExports = []string{"load", "connect", "reflect"}

// grpcModule is require("jsload/grpc").
func (vu *VU) grpcModule() goja.Value {
	g := vu.grpcState()
	if g.mod == nil {
		rt := vu.rt
		g.mod = rt.NewObject()
		must(g.mod.Set("load", vu.grpcLoad))
		must(g.mod.Set("connect", vu.grpcConnect))
		must(g.mod.Set("reflect", vu.grpcReflect))
	}
	return g.mod
}

// stringList reads a string or an array of strings.
func stringList(v goja.Value) ([]string, bool) {
	if isNullish(v) {
		return nil, true
	}
	if goja.IsString(v) {
		return []string{v.String()}, true
	}
	o, ok := v.(*goja.Object)
	if !ok || !isArray(o) {
		return nil, false
	}
	var out []string
	for _, x := range o.Export().([]any) {
		s, ok := x.(string)
		if !ok || s == "" {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// grpcLoad implements grpc.load(files, { importPaths }).
func (vu *VU) grpcLoad(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	files, ok := stringList(c.Argument(0))
	if !ok || len(files) == 0 {
		panic(rt.NewTypeError("grpc.load(files, { importPaths }): files must be a .proto file name or an array of them, got %s", vu.format(c.Argument(0))))
	}
	var dirs []string
	if o, isObj := c.Argument(1).(*goja.Object); isObj {
		err := eachSet(o, func(k string, v goja.Value) error {
			if k != "importPaths" {
				return fmt.Errorf("unknown option %q%s (known: importPaths)", k, config.DidYouMean(k, []string{"importPaths"}))
			}
			if dirs, ok = stringList(v); !ok {
				return errors.New("importPaths must be a folder or an array of folders, relative to the script")
			}
			return nil
		})
		if err != nil {
			panic(rt.NewTypeError("grpc.load: %v", err))
		}
	} else if !isNullish(c.Argument(1)) {
		panic(rt.NewTypeError("grpc.load(files, { importPaths }): options must be an object"))
	}
	p, err := vu.s.loadProtos(files, dirs)
	if err != nil {
		panic(vu.jsError("grpc.load: " + err.Error()))
	}
	return vu.protosObject(p)
}

// grpcConnect implements grpc.connect(target, options).
func (vu *VU) grpcConnect(c goja.FunctionCall) goja.Value {
	return vu.dialGRPC(c, true).object()
}

// grpcReflect implements grpc.reflect(target, options): the server's
// methods by server reflection, asked once per script and target.
func (vu *VU) grpcReflect(c goja.FunctionCall) goja.Value {
	target := c.Argument(0).String()
	ps := &vu.s.protos
	key := "reflect\x00" + target
	ps.mu.Lock()
	r, ok := ps.compiled[key]
	ps.mu.Unlock()
	if !ok {
		conn := vu.dialGRPC(c, false)
		ctx, cancel := context.WithTimeout(vu.ctx, 30*time.Second)
		r.p, r.err = conn.cc.Reflect(ctx)
		cancel()
		_ = conn.cc.Close()
		g := vu.grpc
		g.conns = g.conns[:len(g.conns)-1]
		if vu.ctx.Err() != nil {
			vu.rt.Interrupt(errStopped)
			return goja.Undefined()
		}
		ps.remember(key, r)
	}
	if r.err != nil {
		panic(vu.jsError(fmt.Sprintf("grpc.reflect(%s): %v", target, r.err)))
	}
	return vu.protosObject(r.p)
}

// protosObject is the { methods } object of p that calls find it by.
func (vu *VU) protosObject(p *grpcc.Protos) goja.Value {
	g := vu.grpcState()
	g.loaded = append(g.loaded, p)
	obj := vu.rt.NewObject()
	must(obj.Set("methods", p.Methods()))
	g.objs[obj] = p
	return obj
}

// dialGRPC reads grpc.connect's (or grpc.reflect's) arguments and makes a
// connection of the user.
func (vu *VU) dialGRPC(c goja.FunctionCall, needProtos bool) *grpcConn {
	rt := vu.rt
	g := vu.grpcState()
	target := c.Argument(0)
	if !goja.IsString(target) || target.String() == "" {
		panic(rt.NewTypeError("grpc.connect(target, options): target must be \"host:port\", got %s", vu.format(target)))
	}
	if len(g.conns) >= maxGRPCConns {
		panic(rt.NewTypeError("grpc.connect(): a user may make at most %d connections (they last as long as the user: make them once, at the top level or in onStart)", maxGRPCConns))
	}
	conn := &grpcConn{vu: vu}
	opts := grpcc.Options{UserAgent: vu.env.HTTP.UserAgent}
	tlsOpts := &jsClient{vu: vu, opts: &httpc.Options{TLS: vu.env.HTTP.TLS}}
	hasTLS := false
	if o, ok := c.Argument(1).(*goja.Object); ok {
		err := eachSet(o, func(k string, v goja.Value) (err error) {
			switch k {
			case "protos":
				err = conn.setProtos(v)
			case "plaintext":
				opts.Plaintext = v.ToBoolean()
			case "tls":
				err = tlsOpts.configureTLS(v)
				hasTLS = true
			case "timeout":
				conn.timeout, err = durationParam(v)
			case "connectTimeout":
				opts.ConnectTimeout, err = durationParam(v)
			case "metadata":
				conn.md, err = vu.grpcMetadata(v)
			default:
				return fmt.Errorf("unknown option %q%s (known: %s)", k, config.DidYouMean(k, grpcConnectOptions), strings.Join(grpcConnectOptions, ", "))
			}
			if err != nil {
				if m := err.Error(); strings.HasPrefix(m, ".") {
					return fmt.Errorf("%s%s", k, m)
				}
				return fmt.Errorf("%s %v", k, err)
			}
			return nil
		})
		if err != nil {
			panic(rt.NewTypeError("grpc.connect(%s): %v", target.String(), err))
		}
	} else if !isNullish(c.Argument(1)) {
		panic(rt.NewTypeError("grpc.connect(target, options): options must be an object"))
	}
	if opts.Plaintext && hasTLS {
		panic(rt.NewTypeError("grpc.connect(%s): plaintext: true and tls go apart (plaintext sends no TLS)", target.String()))
	}
	if conn.protos == nil && needProtos {
		if len(g.loaded) == 0 {
			panic(rt.NewTypeError("grpc.connect(%s): no .proto files loaded: call grpc.load(files) or grpc.reflect(target) at the script's top level first", target.String()))
		}
		conn.protos = g.loaded
	}
	if !opts.Plaintext {
		cfg, err := tlsOpts.opts.TLS.Config()
		if err != nil {
			panic(rt.NewTypeError("grpc.connect(%s): %v", target.String(), err))
		}
		opts.TLS = cfg
	}
	cc, err := grpcc.Dial(target.String(), opts)
	if err != nil {
		panic(rt.NewTypeError("grpc.connect: %v", err))
	}
	conn.cc = cc
	g.conns = append(g.conns, cc)
	return conn
}

// grpcMetadata reads metadata: an object of names to a string or an array
// of strings.
func (vu *VU) grpcMetadata(v goja.Value) (metadata.MD, error) {
	o, ok := v.(*goja.Object)
	if !ok || isArray(o) {
		return nil, errors.New("must be an object of names to a string or an array of strings")
	}
	md := metadata.MD{}
	for _, k := range o.Keys() {
		x := o.Get(k)
		if isNullish(x) {
			continue
		}
		if xo, ok := x.(*goja.Object); ok && isArray(xo) {
			for _, e := range xo.Export().([]any) {
				md.Append(k, fmt.Sprint(e))
			}
			continue
		}
		md.Append(k, x.String())
	}
	return md, nil
}

// grpcConn is a connection as scripts see it.
type grpcConn struct {
	vu      *VU
	cc      *grpcc.Conn
	protos  []*grpcc.Protos
	timeout time.Duration
	md      metadata.MD
}

func (c *grpcConn) setProtos(v goja.Value) error {
	g := c.vu.grpcState()
	one := func(x goja.Value) error {
		o, ok := x.(*goja.Object)
		p := g.objs[o]
		if !ok || p == nil {
			return errors.New("must be what grpc.load(...) returned, or an array of such")
		}
		c.protos = append(c.protos, p)
		return nil
	}
	if o, ok := v.(*goja.Object); ok && isArray(o) {
		for _, k := range o.Keys() {
			if err := one(o.Get(k)); err != nil {
				return err
			}
		}
		return nil
	}
	return one(v)
}

// callKind is which function a script called.
type callKind int

const (
	callInvoke callKind = iota
	callServerStream
	callClientStream
	callBidiStream
	callStream
)

var callFuncs = [...]string{"invoke", "serverStream", "clientStream", "bidiStream", "stream"}

// funcFor is the function for a method of kind k.
func funcFor(k grpcc.Kind) string {
	return [...]string{"invoke", "serverStream", "clientStream", "bidiStream"}[k]
}

func (c *grpcConn) object() *goja.Object {
	rt := c.vu.rt
	o := rt.NewObject()
	must(o.Set("target", c.cc.Target))
	must(o.Set("invoke", func(call goja.FunctionCall) goja.Value {
		return c.call(callInvoke, call.Argument(0), []goja.Value{call.Argument(1)}, call.Argument(2))
	}))
	must(o.Set("serverStream", func(call goja.FunctionCall) goja.Value {
		return c.call(callServerStream, call.Argument(0), []goja.Value{call.Argument(1)}, call.Argument(2))
	}))
	many := func(k callKind) func(call goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			var msgs []goja.Value
			a, ok := call.Argument(1).(*goja.Object)
			if !ok || !isArray(a) {
				panic(rt.NewTypeError("conn.%s(method, messages, params): messages must be an array", callFuncs[k]))
			}
			for _, key := range a.Keys() {
				msgs = append(msgs, a.Get(key))
			}
			return c.call(k, call.Argument(0), msgs, call.Argument(2))
		}
	}
	must(o.Set("clientStream", many(callClientStream)))
	must(o.Set("bidiStream", many(callBidiStream)))
	must(o.Set("stream", func(call goja.FunctionCall) goja.Value {
		return c.openStream(call.Argument(0), call.Argument(1))
	}))
	must(o.Set("close", func(goja.FunctionCall) goja.Value {
		_ = c.cc.Close()
		return goja.Undefined()
	}))
	return o
}

// prepared is a call ready to go: its method, stats name and options.
type prepared struct {
	call grpcc.Call
	name string
	kind grpcc.Kind
}

// prepare finds the method and reads the call's params; problems are
// thrown as TypeErrors that say what exists.
func (c *grpcConn) prepare(k callKind, methodV, paramsV goja.Value) prepared {
	rt := c.vu.rt
	name := methodV.String()
	if isNullish(methodV) || name == "" {
		panic(rt.NewTypeError("conn.%s(method, ...): method must be \"package.Service/Method\"", callFuncs[k]))
	}
	var p prepared
	var known []string
	for _, ps := range c.protos {
		if m, ok := ps.Method(name); ok {
			p.call.Method = m
			break
		}
		known = append(known, ps.Methods()...)
	}
	if p.call.Method == nil {
		sort.Strings(known)
		panic(rt.NewTypeError("grpc: no method %q in the loaded .proto files%s; methods: %s", name, config.DidYouMean(strings.TrimPrefix(name, "/"), known), strings.Join(known, ", ")))
	}
	p.kind = grpcc.KindOf(p.call.Method)
	full := grpcc.FullMethod(p.call.Method)
	switch {
	case k == callStream && p.kind == grpcc.Unary:
		panic(rt.NewTypeError("grpc: %s is a unary method: call it with conn.invoke(...)", full))
	case k != callStream && funcFor(p.kind) != callFuncs[k]:
		panic(rt.NewTypeError("grpc: %s is a %s method: call it with conn.%s(...), not conn.%s", full, p.kind, funcFor(p.kind), callFuncs[k]))
	}
	p.name = full
	p.call.Timeout = c.timeout
	p.call.Metadata = c.md
	if o, ok := paramsV.(*goja.Object); ok {
		err := eachSet(o, func(key string, v goja.Value) (err error) {
			switch key {
			case "metadata":
				var md metadata.MD
				if md, err = c.vu.grpcMetadata(v); err == nil {
					p.call.Metadata = metadata.Join(c.md, md)
				}
			case "timeout":
				p.call.Timeout, err = durationParam(v)
			case "name":
				p.name = v.String()
			default:
				return fmt.Errorf("unknown param %q%s (known: %s)", key, config.DidYouMean(key, grpcCallParams), strings.Join(grpcCallParams, ", "))
			}
			if err != nil {
				return fmt.Errorf("%s %v", key, err)
			}
			return nil
		})
		if err != nil {
			panic(rt.NewTypeError("grpc %s: %v", full, err))
		}
	} else if !isNullish(paramsV) {
		panic(rt.NewTypeError("grpc %s: params must be an object like { metadata, timeout, name }", full))
	}
	return p
}

// message turns a JS value into a request message of the method.
func (c *grpcConn) message(p prepared, v goja.Value) proto.Message {
	vu := c.vu
	var js []byte
	if !isNullish(v) {
		if _, ok := v.(*goja.Object); !ok {
			panic(vu.rt.NewTypeError("grpc %s: a message must be an object, got %s", grpcc.FullMethod(p.call.Method), vu.format(v)))
		}
		s, err := vu.jsonStr(goja.Undefined(), v)
		if err != nil {
			panic(err)
		}
		js = []byte(s.String())
	}
	m, err := grpcc.Decode(p.call.Method.Input(), js)
	if err != nil {
		panic(vu.rt.NewTypeError("grpc %s: %v", grpcc.FullMethod(p.call.Method), err))
	}
	return m
}

// call makes a whole call, records it and returns its result object.
func (c *grpcConn) call(k callKind, methodV goja.Value, msgs []goja.Value, paramsV goja.Value) goja.Value {
	p := c.prepare(k, methodV, paramsV)
	reqs := make([]proto.Message, len(msgs))
	for i, m := range msgs {
		reqs[i] = c.message(p, m)
	}
	res := c.cc.Run(c.vu.ctx, p.call, reqs)
	return c.finish(p, res)
}

// finish records a finished call and makes its result object: { ok,
// status, code, error, message, messages, headers, trailers, duration }.
func (c *grpcConn) finish(p prepared, res *grpcc.Result) goja.Value {
	vu := c.vu
	rt := vu.rt
	errText, ok := c.recordResult(p, res)
	if !ok {
		return goja.Undefined()
	}
	o := rt.NewObject()
	must(o.Set("ok", errText == ""))
	must(o.Set("status", grpcc.CodeName(res.Status.Code())))
	must(o.Set("code", int(res.Status.Code())))
	if errText == "" {
		must(o.Set("error", goja.Null()))
	} else {
		must(o.Set("error", errText))
	}
	msgs := make([]any, len(res.Messages))
	for i, m := range res.Messages {
		msgs[i] = c.toJS(m)
	}
	if len(msgs) > 0 {
		must(o.Set("message", msgs[len(msgs)-1]))
	} else {
		must(o.Set("message", goja.Null()))
	}
	if p.kind == grpcc.ServerStream || p.kind == grpcc.BidiStream {
		must(o.Set("messages", msgs))
	}
	must(o.Set("headers", mdObject(res.Header)))
	must(o.Set("trailers", mdObject(res.Trailer)))
	must(o.Set("duration", float64(res.Duration)/float64(time.Millisecond)))
	if vu.lis != nil && len(vu.lis.fns[evRequest]) > 0 {
		vu.emitRequest(&requestEvent{typ: grpcType, name: p.name, duration: res.Duration, size: res.Size, errText: errText,
			url: c.cc.Target + grpcc.FullMethod(p.call.Method), status: int(res.Status.Code()), start: time.Now().Add(-res.Duration), response: o})
	}
	if errText != "" {
		vu.abortOnFailure()
	}
	return o
}

// recordResult records a finished call; false when the test stopped
// while it was in flight (counted apart, and the task ends).
func (c *grpcConn) recordResult(p prepared, res *grpcc.Result) (string, bool) {
	vu := c.vu
	if vu.ctx.Err() != nil && res.Status.Code() != codes.OK {
		vu.rec.RecordCutOff(1) // in flight when the test stopped: counted apart
		vu.rt.Interrupt(errStopped)
		return "", false
	}
	errText := res.Err()
	vu.rec.Record(stats.Sample{
		Type: grpcType, Name: p.name, Duration: res.Duration,
		Size: res.Size, Err: errText, Scheduled: vu.sched(res.Duration),
	})
	if vu.env.Verbose != nil {
		vu.traceEvent(grpcType, p.name, float64(res.Duration)/float64(time.Millisecond), res.Size, errText)
	}
	return errText, true
}

// toJS is a message as a JS value (protojson's JSON mapping).
func (c *grpcConn) toJS(m proto.Message) goja.Value {
	b, err := grpcc.Encode(m)
	if err != nil {
		panic(c.vu.jsError(err.Error()))
	}
	v, err := c.vu.jsonParse(goja.Undefined(), c.vu.rt.ToValue(string(b)))
	if err != nil {
		panic(err)
	}
	return v
}

// mdObject is metadata as an object of names to values (several values
// of a name joined with ", ").
func mdObject(md metadata.MD) map[string]any {
	o := make(map[string]any, len(md))
	for k, v := range md {
		o[k] = strings.Join(v, ", ")
	}
	return o
}

// openStream implements conn.stream(method, params): a streaming call the
// script drives with send, recv, closeSend, end and close. It is recorded
// once, when it ends.
func (c *grpcConn) openStream(methodV, paramsV goja.Value) goja.Value {
	vu := c.vu
	rt := vu.rt
	p := c.prepare(callStream, methodV, paramsV)
	s, err := c.cc.Stream(vu.ctx, p.call)
	var failed goja.Value
	if err != nil {
		// The call could not start: recorded now, and every method of the
		// stream says so.
		res := &grpcc.Result{Status: c.cc.StatusOf(err)}
		failed = c.finish(p, res)
	}
	o := rt.NewObject()
	recorded := failed != nil
	if !recorded {
		g := vu.grpc
		g.streams = slices.DeleteFunc(g.streams, func(r *bool) bool { return *r })
		g.streams = append(g.streams, &recorded)
	}
	end := func() goja.Value {
		if recorded {
			return failed
		}
		recorded = true
		failed = c.finish(p, s.Result())
		return failed
	}
	check := func() {
		if s != nil && s.Done() && !recorded {
			end()
		}
	}
	must(o.Set("send", func(call goja.FunctionCall) goja.Value {
		if s == nil || s.Done() {
			check()
			return rt.ToValue(false)
		}
		m := c.message(p, call.Argument(0))
		err := s.Send(m)
		check()
		return rt.ToValue(err == nil)
	}))
	must(o.Set("recv", func(goja.FunctionCall) goja.Value {
		if s == nil {
			return goja.Null()
		}
		m, err := s.Recv()
		if err != nil {
			check()
			return goja.Null()
		}
		check()
		return c.toJS(m)
	}))
	must(o.Set("closeSend", func(goja.FunctionCall) goja.Value {
		if s != nil {
			_ = s.CloseSend()
		}
		return goja.Undefined()
	}))
	must(o.Set("end", func(goja.FunctionCall) goja.Value {
		if s != nil {
			_ = s.CloseSend()
			for !s.Done() {
				if _, err := s.Recv(); err != nil {
					break
				}
			}
		}
		return end()
	}))
	must(o.Set("close", func(goja.FunctionCall) goja.Value {
		if s != nil {
			s.Cancel()
		}
		return end()
	}))
	return o
}

// GRPCMethods are the gRPC methods of the .proto files the script loaded
// at its top level, sorted ("package.Service/Method"): what inspect lists.
func (s *Script) GRPCMethods() []string {
	ps := &s.protos
	ps.mu.Lock()
	defer ps.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, r := range ps.compiled {
		if r.p == nil {
			continue
		}
		for _, m := range r.p.Methods() {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out
}
