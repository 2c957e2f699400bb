package js

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
)

// ErrNoHost is the message of the exception thrown when a relative URL is
// used without a host.
const ErrNoHost = "a relative URL needs a host: pass --host (or -H), set options.host in the script, or a static host on the user class"

// params are a request's options, read from the JS params object.
type params struct {
	header    http.Header
	body      []byte
	name      string
	timeout   time.Duration
	redirects httpc.RedirectLimit
	catch     bool
	record    bool
	query     url.Values
	auth      string // the Authorization header of params.auth
	discard   *bool  // params.discardBody; nil for the client's default
	maxBody   int64  // params.maxBodySize; 0 for the client's
	binary    bool   // k6's responseType "binary": the body is an ArrayBuffer (k6.go)
	// judge, when set, replaces defaultError (k6's expected statuses).
	judge func(*httpc.Response) string

	// tags are k6's params.tags besides name (k6metrics.go).
	tags map[string]string
}

// paramNames are the keys of a request's params.
var paramNames = []string{"headers", "json", "body", "form", "query", "name", "timeout", "redirects", "catchResponse", "record", "auth", "discardBody", "maxBodySize"}

func (vu *VU) readParams(v goja.Value) (*params, error) {
	p := &params{}
	if err := vu.readParamsInto(p, v); err != nil {
		return nil, err
	}
	return p, nil
}

// readParamsInto is readParams into p, which it overwrites.
func (vu *VU) readParamsInto(p *params, v goja.Value) error {
	*p = params{redirects: httpc.ClientRedirectLimit, record: true}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	o, ok := v.(*goja.Object)
	if !ok {
		return fmt.Errorf("params must be an object, got %s", v.String())
	}
	for _, k := range o.Keys() {
		val := o.Get(k)
		if goja.IsUndefined(val) || goja.IsNull(val) {
			continue
		}
		switch k {
		case "headers":
			h, ok := val.(*goja.Object)
			if !ok {
				return errors.New("params.headers must be an object")
			}
			if p.header == nil {
				p.header = http.Header{}
			}
			for _, hk := range h.Keys() {
				p.header.Set(hk, h.Get(hk).String())
			}
		case "json":
			s, err := vu.jsonStr(goja.Undefined(), val)
			if err != nil {
				return fmt.Errorf("params.json: %s", vu.scriptError(err, "").Msg)
			}
			p.body = []byte(s.String())
			p.setDefaultHeader("Content-Type", "application/json")
		case "body":
			switch b := val.Export().(type) {
			case goja.ArrayBuffer:
				p.body = b.Bytes()
			case []byte:
				p.body = b
			default:
				p.body = []byte(val.String())
			}
		case "form":
			f, ok := val.(*goja.Object)
			if !ok {
				return errors.New("params.form must be an object")
			}
			p.body = []byte(toValues(f).Encode())
			p.setDefaultHeader("Content-Type", "application/x-www-form-urlencoded")
		case "query":
			q, ok := val.(*goja.Object)
			if !ok {
				return errors.New("params.query must be an object")
			}
			p.query = toValues(q)
		case "name":
			p.name = val.String()
		case "timeout":
			d, err := durationParam(val)
			if err != nil {
				return fmt.Errorf("params.timeout %v", err)
			}
			p.timeout = d
		case "redirects":
			n := val.ToInteger()
			if n < 0 {
				return fmt.Errorf("params.redirects must be >= 0, got %d", n)
			}
			p.redirects = httpc.RedirectLimit(min(n, 1<<31-1))
		case "catchResponse", "catch_response":
			p.catch = val.ToBoolean()
		case "record":
			p.record = val.ToBoolean()
		case "auth":
			a, err := basicAuth(val)
			if err != nil {
				return fmt.Errorf("params.auth %v", err)
			}
			p.auth = a
		case "discardBody":
			d := val.ToBoolean()
			p.discard = &d
		case "maxBodySize":
			n, err := sizeParam(val)
			if err != nil {
				return fmt.Errorf("params.maxBodySize %v", err)
			}
			p.maxBody = n
		default:
			return fmt.Errorf("unknown request param %q%s (known: %s)", k, config.DidYouMean(k, paramNames), strings.Join(paramNames, ", "))
		}
	}
	return nil
}

