package js

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
)

// k6 scripts: the modules "k6", "k6/http", "k6/data", "k6/encoding" and
// "k6/crypto" are jsload's own Go implementations with k6's names and
// argument shapes (matched from k6's documentation). Any other "k6/..."
// module is a load error (checkImports) naming it as not supported.

// k6Modules are the k6 modules jsload serves, with their exports (for the
// import check).
func k6Modules() map[string][]string {
	mods := map[string][]string{}
	for _, e := range k6Table {
		mods["k6"] = append(mods["k6"], e.name)
	}
	for _, m := range k6HTTPMethods {
		mods["k6/http"] = append(mods["k6/http"], m.name)
	}
	mods["k6/http"] = append(mods["k6/http"], "batch", "request", "asyncRequest")
	for _, e := range k6HTTPExtras {
		mods["k6/http"] = append(mods["k6/http"], e.name)
	}
	mods["k6/data"] = []string{"SharedArray"}
	mods["k6/metrics"] = []string{"Counter", "Gauge", "Rate", "Trend"}
	mods["k6/execution"] = nil // a default export only
	for _, e := range k6EncodingTable {
		mods["k6/encoding"] = append(mods["k6/encoding"], e.name)
	}
	for _, e := range cryptoTable {
		mods["k6/crypto"] = append(mods["k6/crypto"], e.name)
	}
	k6ProtoModules(mods) // k6proto.go
	return mods
}

// k6Unsupported are k6 modules jsload knows of but does not serve yet,
// with what to use instead where there is something.
var k6Unsupported = map[string]string{
	"k6/html": "HTML parsing (parseHTML, response.html()) is not supported: read response.body, or use response.json(selector) for JSON",
}

// k6Require returns the k6 module name, or nil when name is not one.
func (vu *VU) k6Require(name string) goja.Value {
	switch name {
	case "k6":
		return vu.newLazy(k6Table)
	case "k6/http":
		return vu.newLazy(k6HTTPTable)
	case "k6/data":
		return vu.newLazy(k6DataTable)
	case "k6/metrics":
		return vu.newLazy(k6MetricsTable)
	case "k6/encoding":
		return vu.newLazy(k6EncodingTable)
	case "k6/crypto":
		return vu.newLazy(cryptoTable)
	case "k6/execution":
		return vu.rt.NewDynamicObject(&k6Exec{vu: vu})
	case "k6/ws", "k6/websockets", "k6/timers", "k6/net/grpc":
		return vu.k6ProtoRequire(name) // k6proto.go
	}
	return nil
}

// k6UnsupportedMessage is the load error for an import of a k6 module
// jsload does not serve.
func k6UnsupportedMessage(name string, served []string) string {
	msg := fmt.Sprintf("module %q is not supported by jsload", name)
	why, known := k6Unsupported[name]
	if known {
		msg += ": " + why
	} else if strings.HasPrefix(name, "k6/experimental/") {
		msg += ": k6's experimental modules are not supported"
		known = true
	}
	if !known {
		msg += config.DidYouMean(name, served)
	}
	return msg + fmt.Sprintf(" (jsload serves %s)", strings.Join(served, ", "))
}

// k6EncodingTable is k6/encoding: jsload/encoding's base64 functions,
// which take k6's arguments.
var k6EncodingTable = func() []lazyEntry {
	var t []lazyEntry
	for _, e := range encodingTable {
		if e.name == "b64encode" || e.name == "b64decode" {
			t = append(t, e)
		}
	}
	return t
}()

var k6Table = []lazyEntry{
	{name: "check", make: fn((*VU).check)},
	{name: "group", make: fn((*VU).k6Group)},
	{name: "sleep", make: fn((*VU).sleep)},
	{name: "fail", make: fn((*VU).k6Fail)},
	{name: "randomSeed", make: fn((*VU).k6RandomSeed)},
}

// k6Group implements group(name, fn): fn runs and its result is returned;
// its duration is recorded as a row of type GROUP named by the group's
// path ("::outer::inner", k6's group tag). An exception in fn is recorded
// as the row's failure and goes on to the caller, as in k6.
func (vu *VU) k6Group(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	name := c.Argument(0)
	fn, ok := goja.AssertFunction(c.Argument(1))
	if goja.IsUndefined(name) || !ok {
		panic(rt.NewTypeError("group(name, fn): a name and a function are required"))
	}
	if strings.Contains(name.String(), "::") {
		panic(rt.NewTypeError("group(%q, fn): a group name may not contain \"::\"", name.String()))
	}
	parent := vu.group
	vu.group = parent + "::" + name.String()
	defer func() { vu.group = parent }()
	t0 := time.Now()
	v, err := fn(goja.Undefined())
	d := time.Since(t0)
	if err != nil && isInterrupt(err) {
		panic(err)
	}
	s := stats.Sample{Type: "GROUP", Name: vu.group, Duration: d, Scheduled: vu.sched(d)}
	if err != nil {
		if ex, ok := err.(*goja.Exception); ok {
			s.Err = vu.errorText(ex.Value())
		} else {
			s.Err = err.Error()
		}
	}
	vu.rec.Record(s)
	if err != nil {
		panic(err)
	}
	return v
}

