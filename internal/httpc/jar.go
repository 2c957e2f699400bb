package httpc

import (
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// Jar is a cookie jar with net/http/cookiejar's rules (domain and path
// matching, expiry, host-only cookies). A Jar made with NewListedJar also
// remembers which cookies it was given, so that they can be deleted by
// URL and name (k6's CookieJar); the jar of New does not, and costs what
// cookiejar costs. A Jar is safe for concurrent use.
type Jar struct {
	// cj holds the cookies; nil until the first is set (most users of a
	// load test are never given one), except in a view (Hiding).
	cj atomic.Pointer[cookiejar.Jar]
	// hide are cookie names that Cookies leaves out: set on a view made
	// by Hiding, which shares the jar's cookies.
	hide []string
	l    *jarList // nil unless listed
}

// jarList is what a listed jar remembers of the cookies it was given.
type jarList struct {
	mu   sync.Mutex
	held map[cookieID]bool // true: a host-only cookie
}

// cookieID names a stored cookie as cookiejar does: domain, path, name.
type cookieID struct{ domain, path, name string }

// NewJar returns an empty jar.
func NewJar() *Jar {
	return &Jar{}
}

// store returns j's cookiejar, made on first use.
func (j *Jar) store() *cookiejar.Jar {
	if cj := j.cj.Load(); cj != nil {
		return cj
	}
	cj, _ := cookiejar.New(nil) // never fails with nil options
	if j.cj.CompareAndSwap(nil, cj) {
		return cj
	}
	return j.cj.Load()
}

// NewListedJar returns an empty jar that remembers its cookies, so that
// Delete and Clear work.
func NewListedJar() *Jar {
	j := NewJar()
	j.l = &jarList{held: map[cookieID]bool{}}
	return j
}

// Listed reports whether j remembers its cookies (NewListedJar).
func (j *Jar) Listed() bool { return j.l != nil }

// Hiding returns a view of j whose Cookies leaves out the cookies named
// names; setting cookies through it sets them in j.
func (j *Jar) Hiding(names []string) *Jar {
	v := &Jar{hide: names, l: j.l}
	v.cj.Store(j.store())
	return v
}

// SetCookies implements http.CookieJar.
func (j *Jar) SetCookies(u *url.URL, cs []*http.Cookie) {
	j.store().SetCookies(u, cs)
	if j.l == nil {
		return
	}
	j.l.mu.Lock()
	defer j.l.mu.Unlock()
	for _, c := range cs {
		id, hostOnly := storedID(u, c)
		j.l.held[id] = hostOnly
	}
}

// Cookies implements http.CookieJar.
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	cj := j.cj.Load()
	if cj == nil {
		return nil
	}
	cs := cj.Cookies(u)
	if len(j.hide) == 0 || len(cs) == 0 {
		return cs
	}
	out := cs[:0]
	for _, c := range cs {
		if !hidden(j.hide, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

func hidden(names []string, n string) bool {
	for _, h := range names {
		if h == n {
			return true
		}
	}
	return false
}

// Delete removes the cookies named name that the jar would send to u
// (every one when name is ""). It needs a listed jar; on another it does
// nothing and reports false.
func (j *Jar) Delete(u *url.URL, name string) bool {
	if j.l == nil {
		return false
	}
	host := canonicalHost(u)
	j.l.mu.Lock()
	var gone []cookieID
	var hostOnly []bool
	for id, ho := range j.l.held {
		if (name == "" || id.name == name) && domainMatch(host, id.domain, ho) && pathMatch(u.Path, id.path) {
			gone = append(gone, id)
			hostOnly = append(hostOnly, ho)
			delete(j.l.held, id)
		}
	}
	j.l.mu.Unlock()
	cj := j.store()
	for i, id := range gone {
		c := &http.Cookie{Name: id.name, Path: id.path, MaxAge: -1}
		su := &url.URL{Scheme: "https", Host: id.domain, Path: id.path}
		if !hostOnly[i] {
			c.Domain = id.domain
			su.Host = host
		}
		cj.SetCookies(su, []*http.Cookie{c})
	}
	return true
}

// Clear removes every cookie of the jar.
func (j *Jar) Clear() {
	cj, _ := cookiejar.New(nil)
	j.cj.Store(cj)
	if j.l != nil {
		j.l.mu.Lock()
		clear(j.l.held)
		j.l.mu.Unlock()
	}
}

// Empty reports whether a listed jar was given no cookie since it was
// made or cleared (false for a jar that is not listed).
func (j *Jar) Empty() bool {
	if j.l == nil {
		return false
	}
	j.l.mu.Lock()
	defer j.l.mu.Unlock()
	return len(j.l.held) == 0
}

// storedID is the id under which cookiejar stores c set from u, and
// whether it is a host-only cookie.
func storedID(u *url.URL, c *http.Cookie) (cookieID, bool) {
	host := canonicalHost(u)
	id := cookieID{domain: host, path: c.Path, name: c.Name}
	hostOnly := true
	if d := strings.ToLower(strings.TrimPrefix(c.Domain, ".")); d != "" && d != host && net.ParseIP(host) == nil {
		id.domain, hostOnly = d, false
	} else if d != "" && d == host && net.ParseIP(host) == nil {
		hostOnly = false
	}
	if id.path == "" || id.path[0] != '/' {
		id.path = defaultPath(u.Path)
	}
	return id, hostOnly
}

// canonicalHost is u's host without its port, in lower case.
func canonicalHost(u *url.URL) string {
	return strings.ToLower(u.Hostname())
}

// defaultPath is RFC 6265 5.1.4's default-path of a request path.
func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// domainMatch reports whether a cookie of domain (host-only or not) is
// sent to host (RFC 6265 5.1.3).
func domainMatch(host, domain string, hostOnly bool) bool {
	if host == domain {
		return true
	}
	return !hostOnly && strings.HasSuffix(host, "."+domain)
}

// pathMatch reports whether a cookie of cookiePath is sent to reqPath
// (RFC 6265 5.1.4).
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == "" {
		reqPath = "/"
	}
	if reqPath == cookiePath {
		return true
	}
	if strings.HasPrefix(reqPath, cookiePath) {
		return strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
	}
	return false
}

// Jar returns the Client's cookie jar.
func (c *Client) Jar() *Jar { return c.jar }

// SetJar makes j the Client's cookie jar for its next requests (k6's
// per-request jars and the jar reset of each iteration). It must not be
// called while a request of the Client is in flight.
func (c *Client) SetJar(j *Jar) {
	c.jar = j
	c.hasCookies.Store(!j.Empty())
}