func (p *params) setDefaultHeader(k, v string) {
	if p.header == nil {
		p.header = http.Header{}
	}
	if p.header.Get(k) == "" {
		p.header.Set(k, v)
	}
}

// toValues turns {a: 1, b: [2, 3]} into url.Values.
func toValues(o *goja.Object) url.Values {
	vs := url.Values{}
	for _, k := range o.Keys() {
		v := o.Get(k)
		if arr, ok := v.Export().([]any); ok {
			for _, x := range arr {
				vs.Add(k, fmt.Sprint(x))
			}
			continue
		}
		vs.Add(k, v.String())
	}
	return vs
}

// resolve turns the script's URL into an absolute one and the default stats
// name: the path without its query for relative URLs, the URL without its
// query for absolute ones.
func (c *jsClient) resolve(raw string, q url.Values) (full, name string, err error) {
	vu := c.vu
	if len(q) == 0 && c.prefix != "" && c.baseFor == c.hostOf() {
		for _, e := range c.fulls {
			if e.raw == raw && e.full != "" {
				return e.full, pathOf(raw), nil
			}
		}
		if plainPath(raw) {
			full = c.prefix + raw
			c.fulls[c.nextFull] = struct{ raw, full string }{raw, full}
			c.nextFull = (c.nextFull + 1) % len(c.fulls)
			return full, pathOf(raw), nil
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("invalid URL %q: %v", raw, err)
	}
	if u.Scheme == "" {
		host := c.base
		if host == "" {
			host = vu.host
		}
		if host == "" {
			if vu.env.OnHostMissing != nil && !vu.hostWarned {
				vu.hostWarned = true
				vu.env.OnHostMissing()
			}
			return "", "", errors.New(ErrNoHost)
		}
		if c.baseURL == nil || c.baseFor != host {
			base, prefix, err := sharedBase(host)
			if err != nil {
				return "", "", fmt.Errorf("invalid host %q: %v", host, err)
			}
			c.baseURL, c.baseFor, c.prefix = base, host, prefix
			clear(c.fulls[:])
		}
		u = joinURL(c.baseURL, u)
		name = pathOf(raw)
	} else {
		n := *u
		n.RawQuery, n.Fragment = "", ""
		name = n.String()
	}
	if len(q) > 0 {
		if u.RawQuery != "" {
			u.RawQuery += "&" + q.Encode()
		} else {
			u.RawQuery = q.Encode()
		}
	}
	return u.String(), name, nil
}

// parsedBase is a base URL parsed, and its basePrefix.
type parsedBase struct {
	u      *url.URL
	prefix string
}

// sharedBases holds the base URLs that clients parsed (string to
// *parsedBase), read only (joinURL copies), for all of them: every user's
// client resolves against the same host, which then takes one copy, not
// one per user. Past maxSharedBases, a base is parsed for its client alone.
var (
	sharedBases  sync.Map
	nSharedBases atomic.Int32
)

const maxSharedBases = 64

// sharedBase parses a client's base URL (its baseURL or the VU's host).
func sharedBase(host string) (*url.URL, string, error) {
	if b, ok := sharedBases.Load(host); ok {
		b := b.(*parsedBase)
		return b.u, b.prefix, nil
	}
	share := nSharedBases.Load() < maxSharedBases
	if share {
		host = strings.Clone(host) // the URL's strings point into it
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, "", err
	}
	b := &parsedBase{u: u, prefix: basePrefix(u)}
	if share {
		if v, loaded := sharedBases.LoadOrStore(host, b); loaded {
			b = v.(*parsedBase)
		} else {
			nSharedBases.Add(1)
		}
	}
	return b.u, b.prefix, nil
}

// hostOf is the base URL of the client's relative URLs: its own, or the
// VU's host.
func (c *jsClient) hostOf() string {
	if c.base != "" {
		return c.base
	}
	return c.vu.host
}

// basePrefix is the URL that joinURL(base, rel) gives, as text, less rel's
// path and query, when that is what a plain path (plainPath) is appended
// to; "" when base is not a plain URL for which that holds.
func basePrefix(base *url.URL) string {
	if base.Opaque != "" || base.ForceQuery || base.Host == "" || base.Scheme == "" {
		return ""
	}
	return joinURL(base, &url.URL{}).String()
}

// plainPath reports whether raw is a path that url.Parse reads as it is
// and URL.String writes back unchanged: "/" then letters, digits and
// -._~$&+,/:;=@, then maybe a non-empty query of printable ASCII without
// '#'. For such a path, resolve's result is the base prefix followed by
// raw (FuzzResolveFast holds the two ways to that).
func plainPath(raw string) bool {
	if len(raw) == 0 || raw[0] != '/' || len(raw) > 1 && raw[1] == '/' {
		return false
	}
	i := 1
	for ; i < len(raw) && raw[i] != '?'; i++ {
		b := raw[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-._~$&+,/:;=@", b) >= 0) {
			return false
		}
	}
	if i == len(raw) {
		return true
	}
	if i == len(raw)-1 {
		return false // "/x?": the empty query is dropped
	}
	for i++; i < len(raw); i++ {
		if b := raw[i]; b <= ' ' || b >= 0x7f || b == '#' {
			return false
		}
	}
	return true
}

// joinURL appends a relative reference to the host URL the way users
// expect from --host http://h/base: "/x" becomes http://h/base/x.
func joinURL(base, rel *url.URL) *url.URL {
	u := *base
	p := rel.Path
	if !strings.HasPrefix(p, "/") && p != "" {
		p = "/" + p
	}
	u.Path = strings.TrimSuffix(base.Path, "/") + p
	u.RawPath = ""
	u.RawQuery = rel.RawQuery
	u.Fragment = ""
	return &u
}

func pathOf(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i]
	}
	if raw == "" {
		return "/"
	}
	return raw
}