// k6Fail implements fail(msg): it throws an Error with msg, which ends the
// iteration (counted as an exception).
func (vu *VU) k6Fail(c goja.FunctionCall) goja.Value {
	msg := ""
	if a := c.Argument(0); !goja.IsUndefined(a) {
		msg = a.String()
	}
	ctor, _ := goja.AssertConstructor(vu.rt.Get("Error"))
	e, err := ctor(nil, vu.rt.ToValue(msg))
	if err != nil {
		panic(err)
	}
	panic(e)
}

// k6RandomSeed implements randomSeed(n): Math.random of this user gives
// the same sequence for the same seed.
func (vu *VU) k6RandomSeed(c goja.FunctionCall) goja.Value {
	n := c.Argument(0).ToInteger()
	r := rand.New(rand.NewPCG(uint64(n), uint64(n)^0x9e3779b97f4a7c15))
	vu.rt.SetRandSource(r.Float64)
	return goja.Undefined()
}

// k6HTTPMethods are k6/http's request functions; get and head take no body.
var k6HTTPMethods = []struct {
	name, method string
	body         bool
}{
	{"get", "GET", false}, {"head", "HEAD", false}, {"post", "POST", true}, {"put", "PUT", true},
	{"patch", "PATCH", true}, {"del", "DELETE", true}, {"options", "OPTIONS", true},
}

var k6HTTPTable = func() []lazyEntry {
	var t []lazyEntry
	for _, m := range k6HTTPMethods {
		t = append(t, lazyEntry{name: m.name, make: fn(func(vu *VU, c goja.FunctionCall) goja.Value {
			if m.body {
				return vu.k6Request(m.method, c.Argument(0), c.Argument(1), c.Argument(2))
			}
			return vu.k6Request(m.method, c.Argument(0), goja.Undefined(), c.Argument(1))
		})})
	}
	t = append(t, lazyEntry{name: "batch", make: fn((*VU).k6Batch)})
	request := func(vu *VU, c goja.FunctionCall) goja.Value {
		m := strings.ToUpper(c.Argument(0).String())
		if goja.IsUndefined(c.Argument(0)) || m == "" {
			panic(vu.rt.NewTypeError("http.request(method, url, body, params): method is required"))
		}
		return vu.k6Request(m, c.Argument(1), c.Argument(2), c.Argument(3))
	}
	t = append(t, lazyEntry{name: "request", make: fn(request)})
	t = append(t, lazyEntry{name: "asyncRequest", make: fn(func(vu *VU, c goja.FunctionCall) goja.Value {
		return vu.k6Settled(func() goja.Value { return request(vu, c) })
	})})
	return append(t, k6HTTPExtras...)
}()

// k6ParamNames are the k6 request params jsload reads.
var k6ParamNames = []string{"headers", "tags", "timeout", "redirects", "responseType", "cookies", "jar", "responseCallback", "auth", "compression", "throw"}

// k6Request sends a request with k6's argument shapes through the user's
// own client: body a string, an ArrayBuffer or an object (sent as a form,
// or multipart when it holds an http.file); params headers, tags
// (tags.name is the statistics name; other tags are not kept), timeout
// (milliseconds, or a duration string), redirects, responseType, cookies,
// jar, responseCallback, auth and compression (k6http.go).
func (vu *VU) k6Request(method string, urlV, body, paramsV goja.Value) goja.Value {
	kr := vu.k6Params(method, urlV, body, paramsV)
	return vu.rt.NewDynamicObject(vu.k6Send(kr))
}

