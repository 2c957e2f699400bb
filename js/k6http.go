package js

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dop251/goja"
	"github.com/tidwall/gjson"

	"github.com/jsload/jsload/internal/httpc"
)

// The rest of k6/http: cookie jars, http.url, http.file and multipart
// bodies, expected statuses and response callbacks, auth, compression,
// and the response's k6 fields (cookies, timings, remote address,
// error_code, request, json(selector)). None of it is reached by a
// jsload script: a jsload request pays one nil check (params.judge,
// Request.Trace, response.k6).

// k6HTTPState is a user's k6/http state, made by its first k6 request.
type k6HTTPState struct {
	jar    *httpc.Jar // the user's jar: emptied at each iteration, as k6 does
	jarObj goja.Value // its script object (http.cookieJar())
	// judge is the module's response callback (setResponseCallback);
	// nil is k6's default (statuses 200-399 expected, here >= 400 and
	// transport errors fail, jsload's rule).
	judge func(*httpc.Response) string
	json  goja.Value // the response's json(selector?) method
	// keepCookies is options.noCookiesReset: the jar is not emptied.
	keepCookies bool
	throw       bool // options.throw: the default of params.throw
	batch       int  // options.batch: requests of an http.batch in flight at once
}

// k6Number reads a number of the script's options.
func k6Number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// k6State returns the user's k6/http state, and makes the user's client
// with its listed jar on first use.
func (vu *VU) k6State() *k6HTTPState {
	if st := vu.k6http; st != nil {
		return st
	}
	vu.nativeObj.Get("http") // the user's own client, made on first use
	c := vu.http
	if c.hc == nil {
		o := *c.opts
		o.DiscardBodies = false                                  // decided per request, as in prepare
		if n, ok := k6Number(vu.s.Options["maxRedirects"]); ok { // options.maxRedirects, checked by the command line
			o.MaxRedirects = int(n)
			if n == 0 {
				o.MaxRedirects = httpc.NeverFollowRedirects
			}
		}
		if ua, ok := vu.s.Options["userAgent"].(string); ok { // options.userAgent, checked by the command line
			o.UserAgent = ua
		}
		c.hc = httpc.New(o)
		vu.watch.addClient(c.hc)
	}
	st := &k6HTTPState{jar: httpc.NewListedJar(), keepCookies: vu.s.Options["noCookiesReset"] == true, throw: vu.s.Options["throw"] == true, batch: k6BatchParallel}
	if n, ok := k6Number(vu.s.Options["batch"]); ok && n >= 1 { // options.batch, checked by the command line
		st.batch = int(n)
	}
	c.hc.SetJar(st.jar)
	vu.k6http = st
	return st
}

// k6Iteration empties the user's jar at the start of an iteration of a k6
// script, unless options.noCookiesReset is true.
func (vu *VU) k6Iteration() {
	if st := vu.k6http; st != nil && !st.keepCookies && !st.jar.Empty() {
		st.jar.Clear()
		vu.http.hc.SetJar(st.jar)
	}
}

// k6Req is one k6 request's params beyond jsload's.
type k6Req struct {
	p          *params
	method     string
	url        string // without user and password
	user, pass string // from the URL, for digest auth
	cookies    []k6ReqCookie
	jar        *httpc.Jar // params.jar; nil for the user's
	digest     bool
	throw      bool    // params.throw: a transport error throws
	resp       *k6Resp // &own: one allocation for both
	own        k6Resp
}

type k6ReqCookie struct {
	name, value string
	replace     bool
}

// k6Resp is what a k6 response needs beyond jsload's response.
type k6Resp struct {
	binary     bool
	trace      httpc.Trace
	reqURL     string
	reqHeader  http.Header
	reqBody    []byte
	reqCookies []*http.Cookie
}