// request performs one HTTP request for the script and records it.
func (c *jsClient) request(method string, urlV, paramsV goja.Value) goja.Value {
	vu := c.vu
	rt := vu.rt
	if urlV == nil || goja.IsUndefined(urlV) {
		panic(rt.NewTypeError("http.%s(url, params): url is required", strings.ToLower(method)))
	}
	if !validMethod(method) {
		panic(rt.NewTypeError("http.request: %q is not a valid HTTP method", method))
	}
	x := &call{}
	if err := vu.readParamsInto(&x.p, paramsV); err != nil {
		panic(rt.NewTypeError("http.%s %s: %v", strings.ToLower(method), urlV.String(), err))
	}
	return rt.NewDynamicObject(c.send(x, method, urlV.String()))
}

// call is the memory of one request: its response, params, request and
// the client's response, in one allocation.
type call struct {
	response
	p   params
	req httpc.Request
	res httpc.Response
}

// do sends a request with params already read and records it; the
// response's fields are jsload's (response.Get).
func (c *jsClient) do(method, rawURL string, p *params) *response {
	return c.send(&call{p: *p}, method, rawURL)
}

// send sends the request of x, its params read, and records it.
func (c *jsClient) send(x *call, method, rawURL string) *response {
	pr := c.prepareInto(&x.req, method, rawURL, &x.p)
	c.hc.DoInto(c.vu.ctx, pr.req, &x.res)
	c.finishInto(&x.response, pr, &x.res)
	return &x.response
}

// preparedReq is a request ready to send (jsClient.prepare), and what
// recording its response needs; passed by value, so that one request
// allocates nothing for it.
type preparedReq struct {
	req     *httpc.Request
	name    string
	p       *params
	discard bool
}

