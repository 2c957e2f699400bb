package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// panelCSP lets the panel load its own scripts, styles and data and
// nothing else; it may not be framed.
const panelCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// reportCSP is for the HTML report shown inline: it is self-contained
// (inline styles and SVG, no scripts), so it gets nothing else, and a
// sandbox.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'"

// secure wraps every route: security headers, the Host check that defeats
// DNS rebinding on a loopback panel, basic authentication, and the
// cross-site check of state-changing requests.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", panelCSP)
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")

		if s.loopback && !s.auth && !isLoopbackHost(hostOnly(r.Host)) {
			// A page on another site whose name resolves to 127.0.0.1
			// (DNS rebinding) would otherwise be "same-origin". With a
			// login the credentials protect the panel (the browser does
			// not send them to the other site's name), so a reverse
			// proxy may then pass its own Host.
			jsonError(w, http.StatusMisdirectedRequest, "this panel listens on the loopback interface only; open it as http://localhost or http://127.0.0.1")
			return
		}
		if s.auth && !s.authorized(r) {
			h.Set("WWW-Authenticate", `Basic realm="jsload", charset="UTF-8"`)
			jsonError(w, http.StatusUnauthorized, "authentication required (--web-login)")
			return
		}
		if changesState(r) {
			if msg := crossSite(r); msg != "" {
				jsonError(w, http.StatusForbidden, msg)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authorized compares the request's credentials with the login in
// constant time (over their hashes, so that lengths do not leak either).
func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	uok := subtle.ConstantTimeCompare(u[:], s.user[:])
	pok := subtle.ConstantTimeCompare(p[:], s.pass[:])
	return uok&pok == 1
}

// changesState reports whether r may change the test: any request other
// than GET, HEAD and OPTIONS, and the GET endpoints Locust exposes for
// control.
func changesState(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		switch r.URL.Path {
		case "/stop", "/stats/reset", "/swarm":
			return true
		}
		return false
	}
	return true
}

// crossSite returns why r comes from another origin, or "" when it comes
// from the panel itself or from a client that is not a browser page (no
// Origin, Referer or Sec-Fetch-Site: curl and scripts, as with Locust).
//
// A browser that sends Sec-Fetch-Site (every current one) is believed:
// only "same-origin" (the panel's own page) and "none" (the user typed the
// address or opened a bookmark) may change the test. "same-site" is
// refused too: a page served from another port of the same host, or from
// another subdomain, is the same site but not the panel, and an
// <img src=".../stop"> on it sends neither Origin nor, with
// referrerpolicy=no-referrer, Referer. Browsers without Sec-Fetch-Site
// fall back to the Origin (else Referer) check.
func crossSite(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	case "same-site":
		return "cross-site request refused: it comes from another page of this host (Sec-Fetch-Site: same-site), not from the panel; control the test from the panel itself"
	default:
		return "cross-site request refused: it comes from another site (Sec-Fetch-Site: " + quote(site) + "); control the test from the panel itself"
	}
	from, what := r.Header.Get("Origin"), "Origin"
	if from == "" {
		from, what = r.Header.Get("Referer"), "Referer"
	}
	if from == "" {
		return ""
	}
	u, err := url.Parse(from)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "cross-site request refused: " + what + " " + quote(from) + " is not this panel"
	}
	if !strings.EqualFold(u.Host, r.Host) && !sameHostPort(u, r.Host) {
		return "cross-site request refused: " + what + " " + quote(u.Scheme+"://"+u.Host) + " is not this panel"
	}
	return ""
}

// sameHostPort compares u's host with a Host header, allowing the default
// port to be written or left out.
func sameHostPort(u *url.URL, host string) bool {
	h, p := hostOnly(host), portOf(host)
	if p == "" {
		if u.Scheme == "https" {
			p = "443"
		} else {
			p = "80"
		}
	}
	up := u.Port()
	if up == "" {
		if u.Scheme == "https" {
			up = "443"
		} else {
			up = "80"
		}
	}
	return strings.EqualFold(strings.Trim(u.Hostname(), "[]"), strings.Trim(h, "[]")) && up == p
}

// hostOnly returns the host part of a Host header, without port.
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

func portOf(hostport string) string {
	if _, p, err := net.SplitHostPort(hostport); err == nil {
		return p
	}
	return ""
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return `"` + s + `"`
}