// k6Send sends a k6 request on the user's client, with its jar (a view
// that hides the names its cookies replace), and records it.
func (vu *VU) k6Send(kr *k6Req) *response {
	st := vu.k6State()
	c := vu.http
	if kr.p.judge == nil {
		kr.p.judge = st.judge
	}
	if kr.digest {
		vu.k6Digest(kr)
	}
	x := &call{p: *kr.p} // request, params and response in one allocation, as jsClient.do
	kr.p = &x.p
	pr := c.prepareInto(&x.req, kr.method, kr.url, kr.p)
	kr.resp.reqURL = pr.req.URL
	jar := vu.k6Cookies(pr, kr, st)
	kr.resp.trace.KeepLastRedirect = true
	pr.req.Trace = &kr.resp.trace
	kr.resp.reqHeader, kr.resp.reqBody = pr.req.Header, pr.req.Body
	c.hc.SetJar(jar)
	c.hc.DoInto(vu.ctx, pr.req, &x.res)
	if jar != st.jar {
		c.hc.SetJar(st.jar)
	}
	r := &x.response
	c.finishInto(r, pr, &x.res)
	r.k6 = kr.resp
	vu.k6Throw(kr, r)
	return r
}

// k6Throw throws the transport error of r when its request asked for it
// (params.throw), as k6 does.
func (vu *VU) k6Throw(kr *k6Req, r *response) {
	if !kr.throw || r.r.Err == nil || r.r.Canceled {
		return
	}
	ctor, _ := goja.AssertConstructor(vu.rt.Get("Error"))
	e, err := ctor(nil, vu.rt.ToValue(fmt.Sprintf("%s %s: %s", r.method, k6MaskURL(kr.resp.reqURL), r.r.ErrText)))
	if err != nil {
		panic(err)
	}
	panic(e)
}