// prepare resolves the URL, adds the client's defaults and makes the
// client's connections on first use; it runs on the VU's goroutine.
func (c *jsClient) prepare(method, rawURL string, p *params) preparedReq {
	return c.prepareInto(&httpc.Request{}, method, rawURL, p)
}

// prepareInto is prepare with the request made in req.
func (c *jsClient) prepareInto(req *httpc.Request, method, rawURL string, p *params) preparedReq {
	vu := c.vu
	rt := vu.rt
	full, name, err := c.resolve(rawURL, p.query)
	if err != nil {
		panic(rt.NewTypeError("%v", err))
	}
	if p.name != "" {
		name = p.name
	}
	c.addDefaults(p)
	if c.hc == nil {
		o := *c.opts
		o.DiscardBodies = false // decided per request (c.discard)
		c.hc = httpc.New(o)
		vu.watch.addClient(c.hc)
	}
	discard := c.discard
	if p.discard != nil {
		discard = *p.discard
	}
	*req = httpc.Request{
		Method: method, URL: full, Header: p.header, Body: p.body,
		Timeout: p.timeout, Redirects: p.redirects, MaxBodyBytes: p.maxBody, DiscardBody: discard,
	}
	if vu.onRequest != nil {
		vu.onRequest(req)
	}
	return preparedReq{req: req, name: name, p: p, discard: discard}
}

// finish records a prepared request's response (on the VU's goroutine)
// and returns it.
func (c *jsClient) finish(pr preparedReq, res *httpc.Response) *response {
	r := &response{}
	c.finishInto(r, pr, res)
	return r
}

// finishInto is finish with the response made in r.
func (c *jsClient) finishInto(r *response, pr preparedReq, res *httpc.Response) {
	vu := c.vu
	method, full, name, p, discard := pr.req.Method, pr.req.URL, pr.name, pr.p, pr.discard
	if res.Canceled {
		if p.record {
			vu.rec.RecordCutOff(1) // in flight when the test stopped: counted apart
		}
		vu.rt.Interrupt(errStopped) // the test is stopping: run no more of this task
	} else if vu.env.Verbose != nil {
		vu.traceRequest(method, full, p, res)
	}
	*r = response{vu: vu, r: res, method: method, name: name, record: p.record && !res.Canceled, catch: p.catch, discarded: discard, tags: p.tags}
	if r.record {
		if p.catch {
			vu.pending = append(vu.pending, r)
		} else if e := p.errorOf(res); e != "" {
			r.report(e)
			vu.abortOnFailure()
		} else {
			r.report("")
		}
	}
}

// errorOf is the failure a response is recorded with: the request's
// judge's, or defaultError's.
func (p *params) errorOf(r *httpc.Response) string {
	if p.judge != nil {
		return p.judge(r)
	}
	return defaultError(r)
}

// defaultError is Locust's rule: a transport error or a status >= 400 is a
// failure.
func defaultError(r *httpc.Response) string {
	if r.Err != nil {
		return r.ErrText
	}
	if r.Status >= 400 {
		kind := "Client"
		if r.Status >= 500 {
			kind = "Server"
		}
		text := r.StatusText
		if text == "" {
			text = http.StatusText(r.Status)
		}
		return fmt.Sprintf("%d %s Error: %s", r.Status, kind, text)
	}
	return ""
}

// flushPending reports catchResponse responses the script did not mark, by
// the default rule, at the end of a task.
func (vu *VU) flushPending() {
	vu.sockets.flush()
	for _, r := range vu.pending {
		if !r.reported {
			r.report(defaultError(r.r))
		}
	}
	clear(vu.pending)
	vu.pending = vu.pending[:0]
}

// response is the JS view of an httpc.Response: fields are made on demand.
type response struct {
	vu       *VU
	r        *httpc.Response
	method   string
	name     string
	record   bool
	catch    bool // catchResponse: the script marks success or failure
	reported bool
	// discarded: the request asked not to keep the body (body is null).
	discarded bool
	body      goja.Value
	headers   goja.Value
	extra     map[string]goja.Value
	k6        *k6Resp // made by k6/http: k6's field names and what they need (k6http.go)

	// tags are k6's params.tags besides name (k6metrics.go).
	tags map[string]string
}

