package js

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/httpc"
)

// maxClients bounds the clients one user makes with http.client(...): they
// live as long as the user, so a script that makes one per task would
// otherwise pile them up.
const maxClients = 100

// clientMembers are the methods of a client object, in the order of
// jsClient.fns. The HTTP methods come first; "request" and "client" last.
var clientMembers = []struct{ name, method string }{
	{"get", "GET"}, {"post", "POST"}, {"put", "PUT"}, {"patch", "PATCH"},
	{"del", "DELETE"}, {"delete", "DELETE"}, {"head", "HEAD"}, {"options", "OPTIONS"},
	{"request", ""}, {"client", ""},
}

// clientOptionNames are the keys of http.client(options).
var clientOptionNames = []string{"baseURL", "headers", "auth", "timeout", "connectTimeout", "tls", "discardResponseBodies", "maxBodySize", "protocol", "maxRedirects"}

// tlsOptionNames are the keys of a tls object.
var tlsOptionNames = []string{"cert", "key", "ca", "serverName", "minVersion", "insecureSkipVerify"}

// jsClient is an HTTP client as scripts see it: the user's own (`http`,
// and `this.client` in user classes, the same object), or one made with
// http.client(options). Each has its own connections and cookie jar, its
// base URL, and defaults sent with every request: headers and basic auth.
// Its methods are made on first use.
type jsClient struct {
	vu      *VU
	hc      *httpc.Client  // made by the first request
	opts    *httpc.Options // for httpc.New: the run's (shared, read only) until configure copies them; its DiscardBodies is discard
	discard bool           // the default of a request's discardBody
	base    string         // the base URL; "" means the VU's host
	baseURL *url.URL       // base (or the host) parsed, for baseFor
	baseFor string
	prefix  string // what a plain path (plainPath) is appended to; "" when baseURL allows none
	// fulls are the last plain paths resolved, with their URL: a user
	// requests the same few paths again and again.
	fulls    [2]struct{ raw, full string }
	nextFull int
	headers  *goja.Object // sent with every request; made when first read
	auth     string       // the Authorization header of auth; "" for none
	authV    goja.Value   // auth as the script set it
	fns      []goja.Value // clientMembers, made on first use
	extra    map[string]goja.Value
}

// newClient makes a client of the VU with the run's options.
func (vu *VU) newClient() *jsClient {
	// Discarding is decided per request, so that a request's
	// discardBody: false can keep a body the client would discard.
	return &jsClient{vu: vu, opts: &vu.env.HTTP, discard: vu.env.HTTP.DiscardBodies}
}

// newHTTP builds the VU's own http client object.
func (vu *VU) newHTTP() *goja.Object {
	vu.http = vu.newClient()
	return vu.rt.NewDynamicObject(vu.http)
}

// Get implements goja.DynamicObject.
func (c *jsClient) Get(key string) goja.Value {
	if v, ok := c.extra[key]; ok {
		return v
	}
	switch key {
	case "headers":
		if c.headers == nil {
			c.headers = c.vu.rt.NewObject()
		}
		return c.headers
	case "auth":
		return c.authV
	case "baseURL":
		if c.base == "" {
			return goja.Null()
		}
		return c.vu.rt.ToValue(c.base)
	}
	for i, m := range clientMembers {
		if m.name == key {
			if c.fns == nil {
				c.fns = make([]goja.Value, len(clientMembers))
			}
			if c.fns[i] == nil {
				c.fns[i] = c.member(i)
			}
			return c.fns[i]
		}
	}
	return nil
}

// member makes the function clientMembers[i].
func (c *jsClient) member(i int) goja.Value {
	rt := c.vu.rt
	switch name, method := clientMembers[i].name, clientMembers[i].method; name {
	case "request":
		return rt.ToValue(func(call goja.FunctionCall) goja.Value {
			m := strings.ToUpper(call.Argument(0).String())
			if m == "" || goja.IsUndefined(call.Argument(0)) {
				panic(rt.NewTypeError("http.request(method, url, params): method is required"))
			}
			return c.request(m, call.Argument(1), call.Argument(2))
		})
	case "client":
		return rt.ToValue(func(call goja.FunctionCall) goja.Value {
			return c.vu.makeClient(call.Argument(0))
		})
	default:
		return rt.ToValue(func(call goja.FunctionCall) goja.Value {
			return c.request(method, call.Argument(0), call.Argument(1))
		})
	}
}