// k6Cookies puts a request's cookies param into its Cookie header and
// returns the jar to send it with: a cookie the jar also has for the URL
// is left out unless it replaces the jar's (replace: true), and then the
// jar's is hidden. The cookies sent are kept for response.request.
func (vu *VU) k6Cookies(pr preparedReq, kr *k6Req, st *k6HTTPState) *httpc.Jar {
	jar := st.jar
	if kr.jar != nil {
		jar = kr.jar
	}
	if len(kr.cookies) == 0 && jar.Empty() {
		return jar
	}
	u, err := url.Parse(pr.req.URL)
	if err != nil {
		return jar
	}
	var inJar []*http.Cookie
	if !jar.Empty() {
		inJar = jar.Cookies(u)
	}
	if len(kr.cookies) == 0 {
		kr.resp.reqCookies = inJar
		return jar
	}
	has := func(n string) bool {
		for _, c := range inJar {
			if c.Name == n {
				return true
			}
		}
		return false
	}
	var parts, hide []string
	var sent []*http.Cookie
	for _, c := range kr.cookies {
		switch {
		case c.replace:
			hide = append(hide, c.name)
		case has(c.name):
			continue // the jar's wins
		}
		parts = append(parts, (&http.Cookie{Name: c.name, Value: c.value}).String())
		sent = append(sent, &http.Cookie{Name: c.name, Value: c.value})
	}
	for _, c := range inJar {
		if !hidden(hide, c.Name) {
			sent = append(sent, c)
		}
	}
	kr.resp.reqCookies = sent
	if len(parts) > 0 {
		if pr.req.Header == nil {
			pr.req.Header = http.Header{}
			kr.p.header = pr.req.Header
		}
		if old := pr.req.Header.Get("Cookie"); old != "" {
			parts = append([]string{old}, parts...)
		}
		pr.req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	if len(hide) > 0 {
		return jar.Hiding(hide)
	}
	return jar
}

func hidden(names []string, n string) bool {
	for _, h := range names {
		if h == n {
			return true
		}
	}
	return false
}

// k6ReadParam reads a k6 param jsload's requests do not have; it reports
// false for a name it does not know.
func (vu *VU) k6ReadParam(kr *k6Req, k string, val goja.Value, bad func(string, ...any)) bool {
	rt := vu.rt
	switch k {
	case "cookies":
		o, ok := val.(*goja.Object)
		if !ok || isArray(o) {
			bad("params.cookies must be an object of names to values or to { value, replace }")
		}
		for _, n := range o.Keys() {
			v := o.Get(n)
			c := k6ReqCookie{name: n}
			if co, ok := v.(*goja.Object); ok {
				if vv := co.Get("value"); vv != nil && !isNullish(vv) {
					c.value = vv.String()
				}
				if r := co.Get("replace"); r != nil {
					c.replace = r.ToBoolean()
				}
			} else if !isNullish(v) {
				c.value = v.String()
			}
			kr.cookies = append(kr.cookies, c)
		}
	case "jar":
		j, ok := val.Export().(*k6Jar)
		if !ok {
			bad("params.jar must be a cookie jar (http.cookieJar() or new http.CookieJar())")
		}
		kr.jar = j.jar
	case "responseCallback":
		kr.p.judge = vu.k6Judge(val, "params.responseCallback")
	case "auth":
		switch strings.ToLower(val.String()) {
		case "basic":
		case "digest":
			kr.digest = true
		case "ntlm":
			bad("params.auth \"ntlm\" is not supported by jsload (\"basic\" and \"digest\" are)")
		default:
			bad("params.auth must be \"basic\", \"digest\" or \"ntlm\", got %q", val.String())
		}
	case "throw":
		kr.throw = val.ToBoolean()
	case "compression":
		algs := strings.Split(val.String(), ",")
		for i := len(algs) - 1; i >= 0; i-- { // the last one listed is applied first
			a := strings.TrimSpace(algs[i])
			var b bytes.Buffer
			switch a {
			case "gzip":
				w := gzip.NewWriter(&b)
				_, _ = w.Write(kr.p.body)
				_ = w.Close()
			case "deflate":
				w, _ := flate.NewWriter(&b, flate.DefaultCompression)
				_, _ = w.Write(kr.p.body)
				_ = w.Close()
			case "br", "zstd":
				bad("params.compression %q is not supported by jsload (gzip and deflate are)", a)
			default:
				bad("params.compression must be a list of gzip, deflate, got %q", val.String())
			}
			kr.p.body = b.Bytes()
		}
		kr.p.setDefaultHeader("Content-Encoding", strings.ReplaceAll(val.String(), " ", ""))
	default:
		_ = rt
		return false
	}
	return true
}

// k6Settled implements http.asyncRequest: the request is made now, and
// the promise returned is settled with its response, or rejected with
// what it threw (bad params, params.throw).
func (vu *VU) k6Settled(f func() goja.Value) goja.Value {
	p, resolve, reject := vu.rt.NewPromise()
	var thrown goja.Value
	res := func() (v goja.Value) {
		defer func() {
			if r := recover(); r != nil {
				switch e := r.(type) {
				case *goja.Exception:
					thrown = e.Value()
				case *goja.Object:
					thrown = e
				default:
					panic(r)
				}
			}
		}()
		return f()
	}()
	if thrown != nil {
		must(reject(thrown))
	} else {
		must(resolve(res))
	}
	return vu.rt.ToValue(p)
}

// k6Expected is what http.expectedStatuses returns: the statuses (single
// ones and ranges) that are not failures.
type k6Expected struct{ ranges [][2]int64 }

func (e *k6Expected) has(s int64) bool {
	for _, r := range e.ranges {
		if s >= r[0] && s <= r[1] {
			return true
		}
	}
	return false
}

func (e *k6Expected) String() string {
	var parts []string
	for _, r := range e.ranges {
		if r[0] == r[1] {
			parts = append(parts, strconv.FormatInt(r[0], 10))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", r[0], r[1]))
		}
	}
	return strings.Join(parts, ", ")
}

// judge is the failure rule of expected statuses: a transport error, or a
// status not listed.
func (e *k6Expected) judge(r *httpc.Response) string {
	if r.Err != nil {
		return r.ErrText
	}
	if e.has(int64(r.Status)) {
		return ""
	}
	if d := defaultError(r); d != "" {
		return d
	}
	return fmt.Sprintf("%d %s: status not expected (expected: %s)", r.Status, r.StatusText, e)
}

// noCallback is setResponseCallback(null)'s rule: statuses are never
// failures (k6 then has no http_req_failed); transport errors still are.
func noCallback(r *httpc.Response) string { return r.ErrText }

// k6ExpectedStatuses implements http.expectedStatuses(...): numbers and
// { min, max } ranges.
func (vu *VU) k6ExpectedStatuses(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	e := &k6Expected{}
	bad := func(i int, v goja.Value) {
		panic(rt.NewTypeError("http.expectedStatuses: argument %d must be a status (a whole number) or { min, max }, got %s", i+1, vu.format(v)))
	}
	whole := func(v goja.Value) (int64, bool) {
		if v == nil || !goja.IsNumber(v) {
			return 0, false
		}
		f := v.ToFloat()
		return int64(f), f == float64(int64(f)) && f >= 0 && f < 1000
	}
	if len(c.Arguments) == 0 {
		panic(rt.NewTypeError("http.expectedStatuses(...): give at least one status or { min, max }"))
	}
	for i, a := range c.Arguments {
		if o, ok := a.(*goja.Object); ok {
			lo, ok1 := whole(o.Get("min"))
			hi, ok2 := whole(o.Get("max"))
			if !ok1 || !ok2 || lo > hi {
				bad(i, a)
			}
			e.ranges = append(e.ranges, [2]int64{lo, hi})
			continue
		}
		n, ok := whole(a)
		if !ok {
			bad(i, a)
		}
		e.ranges = append(e.ranges, [2]int64{n, n})
	}
	return rt.ToValue(e)
}

// k6Judge reads a response callback: what http.expectedStatuses returns,
// or null (no status is a failure).
func (vu *VU) k6Judge(v goja.Value, what string) func(*httpc.Response) string {
	if isNullish(v) {
		return noCallback
	}
	if e, ok := v.Export().(*k6Expected); ok {
		return e.judge
	}
	panic(vu.rt.NewTypeError("%s must be what http.expectedStatuses(...) returns, or null (as in k6, other callbacks are not supported), got %s", what, vu.format(v)))
}

// k6SetResponseCallback implements http.setResponseCallback(cb).
func (vu *VU) k6SetResponseCallback(c goja.FunctionCall) goja.Value {
	st := vu.k6State()
	st.judge = vu.k6Judge(c.Argument(0), "http.setResponseCallback(callback): callback")
	return goja.Undefined()
}

// k6URLValue is what the http.url template tag returns: the URL, and the
// template with ${} for each value as the request's name.
type k6URLValue struct{ url, name string }

func (u *k6URLValue) String() string { return u.url }

// k6URL implements http.url`...${x}...`.
func (vu *VU) k6URL(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	strs, ok := c.Argument(0).(*goja.Object)
	if !ok || !isArray(strs) {
		panic(rt.NewTypeError("http.url is a template tag: http.url`${BASE}/items/${id}`"))
	}
	n := int(strs.Get("length").ToInteger())
	var u, name strings.Builder
	for i := 0; i < n; i++ {
		s := strs.Get(strconv.Itoa(i)).String()
		u.WriteString(s)
		name.WriteString(s)
		if i+1 < n {
			u.WriteString(c.Argument(i + 1).String())
			name.WriteString("${}")
		}
	}
	return rt.ToValue(&k6URLValue{url: u.String(), name: name.String()})
}

// k6File is what http.file returns: a file part of a multipart body.
type k6File struct {
	vu                    *VU
	data                  []byte
	filename, contentType string
	dataV                 goja.Value
}

var k6FileKeys = []string{"data", "filename", "content_type"}

func (f *k6File) Get(k string) goja.Value {
	switch k {
	case "data":
		return f.dataV
	case "filename":
		return f.vu.rt.ToValue(f.filename)
	case "content_type":
		return f.vu.rt.ToValue(f.contentType)
	}
	return nil
}
func (f *k6File) Set(k string, v goja.Value) bool { return false }
func (f *k6File) Has(k string) bool               { return f.Get(k) != nil }
func (f *k6File) Delete(k string) bool            { return false }
func (f *k6File) Keys() []string                  { return k6FileKeys }

// k6FileFn implements http.file(data, filename, contentType): data a
// string or an ArrayBuffer; the file name defaults to the time in
// nanoseconds and the type to application/octet-stream, as in k6.
func (vu *VU) k6FileFn(c goja.FunctionCall) goja.Value {
	rt := vu.rt
	f := &k6File{vu: vu, dataV: c.Argument(0), filename: strconv.FormatInt(time.Now().UnixNano(), 10), contentType: "application/octet-stream"}
	switch d := c.Argument(0).Export().(type) {
	case goja.ArrayBuffer:
		f.data = d.Bytes()
	case []byte:
		f.data = d
	case string:
		f.data = []byte(d)
	default:
		panic(rt.NewTypeError("http.file(data, filename, contentType): data must be a string or an ArrayBuffer, got %s", vu.format(c.Argument(0))))
	}
	if a := c.Argument(1); !isNullish(a) {
		f.filename = a.String()
	}
	if a := c.Argument(2); !isNullish(a) {
		f.contentType = a.String()
	}
	return rt.NewDynamicObject(f)
}

// k6Multipart encodes an object body that holds a file (http.file) as
// multipart/form-data; ok is false when it holds none.
func k6Multipart(o *goja.Object) (body []byte, contentType string, ok bool) {
	keys := o.Keys()
	for _, k := range keys {
		if v, isObj := o.Get(k).(*goja.Object); isObj {
			if _, f := v.Export().(*k6File); f {
				ok = true
			}
		}
	}
	if !ok {
		return nil, "", false
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range keys {
		v := o.Get(k)
		if vo, isObj := v.(*goja.Object); isObj {
			if f, isFile := vo.Export().(*k6File); isFile {
				h := textproto.MIMEHeader{}
				h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, k, f.filename))
				h.Set("Content-Type", f.contentType)
				pw, _ := w.CreatePart(h)
				_, _ = pw.Write(f.data)
				continue
			}
		}
		_ = w.WriteField(k, v.String())
	}
	_ = w.Close()
	return b.Bytes(), w.FormDataContentType(), true
}