// needCatch throws when success() or failure() is called on a response
// that was judged already: only catchResponse leaves the verdict to the
// script.
func (r *response) needCatch(name string) {
	if !r.catch {
		panic(r.vu.rt.NewTypeError("response.%s() needs { catchResponse: true } in the request's params (%s %s was already judged by its status)", name, r.method, r.name))
	}
}

func (r *response) report(errText string) {
	if r.reported || !r.record {
		return
	}
	r.reported = true
	r.vu.rec.Record(stats.Sample{
		Type: r.method, Name: r.name, Duration: r.r.Timings.Duration,
		Size: responseSize(r.r), Err: errText, Scheduled: r.vu.sched(r.r.Timings.Duration), At: r.r.End,
		HTTP: true, Status: r.r.Status, Group: r.vu.group, Scenario: r.vu.Scenario(), Tags: r.tags,
	})
	if vu := r.vu; vu.lis != nil && len(vu.lis.fns[evRequest]) > 0 {
		vu.emitRequest(&requestEvent{typ: r.method, name: r.name, duration: r.r.Timings.Duration, size: responseSize(r.r),
			errText: errText, url: r.r.URL, status: r.r.Status, start: r.r.End.Add(-r.r.Timings.Duration), response: vu.rt.NewDynamicObject(r)})
	}
}

// responseSize is the size recorded for a response: the body bytes
// received, which counts discarded bodies too.
func responseSize(r *httpc.Response) int64 {
	if r.Size == 0 {
		return int64(len(r.Body)) // a client that does not count Size
	}
	return r.Size
}

var responseKeys = []string{"status", "statusText", "ok", "url", "proto", "headers", "body", "error", "timings", "json", "success", "failure"}

func (r *response) Get(key string) goja.Value {
	rt := r.vu.rt
	if r.k6 != nil {
		if v, ok := r.k6Get(key); ok {
			return v
		}
	}
	switch key {
	case "status":
		return rt.ToValue(r.r.Status)
	case "statusText":
		return rt.ToValue(r.r.StatusText)
	case "ok":
		return rt.ToValue(r.r.Err == nil && r.r.Status < 400)
	case "url":
		return rt.ToValue(r.r.URL)
	case "proto":
		return rt.ToValue(r.r.Proto)
	case "error":
		if r.r.Err == nil {
			return goja.Null()
		}
		return rt.ToValue(r.r.ErrText)
	case "body":
		if r.discarded {
			return goja.Null()
		}
		if r.body == nil {
			r.body = rt.ToValue(string(r.r.Body))
		}
		return r.body
	case "headers":
		if r.headers == nil {
			h := rt.NewObject()
			for k, vs := range r.r.Header {
				must(h.Set(strings.ToLower(k), strings.Join(vs, ", ")))
			}
			r.headers = h
		}
		return r.headers
	case "timings":
		t := rt.NewObject()
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		must(t.Set("duration", ms(r.r.Timings.Duration)))
		must(t.Set("waiting", ms(r.r.Timings.Waiting)))
		must(t.Set("receiving", ms(r.r.Timings.Receiving)))
		return t
	case "json":
		return r.vu.methods().json
	case "success":
		return r.vu.methods().success
	case "failure":
		return r.vu.methods().failure
	}
	if v, ok := r.extra[key]; ok {
		return v
	}
	return nil
}

func (r *response) Set(key string, val goja.Value) bool {
	for _, k := range responseKeys {
		if k == key {
			return false
		}
	}
	if r.extra == nil {
		r.extra = map[string]goja.Value{}
	}
	r.extra[key] = val
	return true
}

func (r *response) Has(key string) bool { return r.Get(key) != nil }