// k6Params reads a k6 request's URL (a string or http.url's), body and
// params (see k6Request).
func (vu *VU) k6Params(method string, urlV, body, paramsV goja.Value) *k6Req {
	rt := vu.rt
	fname := strings.ToLower(method)
	if method == "DELETE" {
		fname = "del"
	}
	if urlV == nil || goja.IsUndefined(urlV) {
		panic(rt.NewTypeError("http.%s(url, ...): url is required", fname))
	}
	if !validMethod(method) {
		panic(rt.NewTypeError("http.request: %q is not a valid HTTP method", method))
	}
	bad := func(format string, a ...any) {
		panic(rt.NewTypeError("http.%s %s: %s", fname, k6MaskURL(urlV.String()), fmt.Sprintf(format, a...)))
	}
	p := &params{redirects: httpc.ClientRedirectLimit, record: true}
	kr := &k6Req{p: p, method: method, url: urlV.String(), throw: vu.k6State().throw}
	kr.resp = &kr.own
	if u, ok := urlV.Export().(*k6URLValue); ok {
		kr.url, p.name = u.url, u.name
	}
	if body != nil && !goja.IsUndefined(body) && !goja.IsNull(body) {
		switch b := body.Export().(type) {
		case goja.ArrayBuffer:
			p.body = b.Bytes()
		case []byte:
			p.body = b
		case string:
			p.body = []byte(b)
		default:
			o, ok := body.(*goja.Object)
			if !ok {
				p.body = []byte(body.String())
				break
			}
			if b, ct, ok := k6Multipart(o); ok {
				p.body = b
				p.setDefaultHeader("Content-Type", ct)
				break
			}
			p.body = []byte(toValues(o).Encode())
			p.setDefaultHeader("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if paramsV != nil && !goja.IsUndefined(paramsV) && !goja.IsNull(paramsV) {
		o, ok := paramsV.(*goja.Object)
		if !ok {
			bad("params must be an object, got %s", paramsV.String())
		}
		keys := o.Keys()
		// compression works on the body as the other params leave it
		if i := slices.Index(keys, "compression"); i >= 0 {
			keys = append(slices.Delete(keys, i, i+1), "compression")
		}
		for _, k := range keys {
			val := o.Get(k)
			if k == "responseCallback" && goja.IsNull(val) {
				p.judge = noCallback
				continue
			}
			if goja.IsUndefined(val) || goja.IsNull(val) {
				continue
			}
			switch k {
			case "headers":
				h, ok := val.(*goja.Object)
				if !ok {
					bad("params.headers must be an object")
				}
				if p.header == nil {
					p.header = http.Header{}
				}
				for _, hk := range h.Keys() {
					p.header.Set(hk, h.Get(hk).String())
				}
			case "tags":
				t, ok := val.(*goja.Object)
				if !ok {
					bad("params.tags must be an object")
				}
				for _, tk := range t.Keys() {
					tv := t.Get(tk)
					if tk == "name" {
						p.name = tv.String()
						continue
					}
					if p.tags == nil {
						p.tags = map[string]string{}
					}
					p.tags[tk] = tv.String()
				}
			case "timeout":
				d, err := k6Duration(val)
				if err != nil {
					bad("params.timeout %v", err)
				}
				p.timeout = d
			case "redirects":
				n := val.ToInteger()
				if n < 0 {
					bad("params.redirects must be >= 0, got %d", n)
				}
				p.redirects = httpc.RedirectLimit(min(n, 1<<31-1))
			case "responseType":
				keep := false // an explicit type keeps the body discardResponseBodies would drop
				switch val.String() {
				case "text":
					p.discard = &keep
				case "binary":
					p.binary = true
					kr.resp.binary = true
					p.discard = &keep
				case "none":
					d := true
					p.discard = &d
				default:
					bad("params.responseType must be \"text\", \"binary\" or \"none\", got %q", val.String())
				}
			default:
				if !vu.k6ReadParam(kr, k, val, bad) {
					bad("param %q is not supported%s (jsload reads %s)", k, config.DidYouMean(k, k6ParamNames), strings.Join(k6ParamNames, ", "))
				}
			}
		}
	}
	k6UserInfo(kr)
	return kr
}

// k6BatchParallel is how many requests of a batch are in flight at once
// (k6's default of its batch option).
const k6BatchParallel = 20

// k6Batch implements http.batch(requests): an array gives an array of
// responses, an object an object with the same keys. A request is a URL
// (GET), an array [method, url, body, params], or an object { method
// (GET), url, body, params }. The requests are sent in parallel (at most
// options.batch, default k6BatchParallel, at once) on the user's connections, and recorded in
// order once all are done.
func (vu *VU) k6Batch(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	list, ok := c.Argument(0).(*goja.Object)
	if !ok {
		panic(rt.NewTypeError("http.batch(requests): requests must be an array or an object"))
	}
	keys := list.Keys()
	isArray := list.ClassName() == "Array"
	st := vu.k6State()
	cl := vu.http
	prs := make([]preparedReq, len(keys))
	krs := make([]*k6Req, len(keys))
	for i, k := range keys {
		it := list.Get(k)
		method, urlV, body, params := "GET", goja.Undefined(), goja.Undefined(), goja.Undefined()
		switch o := it.(type) {
		case *goja.Object:
			if o.ClassName() == "Array" {
				arg := func(j int) goja.Value {
					if v := o.Get(strconv.Itoa(j)); v != nil {
						return v
					}
					return goja.Undefined()
				}
				method, urlV, body, params = strings.ToUpper(arg(0).String()), arg(1), arg(2), arg(3)
				break
			}
			for _, f := range o.Keys() {
				switch f {
				case "method":
					method = strings.ToUpper(o.Get(f).String())
				case "url":
					urlV = o.Get(f)
				case "body":
					body = o.Get(f)
				case "params":
					params = o.Get(f)
				default:
					panic(rt.NewTypeError("http.batch: request %s has %q, which is not one of method, url, body, params", k, f))
				}
			}
		default:
			if it == nil || goja.IsUndefined(it) || goja.IsNull(it) {
				panic(rt.NewTypeError("http.batch: request %s is empty", k))
			}
			urlV = it
		}
		if method == "GET" || method == "HEAD" {
			body = goja.Undefined()
		}
		kr := vu.k6Params(method, urlV, body, params)
		if kr.jar != nil || kr.digest {
			panic(rt.NewTypeError("http.batch: request %s: params.jar and auth \"digest\" are not supported in a batch by jsload (send it with http.request)", k))
		}
		if kr.p.judge == nil {
			kr.p.judge = st.judge
		}
		prs[i] = cl.prepare(method, kr.url, kr.p)
		if vu.k6Cookies(prs[i], kr, st) != st.jar {
			panic(rt.NewTypeError("http.batch: request %s: cookies with replace: true are not supported in a batch by jsload (send it with http.request)", k))
		}
		kr.resp.reqURL, kr.resp.reqHeader, kr.resp.reqBody = prs[i].req.URL, prs[i].req.Header, prs[i].req.Body
		kr.resp.trace.KeepLastRedirect = true
		prs[i].req.Trace = &kr.resp.trace
		krs[i] = kr
	}
	cl.hc.SetJar(st.jar)
	results := make([]*httpc.Response, len(prs))
	sem := make(chan struct{}, st.batch)
	var wg sync.WaitGroup
	ctx := vu.ctx
	for i, pr := range prs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			results[i] = cl.hc.Do(ctx, pr.req)
			<-sem
		}()
	}
	wg.Wait()
	var out *goja.Object
	if isArray {
		out = rt.NewArray()
	} else {
		out = rt.NewObject()
	}
	var rs []*response
	for i, pr := range prs {
		r := cl.finish(pr, results[i])
		r.k6 = krs[i].resp
		rs = append(rs, r)
		must(out.Set(keys[i], rt.NewDynamicObject(r)))
	}
	for i, r := range rs {
		vu.k6Throw(krs[i], r)
	}
	return out
}