// k6Jar is a cookie jar as scripts see it: its methods set,
// cookiesForURL, clear and delete.
type k6Jar struct {
	jar     *httpc.Jar
	methods map[string]goja.Value
}

var k6JarKeys = []string{"cookiesForURL", "set", "clear", "delete"}

func (j *k6Jar) Get(k string) goja.Value         { return j.methods[k] }
func (j *k6Jar) Set(k string, _ goja.Value) bool { return false }
func (j *k6Jar) Has(k string) bool               { return j.methods[k] != nil }
func (j *k6Jar) Delete(k string) bool            { return false }
func (j *k6Jar) Keys() []string                  { return k6JarKeys }

// k6CookieJar implements http.cookieJar(): the user's jar.
func (vu *VU) k6CookieJar(goja.FunctionCall) goja.Value {
	st := vu.k6State()
	if st.jarObj == nil {
		st.jarObj = vu.newJarObject(st.jar)
	}
	return st.jarObj
}

// newJarObject is a jar's script object: its methods set, cookiesForURL,
// clear and delete.
func (vu *VU) newJarObject(j *httpc.Jar) goja.Value {
	rt := vu.rt
	kj := &k6Jar{jar: j, methods: map[string]goja.Value{}}
	parse := func(what string, v goja.Value) *url.URL {
		u, err := url.Parse(v.String())
		if isNullish(v) || err != nil || u.Host == "" {
			panic(rt.NewTypeError("jar.%s(url, ...): url must be an absolute URL, got %s", what, vu.format(v)))
		}
		return u
	}
	method := func(name string, f func(c goja.FunctionCall) goja.Value) {
		kj.methods[name] = rt.ToValue(f)
	}
	method("cookiesForURL", func(c goja.FunctionCall) goja.Value {
		u := parse("cookiesForURL", c.Argument(0))
		out := rt.NewObject()
		for _, ck := range j.Cookies(u) {
			var vals []any
			if prev := out.Get(ck.Name); prev != nil {
				vals = prev.Export().([]any)
			}
			must(out.Set(ck.Name, append(vals, ck.Value)))
		}
		return out
	})
	method("set", func(c goja.FunctionCall) goja.Value {
		u := parse("set", c.Argument(0))
		if isNullish(c.Argument(1)) {
			panic(rt.NewTypeError("jar.set(url, name, value, options): name is required"))
		}
		ck := &http.Cookie{Name: c.Argument(1).String(), Value: c.Argument(2).String()}
		if o, ok := c.Argument(3).(*goja.Object); ok {
			err := eachSet(o, func(k string, v goja.Value) error {
				switch k {
				case "domain":
					ck.Domain = v.String()
				case "path":
					ck.Path = v.String()
				case "expires":
					t, err := http.ParseTime(v.String())
					if err != nil {
						return fmt.Errorf("options.expires must be a date as in HTTP headers (RFC 1123, \"Mon, 02 Jan 2006 15:04:05 GMT\"), got %q", v.String())
					}
					ck.Expires = t
				case "max_age":
					ck.MaxAge = int(v.ToInteger())
					if ck.MaxAge == 0 {
						ck.MaxAge = -1 // max_age 0 deletes, as in Set-Cookie
					}
				case "secure":
					ck.Secure = v.ToBoolean()
				case "http_only":
					ck.HttpOnly = v.ToBoolean()
				default:
					return fmt.Errorf("options has %q, which is not one of domain, path, expires, max_age, secure, http_only", k)
				}
				return nil
			})
			if err != nil {
				panic(rt.NewTypeError("jar.set: %v", err))
			}
		}
		j.SetCookies(u, []*http.Cookie{ck})
		return goja.Undefined()
	})
	method("clear", func(c goja.FunctionCall) goja.Value {
		j.Delete(parse("clear", c.Argument(0)), "")
		return goja.Undefined()
	})
	method("delete", func(c goja.FunctionCall) goja.Value {
		u := parse("delete", c.Argument(0))
		if isNullish(c.Argument(1)) {
			panic(rt.NewTypeError("jar.delete(url, name): name is required"))
		}
		j.Delete(u, c.Argument(1).String())
		return goja.Undefined()
	})
	return rt.NewDynamicObject(kj)
}

