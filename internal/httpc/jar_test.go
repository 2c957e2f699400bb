package httpc

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func names(cs []*http.Cookie) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+"="+c.Value)
	}
	slices.Sort(out)
	return out
}

func TestListedJarDeletesByURLAndName(t *testing.T) {
	j := NewListedJar()
	if !j.Empty() {
		t.Fatal("a new listed jar is not empty")
	}
	u, _ := url.Parse("http://example.test/app/page")
	sub, _ := url.Parse("http://api.example.test/")
	j.SetCookies(u, []*http.Cookie{
		{Name: "a", Value: "1", Path: "/"},
		{Name: "b", Value: "2"}, // default path /app
		{Name: "d", Value: "3", Domain: "example.test", Path: "/"},
	})
	if got := names(j.Cookies(u)); !slices.Equal(got, []string{"a=1", "b=2", "d=3"}) {
		t.Fatalf("cookies = %v", got)
	}
	if got := names(j.Cookies(sub)); !slices.Equal(got, []string{"d=3"}) {
		t.Fatalf("domain cookie for a subdomain = %v", got)
	}
	// A view hides names but shares the cookies.
	v := j.Hiding([]string{"a"})
	if got := names(v.Cookies(u)); !slices.Equal(got, []string{"b=2", "d=3"}) {
		t.Errorf("view = %v", got)
	}
	v.SetCookies(u, []*http.Cookie{{Name: "e", Value: "5", Path: "/"}})
	root, _ := url.Parse("http://example.test/")
	// Deleting at / leaves the /app cookie, which / does not get.
	j.Delete(root, "b")
	if got := names(j.Cookies(u)); !slices.Equal(got, []string{"a=1", "b=2", "d=3", "e=5"}) {
		t.Errorf("after deleting b at /: %v", got)
	}
	j.Delete(u, "b")
	j.Delete(sub, "d") // a domain cookie, deleted from a host it is sent to
	if got := names(j.Cookies(u)); !slices.Equal(got, []string{"a=1", "e=5"}) {
		t.Errorf("after deletes: %v", got)
	}
	j.Delete(root, "")
	if got := j.Cookies(u); len(got) != 0 {
		t.Errorf("after deleting all at /: %v", names(got))
	}
	j.SetCookies(u, []*http.Cookie{{Name: "x", Value: "1"}})
	j.Clear()
	if !j.Empty() || len(j.Cookies(u)) != 0 {
		t.Error("Clear left cookies")
	}
	if NewJar().Delete(u, "x") || NewJar().Empty() {
		t.Error("an unlisted jar cannot delete and is never known empty")
	}
}

func TestSetJarAndTrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/r3":
			http.Redirect(w, r, "/r2", http.StatusFound)
		case "/r2":
			http.Redirect(w, r, "/r1", http.StatusFound)
		default:
			c, _ := r.Cookie("k")
			if c != nil {
				w.Write([]byte(c.Value))
			}
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := New(Options{})
	j := NewListedJar()
	u, _ := url.Parse(srv.URL)
	j.SetCookies(u, []*http.Cookie{{Name: "k", Value: "from-jar", Path: "/"}})
	c.SetJar(j)
	var tr Trace
	res := c.Do(ctx, &Request{URL: srv.URL + "/", Redirects: ClientRedirectLimit, Trace: &tr})
	if string(res.Body) != "from-jar" {
		t.Errorf("body %q: the jar set with SetJar was not sent", res.Body)
	}
	// Waiting may be 0: over loopback the answer can arrive (by the
	// kernel's stamp) before the write that sent the request returned.
	if tr.Reused || tr.Connecting <= 0 || tr.TLSHandshaking != 0 || tr.Remote == nil || tr.Remote.String() != u.Host || tr.Waiting(res) < 0 || tr.Waiting(res) > res.Timings.Duration || tr.Sending < 0 {
		t.Errorf("first request trace = %+v, waiting %v", tr, tr.Waiting(res))
	}
	res = c.Do(ctx, &Request{URL: srv.URL + "/", Redirects: ClientRedirectLimit, Trace: &tr})
	if !tr.Reused || tr.Connecting != 0 || res.Err != nil {
		t.Errorf("second request trace = %+v (%v)", tr, res.Err)
	}
	// At the limit: an error without KeepLastRedirect, the last 3xx with it.
	res = c.Do(ctx, &Request{URL: srv.URL + "/r3", Redirects: 1})
	if res.Err == nil || !strings.Contains(res.ErrText, "stopped after 1 redirects") {
		t.Errorf("limit without KeepLastRedirect: %d %v", res.Status, res.Err)
	}
	tr = Trace{KeepLastRedirect: true}
	res = c.Do(ctx, &Request{URL: srv.URL + "/r3", Redirects: 1, Trace: &tr})
	if res.Err != nil || res.Status != 302 || res.URL != srv.URL+"/r2" || !tr.KeepLastRedirect {
		t.Errorf("limit with KeepLastRedirect: %d %q %v", res.Status, res.URL, res.Err)
	}
}