// Set implements goja.DynamicObject: headers, auth and baseURL are checked
// as they are set; other keys are the script's own.
func (c *jsClient) Set(key string, val goja.Value) bool {
	rt := c.vu.rt
	switch key {
	case "headers":
		if isNullish(val) {
			c.headers = nil
			return true
		}
		o, ok := val.(*goja.Object)
		if !ok || isArray(o) {
			panic(rt.NewTypeError("client.headers must be an object of header names to values, got %s", c.vu.format(val)))
		}
		c.headers = o
		return true
	case "auth":
		a, err := basicAuth(val)
		if err != nil {
			panic(rt.NewTypeError("client.auth %v", err))
		}
		c.auth, c.authV = a, val
		if a == "" {
			c.authV = nil
		}
		return true
	case "baseURL":
		if err := c.setBase(val); err != nil {
			panic(rt.NewTypeError("client.baseURL %v", err))
		}
		return true
	}
	if c.extra == nil {
		c.extra = map[string]goja.Value{}
	}
	c.extra[key] = val
	return true
}

// Has implements goja.DynamicObject.
func (c *jsClient) Has(key string) bool { return c.Get(key) != nil }

// Delete implements goja.DynamicObject.
func (c *jsClient) Delete(key string) bool {
	switch key {
	case "headers", "auth", "baseURL":
		c.Set(key, goja.Undefined())
		return true
	}
	for _, m := range clientMembers {
		if m.name == key {
			c.Set(key, nil) // hides the method
			return true
		}
	}
	delete(c.extra, key)
	return true
}