// k6NewCookieJar implements new http.CookieJar(): an empty jar.
func (vu *VU) k6NewCookieJar(goja.ConstructorCall) *goja.Object {
	return vu.newJarObject(httpc.NewListedJar()).(*goja.Object)
}

// k6Get2 reads the response fields of the rest of k6/http.
func (r *response) k6Get2(key string) (goja.Value, bool) {
	vu := r.vu
	rt := vu.rt
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	switch key {
	case "timings":
		t := rt.NewObject()
		tr := &r.k6.trace
		must(t.Set("blocked", ms(tr.Blocked)))
		must(t.Set("looking_up", 0))
		must(t.Set("connecting", ms(tr.Connecting)))
		must(t.Set("tls_handshaking", ms(tr.TLSHandshaking)))
		must(t.Set("sending", ms(tr.Sending)))
		w := tr.Waiting(r.r)
		if w == 0 {
			w = r.r.Timings.Waiting
		}
		must(t.Set("waiting", ms(w)))
		must(t.Set("receiving", ms(r.r.Timings.Receiving)))
		must(t.Set("duration", ms(r.r.Timings.Duration)))
		return t, true
	case "remote_ip", "remote_port":
		var host, port string
		err := errors.New("no address")
		if a := r.k6.trace.Remote; a != nil {
			host, port, err = net.SplitHostPort(a.String())
		}
		if key == "remote_ip" {
			if err != nil {
				return rt.ToValue(""), true
			}
			return rt.ToValue(host), true
		}
		p, _ := strconv.Atoi(port)
		return rt.ToValue(p), true
	case "error_code":
		return rt.ToValue(k6ErrorCode(r.r)), true
	case "tls_version":
		return rt.ToValue(k6TLSVersions[r.k6.trace.TLSVersion]), true
	case "tls_cipher_suite":
		if r.k6.trace.TLSCipherSuite == 0 {
			return rt.ToValue(""), true
		}
		return rt.ToValue(tls.CipherSuiteName(r.k6.trace.TLSCipherSuite)), true
	case "cookies":
		out := rt.NewObject()
		for _, c := range (&http.Response{Header: r.r.Header}).Cookies() {
			var list []any
			if prev := out.Get(c.Name); prev != nil {
				list = prev.Export().([]any)
			}
			var exp int64
			if !c.Expires.IsZero() {
				exp = c.Expires.UnixMilli()
			}
			list = append(list, map[string]any{"name": c.Name, "value": c.Value, "domain": c.Domain, "path": c.Path,
				"http_only": c.HttpOnly, "secure": c.Secure, "max_age": c.MaxAge, "expires": exp})
			must(out.Set(c.Name, list))
		}
		return out, true
	case "request":
		q := rt.NewObject()
		must(q.Set("method", r.method))
		must(q.Set("url", r.k6.reqURL))
		h := rt.NewObject()
		for k, vs := range r.k6.reqHeader {
			must(h.Set(http.CanonicalHeaderKey(k), vs))
		}
		must(q.Set("headers", h))
		must(q.Set("body", string(r.k6.reqBody)))
		cs := rt.NewObject()
		for _, c := range r.k6.reqCookies {
			var list []any
			if prev := cs.Get(c.Name); prev != nil {
				list = prev.Export().([]any)
			}
			must(cs.Set(c.Name, append(list, map[string]any{"name": c.Name, "value": c.Value, "replace": false})))
		}
		must(q.Set("cookies", cs))
		return q, true
	case "json":
		st := vu.k6State()
		if st.json == nil {
			st.json = rt.ToValue(func(c goja.FunctionCall) goja.Value {
				o, _ := c.This.(*goja.Object)
				var self *response
				if o != nil {
					self, _ = o.Export().(*response)
				}
				if self == nil {
					panic(rt.NewTypeError("response.json() must be called on a response"))
				}
				sel := c.Argument(0)
				if isNullish(sel) {
					f, _ := goja.AssertFunction(vu.methods().json)
					v, err := f(c.This)
					if err != nil {
						panic(err)
					}
					return v
				}
				res := gjson.GetBytes(self.r.Body, sel.String())
				if !res.Exists() {
					return goja.Undefined()
				}
				v, err := vu.jsonParse(goja.Undefined(), rt.ToValue(res.Raw))
				if err != nil {
					panic(err)
				}
				return v
			})
		}
		return st.json, true
	case "html", "submitForm", "clickLink":
		return rt.ToValue(func(goja.FunctionCall) goja.Value {
			panic(rt.NewTypeError("response.%s() needs k6/html, which jsload does not support: parse the body yourself (response.body), or use response.json(selector) for JSON", key))
		}), true
	case "success", "failure", "statusText", "ok":
		return goja.Undefined(), true // jsload's, not k6's
	}
	return nil, false
}