func (r *response) Delete(key string) bool {
	delete(r.extra, key)
	return true
}

func (r *response) Keys() []string {
	keys := []string{"status", "statusText", "ok", "url", "proto", "headers", "body", "error", "timings"}
	for k := range r.extra {
		keys = append(keys, k)
	}
	return keys
}

// respMethods are the response methods, made once per VU; they find their
// response through `this`.
type respMethods struct {
	json, success, failure goja.Value
}

// methods returns the VU's response methods, made on first use.
func (vu *VU) methods() *respMethods {
	if vu.respMethods == nil {
		vu.respMethods = newRespMethods(vu)
	}
	return vu.respMethods
}

func newRespMethods(vu *VU) *respMethods {
	rt := vu.rt
	this := func(c goja.FunctionCall, name string) *response {
		if o, ok := c.This.(*goja.Object); ok {
			if r, ok := o.Export().(*response); ok {
				return r
			}
		}
		panic(rt.NewTypeError("response.%s() must be called on a response", name))
	}
	return &respMethods{
		json: rt.ToValue(func(c goja.FunctionCall) goja.Value {
			r := this(c, "json")
			if r.discarded {
				panic(rt.NewTypeError("response.json(): the body of %s %s was discarded (discardResponseBodies or discardBody: true); pass discardBody: false in the request's params to keep it", r.method, r.name))
			}
			v, err := vu.jsonParse(goja.Undefined(), r.Get("body"))
			if err != nil {
				panic(rt.NewTypeError("response.json(): the body of %s %s is not JSON: %s", r.method, r.name, vu.scriptError(err, "").Msg))
			}
			return v
		}),
		success: rt.ToValue(func(c goja.FunctionCall) goja.Value {
			r := this(c, "success")
			r.needCatch("success")
			r.report("")
			return goja.Undefined()
		}),
		failure: rt.ToValue(func(c goja.FunctionCall) goja.Value {
			r := this(c, "failure")
			r.needCatch("failure")
			msg := "failure"
			if a := c.Argument(0); !goja.IsUndefined(a) && !goja.IsNull(a) {
				if o, ok := a.(*goja.Object); ok && isErrorLike(o) {
					msg = o.Get("message").String() // failure(new Error("x")) reads "x", as before
				} else {
					msg = r.vu.valueText(a)
				}
			}
			r.report(msg)
			r.vu.abortOnFailure()
			return goja.Undefined()
		}),
	}
}

// traceRequest prints one request for the verbose (single-user) run:
// method, URL, status, time, size; headers and a body snippet on failure.
func (vu *VU) traceRequest(method, full string, p *params, r *httpc.Response) {
	var b strings.Builder
	ms := float64(r.Timings.Duration) / float64(time.Millisecond)
	status := r.ErrText
	if r.Err == nil {
		status = fmt.Sprintf("%d %s", r.Status, r.StatusText)
	}
	fmt.Fprintf(&b, "[VU %d] %s %s -> %s (%.1f ms, %d B)", vu.id, method, full, status, ms, responseSize(r))
	e := p.errorOf(r)
	switch {
	case !p.record:
		b.WriteString(" [not recorded]")
	case p.catch:
		b.WriteString(" [catchResponse]")
	case e != "":
		b.WriteString(" FAILED")
	}
	b.WriteByte('\n')
	if e != "" && r.Err == nil {
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "    %s: %s\n", k, strings.Join(r.Header[k], ", "))
		}
		body := string(r.Body)
		if len(body) > 500 {
			body = body[:500] + fmt.Sprintf("... (%d more bytes)", len(r.Body)-500)
		}
		if body != "" {
			fmt.Fprintf(&b, "    body: %s\n", strings.ReplaceAll(strings.TrimRight(body, "\n"), "\n", "\n          "))
		}
	}
	_, _ = io.WriteString(vu.env.Verbose, b.String())
}

// validMethod reports whether m is an HTTP token (RFC 9110 5.6.2).
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, r := range m {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