// TestJarMadeOnFirstCookie: a client that is never given a cookie holds
// no cookiejar; the first Set-Cookie makes it, and the cookie goes back
// to the server; a view made by Hiding before any cookie shares the
// cookies set through it or the jar.
func TestJarMadeOnFirstCookie(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/"})
		}
		if c, err := r.Cookie("a"); err == nil {
			io.WriteString(w, c.Value)
		}
	}))
	c := New(Options{})
	defer c.CloseIdle()
	ctx := testCtx(t)
	get := func(path string) string {
		t.Helper()
		resp := c.Do(ctx, &Request{URL: srv.URL + path})
		if resp.Err != nil || resp.Status != 200 {
			t.Fatalf("%s: status %d, err %v", path, resp.Status, resp.Err)
		}
		return string(resp.Body)
	}
	if got := get("/"); got != "" {
		t.Fatalf("cookie sent before any was set: %q", got)
	}
	if c.Jar().cj.Load() != nil {
		t.Fatal("a jar given no cookie made its cookiejar")
	}
	if got := c.Jar().Cookies(mustURL(t, srv.URL)); got != nil {
		t.Fatalf("empty jar: cookies %v", got)
	}
	get("/set")
	if c.Jar().cj.Load() == nil {
		t.Fatal("no cookiejar after a Set-Cookie")
	}
	if got := get("/"); got != "1" {
		t.Fatalf("cookie sent back = %q, want 1", got)
	}

	j := NewJar()
	v := j.Hiding([]string{"hidden"})
	u := mustURL(t, srv.URL)
	v.SetCookies(u, []*http.Cookie{{Name: "b", Value: "2"}, {Name: "hidden", Value: "3"}})
	j.SetCookies(u, []*http.Cookie{{Name: "c", Value: "4"}})
	if got, want := names(j.Cookies(u)), []string{"b=2", "c=4", "hidden=3"}; !slices.Equal(got, want) {
		t.Errorf("jar cookies = %v, want %v", got, want)
	}
	if got, want := names(v.Cookies(u)), []string{"b=2", "c=4"}; !slices.Equal(got, want) {
		t.Errorf("view cookies = %v, want %v", got, want)
	}
}

// TestClientsShareDialers: Clients with the same dial timeout share one
// Dialer, with that timeout; another timeout has its own.
func TestClientsShareDialers(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	c := New(Options{DialTimeout: 1234 * time.Millisecond})
	if a.dialer != b.dialer || a.dialer.Timeout != DefaultDialTimeout {
		t.Errorf("default timeout: dialers %p and %p, timeout %v", a.dialer, b.dialer, a.dialer.Timeout)
	}
	if c.dialer == a.dialer || c.dialer.Timeout != 1234*time.Millisecond || c.dialer.Control == nil {
		t.Errorf("own timeout: dialer %p (default %p), timeout %v", c.dialer, a.dialer, c.dialer.Timeout)
	}
}