// k6ErrorCode is k6's error_code of a response (k6's documented codes):
// 1050 a timeout, 1020 an invalid URL, 1100/1101 DNS, 1201 a broken
// pipe, 1211 a connect timeout, 1212 a refused connection, 1210 another
// dial error, 1220 a reset, 1300/1310/1311 TLS, 1000 another error, 1000
// + status from 400, else 0.
func k6ErrorCode(r *httpc.Response) int {
	if r.Err == nil {
		if r.Status >= 400 && r.Status < 600 {
			return 1000 + r.Status
		}
		return 0
	}
	err, text := r.Err, r.ErrText
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	switch {
	case strings.HasPrefix(text, "timeout after"):
		return 1050
	case strings.HasPrefix(text, "invalid URL"):
		return 1020
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return 1101
		}
		return 1100
	case errors.Is(err, syscall.ECONNREFUSED):
		return 1212
	case strings.HasPrefix(text, "connect timeout"):
		return 1211
	case errors.Is(err, syscall.ECONNRESET):
		return 1220
	case errors.Is(err, syscall.EPIPE):
		return 1201
	case errors.As(err, &unknownCA):
		return 1310
	case errors.As(err, &hostErr):
		return 1311
	case errors.As(err, &certErr), strings.Contains(text, "tls:"), strings.Contains(text, "TLS"), strings.Contains(text, "x509"):
		return 1300
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return 1210
	}
	return 1000
}