// Keys implements goja.DynamicObject.
func (c *jsClient) Keys() []string {
	keys := []string{}
	for _, m := range clientMembers {
		if v, set := c.extra[m.name]; !set || v != nil {
			keys = append(keys, m.name)
		}
	}
	keys = append(keys, "headers")
	if c.authV != nil {
		keys = append(keys, "auth")
	}
	if c.base != "" {
		keys = append(keys, "baseURL")
	}
	for k, v := range c.extra {
		if v != nil && !isMember(k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func isMember(k string) bool {
	for _, m := range clientMembers {
		if m.name == k {
			return true
		}
	}
	return false
}

func isNullish(v goja.Value) bool { return v == nil || goja.IsUndefined(v) || goja.IsNull(v) }

func isArray(o *goja.Object) bool { return o.ClassName() == "Array" }

// setBase sets the client's base URL: an absolute http(s) URL, or
// null for the run's host.
func (c *jsClient) setBase(v goja.Value) error {
	if isNullish(v) {
		c.base = ""
		return nil
	}
	s := v.String()
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute URL starting with http:// or https://, got %q", s)
	}
	c.base = s
	return nil
}

// basicAuth reads auth, [user, password] as in Locust's client.auth, into
// the Authorization header it stands for; null and undefined are "".
func basicAuth(v goja.Value) (string, error) {
	if isNullish(v) {
		return "", nil
	}
	bad := errors.New("must be [user, password], two strings")
	o, ok := v.(*goja.Object)
	if !ok || !isArray(o) {
		return "", bad
	}
	a, ok := o.Export().([]any)
	if !ok || len(a) != 2 {
		return "", bad
	}
	user, ok1 := a[0].(string)
	pass, ok2 := a[1].(string)
	if !ok1 || !ok2 {
		return "", bad
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), nil
}

// addDefaults adds the client's defaults to a request's headers: its auth
// unless the request has its own auth or Authorization header, and its
// headers where the request has none of that name (in any case).
func (c *jsClient) addDefaults(p *params) {
	set := func(k, v string) {
		if p.header == nil {
			p.header = http.Header{}
		}
		p.header.Set(k, v)
	}
	switch {
	case p.auth != "":
		set("Authorization", p.auth)
	case c.auth != "" && p.header.Get("Authorization") == "":
		set("Authorization", c.auth)
	}
	if c.headers == nil {
		return
	}
	for _, k := range c.headers.Keys() {
		v := c.headers.Get(k)
		if isNullish(v) {
			continue
		}
		if _, own := p.header[http.CanonicalHeaderKey(k)]; !own {
			set(k, v.String())
		}
	}
}

// makeClient implements http.client(options): a client of the user with
// its own connections, cookie jar, base URL and defaults, made from the
// run's options and recording into the same statistics.
func (vu *VU) makeClient(v goja.Value) goja.Value {
	rt := vu.rt
	if len(vu.clients) >= maxClients {
		panic(rt.NewTypeError("http.client(): a user may make at most %d clients (they last as long as the user: make them once, in the constructor or onStart)", maxClients))
	}
	c := vu.newClient()
	if err := c.configure(v); err != nil {
		panic(rt.NewTypeError("http.client(options): %v", err))
	}
	vu.clients = append(vu.clients, c)
	return rt.NewDynamicObject(c)
}

// configure reads http.client's options into c.
func (c *jsClient) configure(v goja.Value) error {
	if isNullish(v) {
		return nil
	}
	o, ok := v.(*goja.Object)
	if !ok || isArray(o) {
		return fmt.Errorf("options must be an object like { baseURL, headers, auth }, got %s", c.vu.format(v))
	}
	own := *c.opts // the client's own options from now on
	c.opts = &own
	return eachSet(o, func(k string, val goja.Value) (err error) {
		switch k {
		case "baseURL":
			err = c.setBase(val)
		case "headers":
			h, ok := val.(*goja.Object)
			if !ok || isArray(h) {
				err = errors.New("must be an object of header names to values")
			}
			c.headers = h
		case "auth":
			c.auth, err = basicAuth(val)
			c.authV = val
		case "timeout":
			c.opts.Timeout, err = durationParam(val)
		case "connectTimeout":
			c.opts.DialTimeout, err = durationParam(val)
		case "discardResponseBodies":
			c.discard = val.ToBoolean()
		case "maxBodySize":
			c.opts.MaxBodyBytes, err = sizeParam(val)
		case "protocol":
			p := val.String()
			if err = config.CheckProtocol(p); err == nil {
				c.opts.Protocol = strings.TrimPrefix(p, "auto")
			}
		case "maxRedirects":
			n := val.ToFloat()
			if n < 0 || n != math.Trunc(n) || n > 1000 {
				err = fmt.Errorf("must be a whole number of redirects from 0 to 1000, got %s", val.String())
			} else if c.opts.MaxRedirects = int(n); n == 0 {
				c.opts.MaxRedirects = httpc.NeverFollowRedirects
			}
		case "tls":
			err = c.configureTLS(val)
		default:
			return fmt.Errorf("unknown option %q%s (known: %s)", k, config.DidYouMean(k, clientOptionNames), strings.Join(clientOptionNames, ", "))
		}
		if err != nil {
			if m := err.Error(); strings.HasPrefix(m, ".") {
				return fmt.Errorf("%s%s", k, m) // tls.cert ...
			}
			return fmt.Errorf("%s %v", k, err)
		}
		return nil
	})
}

// eachSet calls f for every key of o whose value is neither null nor
// undefined, until f fails.
func eachSet(o *goja.Object, f func(k string, v goja.Value) error) error {
	for _, k := range o.Keys() {
		if v := o.Get(k); !isNullish(v) {
			if err := f(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// configureTLS reads a client's tls option: the fields it gives replace
// the run's. cert, key and ca are PEM text or files, relative to the
// script's directory.
func (c *jsClient) configureTLS(v goja.Value) error {
	o, ok := v.(*goja.Object)
	if !ok || isArray(o) {
		return fmt.Errorf("must be an object like { %s }", strings.Join(tlsOptionNames, ", "))
	}
	t := &c.opts.TLS
	err := eachSet(o, func(k string, val goja.Value) (err error) {
		switch k {
		case "cert":
			t.CertFile, t.CertPEM, err = c.vu.s.pemOption(val.String())
		case "key":
			t.KeyFile, t.KeyPEM, err = c.vu.s.pemOption(val.String())
		case "ca":
			t.CAFile, t.CAPEM, err = c.vu.s.pemOption(val.String())
		case "serverName":
			t.ServerName = val.String()
		case "minVersion":
			s := val.String()
			if goja.IsNumber(val) {
				s = fmt.Sprintf("%.1f", val.ToFloat())
			}
			if err = config.CheckTLSVersion(s); err == nil {
				t.MinVersion = s
			}
		case "insecureSkipVerify":
			t.InsecureSkipVerify = val.ToBoolean()
		default:
			return fmt.Errorf("has an unknown key %q%s (known: %s)", k, config.DidYouMean(k, tlsOptionNames), strings.Join(tlsOptionNames, ", "))
		}
		if err != nil {
			return fmt.Errorf(".%s %v", k, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if (t.CertPEM == "") != (t.KeyPEM == "") {
		return errors.New(".cert and .key go together: a client certificate needs its private key")
	}
	if t.CertPEM != "" {
		if err := c.vu.s.checkKeyPair(t.CertPEM, t.KeyPEM); err != nil {
			return fmt.Errorf(".cert and .key are not a certificate and its key: %v", err)
		}
	}
	return nil
}

// pemOption reads a cert, key or ca value: PEM text as it is, or a file
// (relative to the script's directory) read once per script. It returns
// the file's path ("" for PEM text) and the PEM.
func (s *Script) pemOption(v string) (string, string, error) {
	if strings.Contains(v, "-----BEGIN") {
		return "", v, nil
	}
	p := v
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(s.Path), p)
	}
	if b, ok := s.files.Load(p); ok {
		return p, b.(string), nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", "", fmt.Errorf("cannot read %s: %v (in a distributed run, give the PEM text: workers have no copy of the files)", p, err)
	}
	s.files.Store(p, string(b))
	return p, string(b), nil
}

// checkKeyPair checks that cert and key make a pair, once per pair and
// script.
func (s *Script) checkKeyPair(cert, key string) error {
	k := cert + "\x00" + key
	if _, ok := s.files.Load(k); ok {
		return nil
	}
	if _, err := tls.X509KeyPair([]byte(cert), []byte(key)); err != nil {
		return err
	}
	s.files.Store(k, []byte(nil))
	return nil
}

// durationParam reads a duration option: a number of seconds, or a string
// such as "30s" or "1m".
func durationParam(v goja.Value) (time.Duration, error) {
	var d time.Duration
	if goja.IsString(v) {
		var err error
		if d, err = config.ParseDuration(v.String()); err != nil {
			return 0, err
		}
	} else {
		f := v.ToFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("must be a number of seconds > 0 or a duration such as \"30s\", got %s", v.String())
		}
		d = seconds(f)
	}
	if d <= 0 {
		return 0, fmt.Errorf("must be a number of seconds > 0 or a duration such as \"30s\", got %s", v.String())
	}
	return d, nil
}

// sizeParam reads a size option: a number of bytes (-1: no limit), or a
// string such as "10MB", "512KiB" or "unlimited".
func sizeParam(v goja.Value) (int64, error) {
	if goja.IsString(v) {
		return config.ParseSize(v.String())
	}
	f := v.ToFloat()
	if f == -1 {
		return -1, nil
	}
	if !(f >= 0) || f != math.Trunc(f) || f > 1<<50 {
		return 0, fmt.Errorf("must be a whole number of bytes (-1: no limit) or a size such as \"10MB\", got %s", v.String())
	}
	return int64(f), nil
}