// k6Duration reads a k6 timeout: a number of milliseconds, or a duration
// string such as "30s".
func k6Duration(v goja.Value) (time.Duration, error) {
	if goja.IsString(v) {
		if _, err := strconv.ParseFloat(v.String(), 64); err != nil {
			return durationParam(v)
		}
	}
	f := v.ToFloat()
	if !(f > 0) || f > 1e12 {
		return 0, fmt.Errorf("must be a number of milliseconds > 0 or a duration such as \"30s\", got %s", v.String())
	}
	return time.Duration(f * float64(time.Millisecond)), nil
}

// k6Get reads a response field under k6's name: status_text ("200 OK"),
// headers with canonical keys ("Content-Type"), timings in milliseconds
// (duration, waiting, receiving: what jsload's client measures), and
// error_code (1000 + status from 400, 1000 for a transport error, 0).
func (r *response) k6Get(key string) (goja.Value, bool) {
	rt := r.vu.rt
	if v, ok := r.k6Get2(key); ok {
		return v, true
	}
	switch key {
	case "status_text":
		if r.r.Status == 0 {
			return rt.ToValue(""), true
		}
		return rt.ToValue(strings.TrimSpace(strconv.Itoa(r.r.Status) + " " + r.r.StatusText)), true
	case "error":
		if r.r.Err == nil {
			return rt.ToValue(""), true
		}
		return rt.ToValue(r.r.ErrText), true
	case "body":
		if r.discarded {
			return goja.Null(), true
		}
		if r.k6.binary {
			if r.body == nil {
				r.body = rt.ToValue(rt.NewArrayBuffer(slices.Clone(r.r.Body)))
			}
			return r.body, true
		}
		return nil, false // jsload's text body
	case "headers":
		if r.headers == nil {
			h := rt.NewObject()
			for k, vs := range r.r.Header {
				must(h.Set(http.CanonicalHeaderKey(k), strings.Join(vs, ", ")))
			}
			r.headers = h
		}
		return r.headers, true
	}
	return nil, false
}

var k6DataTable = []lazyEntry{
	{name: "SharedArray", make: func(vu *VU) goja.Value {
		return vu.rt.ToValue(func(c goja.ConstructorCall) *goja.Object {
			return vu.sharedArray(goja.FunctionCall{This: goja.Undefined(), Arguments: c.Arguments}).(*goja.Object)
		})
	}},
}