// k6Digest answers a digest challenge: the request is sent once without
// credentials (not recorded); when the server asks for digest auth, the
// answer goes in the recorded request's Authorization header.
func (vu *VU) k6Digest(kr *k6Req) {
	if kr.user == "" {
		panic(vu.rt.NewTypeError("params.auth \"digest\" takes the user and password from the URL: http://user:pass@host/..."))
	}
	user, pass := kr.user, kr.pass
	c := vu.http
	p := *kr.p
	p.header = p.header.Clone()
	p.header.Del("Authorization")
	p.record = false
	pr := c.prepare(kr.method, kr.url, &p)
	res := c.hc.Do(vu.ctx, pr.req)
	if res.Status != http.StatusUnauthorized {
		return
	}
	ch := res.Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(strings.ToLower(ch), "digest ") {
		return
	}
	f := digestFields(ch[len("digest "):])
	alg := strings.ToUpper(f["algorithm"])
	var h func() hash.Hash
	switch alg {
	case "", "MD5":
		h = md5.New
	case "SHA-256":
		h = sha256.New
	default:
		panic(vu.rt.NewTypeError("params.auth \"digest\": the server's algorithm %q is not supported (MD5 and SHA-256 are)", alg))
	}
	hx := func(s string) string {
		d := h()
		d.Write([]byte(s))
		return hex.EncodeToString(d.Sum(nil))
	}
	uri := pr.req.URL
	if pu, err := url.Parse(uri); err == nil {
		uri = pu.RequestURI()
	}
	ha1 := hx(user + ":" + f["realm"] + ":" + pass)
	ha2 := hx(kr.method + ":" + uri)
	var nb [8]byte
	_, _ = rand.Read(nb[:])
	cnonce := hex.EncodeToString(nb[:])
	var resp, qop string
	if qops := f["qop"]; qops != "" {
		qop = "auth"
		resp = hx(ha1 + ":" + f["nonce"] + ":00000001:" + cnonce + ":" + qop + ":" + ha2)
	} else {
		resp = hx(ha1 + ":" + f["nonce"] + ":" + ha2)
	}
	a := fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q`, user, f["realm"], f["nonce"], uri, resp)
	if alg != "" {
		a += ", algorithm=" + alg
	}
	if f["opaque"] != "" {
		a += fmt.Sprintf(", opaque=%q", f["opaque"])
	}
	if qop != "" {
		a += fmt.Sprintf(", qop=%s, nc=00000001, cnonce=%q", qop, cnonce)
	}
	kr.p.header = kr.p.header.Clone()
	if kr.p.header == nil {
		kr.p.header = http.Header{}
	}
	kr.p.header.Set("Authorization", a)
}

// digestFields parses a challenge's key=value and key="value" list.
func digestFields(s string) map[string]string {
	out := map[string]string{}
	for s != "" {
		s = strings.TrimLeft(s, " ,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			v, s = rest[1:end+1], rest[end+2:]
		} else {
			v, s, _ = strings.Cut(rest, ",")
		}
		out[k] = strings.TrimSpace(v)
	}
	return out
}

// k6MaskURL hides a URL's user and password (as k6's url tag does).
func k6MaskURL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
		return raw[:i+3] + "****:****@" + rest[at+1:]
	}
	return raw
}

// k6UserInfo takes a URL's user and password out of kr.url (so that they
// are not in the row's name either); without digest auth they become a
// Basic Authorization header, as k6 sends URL credentials.
func k6UserInfo(kr *k6Req) {
	raw := kr.url
	i := strings.Index(raw, "://")
	if i < 0 {
		return
	}
	rest := raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return
	}
	kr.user = u.User.Username()
	kr.pass, _ = u.User.Password()
	kr.url = raw[:i+3] + rest[at+1:]
	if !kr.digest && kr.p.header.Get("Authorization") == "" {
		kr.p.setDefaultHeader("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(kr.user+":"+kr.pass)))
	}
}

// k6TLSVersions are k6's names of the TLS versions (k6/http's TLS_1_x).
var k6TLSVersions = map[uint16]string{tls.VersionTLS10: "tls1.0", tls.VersionTLS11: "tls1.1", tls.VersionTLS12: "tls1.2", tls.VersionTLS13: "tls1.3"}

// k6HTTPExtras are the k6/http exports of this file.
var k6HTTPExtras = []lazyEntry{
	{name: "TLS_1_0", make: func(vu *VU) goja.Value { return vu.rt.ToValue("tls1.0") }},
	{name: "TLS_1_1", make: func(vu *VU) goja.Value { return vu.rt.ToValue("tls1.1") }},
	{name: "TLS_1_2", make: func(vu *VU) goja.Value { return vu.rt.ToValue("tls1.2") }},
	{name: "TLS_1_3", make: func(vu *VU) goja.Value { return vu.rt.ToValue("tls1.3") }},
	{name: "url", make: fn((*VU).k6URL)},
	{name: "file", make: fn((*VU).k6FileFn)},
	{name: "cookieJar", make: fn((*VU).k6CookieJar)},
	{name: "CookieJar", make: func(vu *VU) goja.Value { return vu.rt.ToValue(vu.k6NewCookieJar) }},
	{name: "expectedStatuses", make: fn((*VU).k6ExpectedStatuses)},
	{name: "setResponseCallback", make: fn((*VU).k6SetResponseCallback)},
}
