package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// newTestServer starts the demo handler with the given latency scale.
func newTestServer(t *testing.T, scale float64) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(newMux(scale))
	t.Cleanup(ts.Close)
	return ts
}

type result struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, method, u, contentType, body string) result {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, string(b)}
}

func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("body %q is not the expected JSON: %v", r.body, err)
	}
	return v
}

func wantStatus(t *testing.T, what string, r result, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d (body %q)", what, r.status, want, r.body)
	}
}

func TestRoot(t *testing.T) {
	ts := newTestServer(t, 1) // no artificial delay on "/" even at full scale
	start := time.Now()
	r := do(t, ts.Client(), "GET", ts.URL+"/", "", "")
	wantStatus(t, "GET /", r, 200)
	if r.body != "ok\n" {
		t.Errorf("body %q, want %q", r.body, "ok\n")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("GET / took %v; it should not be delayed", d)
	}
	r = do(t, ts.Client(), "HEAD", ts.URL+"/", "", "")
	wantStatus(t, "HEAD /", r, 200)
}

func TestCreateUser(t *testing.T) {
	ts := newTestServer(t, 0)
	c := ts.Client()

	r := do(t, c, "POST", ts.URL+"/api/users", "application/json", `{"name":"ada"}`)
	wantStatus(t, "create", r, 201)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	u1 := decode[struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}](t, r)
	if u1.ID < 1 || u1.Name != "ada" {
		t.Errorf("got %+v", u1)
	}
	r = do(t, c, "POST", ts.URL+"/api/users", "application/json", `{"name":"grace"}`)
	wantStatus(t, "create", r, 201)
	u2 := decode[struct {
		ID int64 `json:"id"`
	}](t, r)
	if u2.ID != u1.ID+1 {
		t.Errorf("ids %d then %d, want consecutive", u1.ID, u2.ID)
	}

	for _, body := range []string{``, `{`, `not json`, `{"name": 3}`, `{"name":"a"} {"name":"b"}`, `{}`, `{"name":"  "}`} {
		r := do(t, c, "POST", ts.URL+"/api/users", "application/json", body)
		wantStatus(t, "create with body "+body, r, 400)
		if e := decode[map[string]string](t, r); e["error"] == "" {
			t.Errorf("body %q: no error message in %q", body, r.body)
		}
	}
}

func TestCreateUserConcurrentIDsAreUnique(t *testing.T) {
	ts := newTestServer(t, 0)
	const n = 50
	ids := make(chan int64, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := ts.Client().Post(ts.URL+"/api/users", "application/json", strings.NewReader(`{"name":"x"}`))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var u struct {
				ID int64 `json:"id"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
				t.Error(err)
				return
			}
			ids <- u.ID
		})
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("duplicate id %d", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct ids, want %d", len(seen), n)
	}
}

func TestEntries(t *testing.T) {
	ts := newTestServer(t, 0)
	for range 20 {
		r := do(t, ts.Client(), "GET", ts.URL+"/entries", "", "")
		wantStatus(t, "entries", r, 200)
		list := decode[[]entry](t, r)
		if len(list) < 3 || len(list) > 6 {
			t.Fatalf("%d entries, want 3-6", len(list))
		}
		for _, e := range list {
			if e.ID == 0 || e.Title == "" || e.Author == "" {
				t.Errorf("incomplete entry %+v", e)
			}
		}
	}
}

func TestEntriesLatencyDistribution(t *testing.T) {
	for range 10000 {
		d := entriesLatency()
		if d < 100*time.Millisecond || d > 600*time.Millisecond {
			t.Fatalf("entries latency %v outside [100ms, 600ms]", d)
		}
	}
}

type profile struct {
	LoggedIn bool    `json:"loggedIn"`
	User     *string `json:"user"`
}

func TestLoginAndProfileCookieFlow(t *testing.T) {
	ts := newTestServer(t, 0)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	// Anonymous profile.
	r := do(t, c, "GET", ts.URL+"/profile", "", "")
	wantStatus(t, "anonymous profile", r, 200)
	if p := decode[profile](t, r); p.LoggedIn || p.User != nil {
		t.Fatalf("anonymous profile: %s", r.body)
	}

	// Form login sets the cookie; the profile then names the user.
	r = do(t, c, "POST", ts.URL+"/login", "application/x-www-form-urlencoded", url.Values{"user": {"u1"}}.Encode())
	wantStatus(t, "form login", r, 200)
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "session" {
			session = ck
		}
	}
	if session == nil || session.Value == "" {
		t.Fatalf("login did not set a session cookie; headers %v", r.header)
	}
	r = do(t, c, "GET", ts.URL+"/profile", "", "")
	if p := decode[profile](t, r); !p.LoggedIn || p.User == nil || *p.User != "u1" {
		t.Fatalf("profile after login: %s", r.body)
	}

	// JSON login replaces the session.
	r = do(t, c, "POST", ts.URL+"/login", "application/json; charset=utf-8", `{"user":"Zoë"}`)
	wantStatus(t, "json login", r, 200)
	r = do(t, c, "GET", ts.URL+"/profile", "", "")
	if p := decode[profile](t, r); p.User == nil || *p.User != "Zoë" {
		t.Fatalf("profile after JSON login: %s", r.body)
	}

	// A tampered or foreign cookie is ignored, not an error.
	for _, v := range []string{"garbage", session.Value + "x", "dTE.AAAA", ""} {
		req, _ := http.NewRequest("GET", ts.URL+"/profile", nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: v})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("cookie %q: status %d", v, resp.StatusCode)
		}
		if p := decode[profile](t, result{body: string(b)}); p.LoggedIn {
			t.Errorf("cookie %q accepted: %s", v, b)
		}
	}

	// A session from another server instance (another key) is not accepted.
	other := newTestServer(t, 0)
	req, _ := http.NewRequest("GET", other.URL+"/profile", nil)
	req.AddCookie(session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if p := decode[profile](t, result{body: string(b)}); p.LoggedIn {
		t.Errorf("foreign session accepted: %s", b)
	}

	// Missing user or malformed body.
	for _, tc := range []struct{ ct, body string }{
		{"application/x-www-form-urlencoded", ""},
		{"application/x-www-form-urlencoded", "other=1"},
		{"application/json", `{"user":""}`},
		{"application/json", `{"user":`},
	} {
		r := do(t, c, "POST", ts.URL+"/login", tc.ct, tc.body)
		wantStatus(t, "login "+tc.ct+" "+tc.body, r, 400)
	}
	// Alternative field names.
	r = do(t, c, "POST", ts.URL+"/login", "application/x-www-form-urlencoded", "username=bob")
	wantStatus(t, "login username=", r, 200)
	r = do(t, c, "POST", ts.URL+"/login", "application/json", `{"name":"eve"}`)
	wantStatus(t, "login json name", r, 200)
}

func TestRegistry(t *testing.T) {
	ts := newTestServer(t, 0)
	c := ts.Client()

	r := do(t, c, "GET", ts.URL+"/registry/models", "", "")
	wantStatus(t, "list", r, 200)
	list := decode[[]model](t, r)
	if len(list) != len(seedModels) {
		t.Fatalf("%d models, want %d", len(list), len(seedModels))
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Name >= list[i].Name {
			t.Errorf("list not sorted: %q before %q", list[i-1].Name, list[i].Name)
		}
	}

	r = do(t, c, "GET", ts.URL+"/registry/models/resnet-50", "", "")
	wantStatus(t, "get known", r, 200)
	if m := decode[model](t, r); m.Name != "resnet-50" || m.Version == "" || m.Size <= 0 {
		t.Errorf("got %+v", m)
	}

	r = do(t, c, "GET", ts.URL+"/registry/models/no-such-model", "", "")
	wantStatus(t, "get unknown", r, 404)
	if e := decode[map[string]string](t, r); !strings.Contains(e["error"], "no-such-model") {
		t.Errorf("404 body %q", r.body)
	}

	r = do(t, c, "POST", ts.URL+"/registry/models", "application/json", `{"name":"my-model","version":"2.0.0"}`)
	wantStatus(t, "register", r, 201)
	if m := decode[model](t, r); m.Name != "my-model" || m.Version != "2.0.0" || m.Size <= 0 {
		t.Errorf("registered %+v", m)
	}
	r = do(t, c, "GET", ts.URL+"/registry/models/my-model", "", "")
	wantStatus(t, "get registered", r, 200)
	// Re-registering updates the version.
	r = do(t, c, "POST", ts.URL+"/registry/models", "application/json", `{"name":"my-model","version":"2.1.0","size":42}`)
	wantStatus(t, "re-register", r, 201)
	r = do(t, c, "GET", ts.URL+"/registry/models/my-model", "", "")
	if m := decode[model](t, r); m.Version != "2.1.0" || m.Size != 42 {
		t.Errorf("after re-register: %+v", m)
	}
	r = do(t, c, "GET", ts.URL+"/registry/models", "", "")
	if n := len(decode[[]model](t, r)); n != len(seedModels)+1 {
		t.Errorf("%d models after register, want %d", n, len(seedModels)+1)
	}

	for _, body := range []string{`{`, `{"version":"1"}`, `{"name":"a/b"}`, `{"name":"x","size":-1}`} {
		r := do(t, c, "POST", ts.URL+"/registry/models", "application/json", body)
		wantStatus(t, "register "+body, r, 400)
	}
}

func TestNotFound(t *testing.T) {
	ts := newTestServer(t, 0)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/shujie"},
		{"GET", "/nope/deeper"},
		{"GET", "/api/users"},
		{"POST", "/"},
		{"DELETE", "/entries"},
		{"PUT", "/registry/models/resnet-50"},
		{"GET", "/registry/models/a/b"},
		{"GET", "/entries/1"},
	} {
		r := do(t, ts.Client(), tc.method, ts.URL+tc.path, "", "")
		wantStatus(t, tc.method+" "+tc.path, r, 404)
		if e := decode[map[string]string](t, r); e["error"] == "" {
			t.Errorf("%s %s: body %q has no error", tc.method, tc.path, r.body)
		}
	}
}

func TestLatencyScaleZeroIsFast(t *testing.T) {
	ts := newTestServer(t, 0)
	c := ts.Client()
	start := time.Now()
	for range 5 {
		do(t, c, "POST", ts.URL+"/api/users", "application/json", `{"name":"a"}`)
		do(t, c, "GET", ts.URL+"/entries", "", "")
		do(t, c, "GET", ts.URL+"/profile", "", "")
		do(t, c, "GET", ts.URL+"/registry/models/bert-base", "", "")
	}
	// At scale 1 this would take at least 5*(200+100+1+10) ms ≈ 1.5 s.
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("20 requests at latency scale 0 took %v", d)
	}
}

func TestLatencyScaleApplies(t *testing.T) {
	ts := newTestServer(t, 0.1)
	start := time.Now()
	r := do(t, ts.Client(), "POST", ts.URL+"/api/users", "application/json", `{"name":"a"}`)
	wantStatus(t, "create", r, 201)
	// 200-400 ms scaled by 0.1 is 20-40 ms.
	if d := time.Since(start); d < 20*time.Millisecond || d > 2*time.Second {
		t.Errorf("POST /api/users at scale 0.1 took %v, want about 20-40 ms", d)
	}
}

func TestDelayStopsWhenClientGoesAway(t *testing.T) {
	ts := newTestServer(t, 100) // /entries would take 10 s or more
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/entries", nil)
	start := time.Now()
	if resp, err := ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("expected the request to time out")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancelled request took %v", d)
	}
	// ts.Close (in Cleanup) blocks until handlers return, so a handler stuck
	// in its delay would make this test hang rather than pass.
}

func TestRunPrintsAddressAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-quiet", "-latency-scale", "0"}, pw, &stderr)
		pw.Close()
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading first line: %v", err)
	}
	m := regexp.MustCompile(`^example_server listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q does not match", line)
	}
	go io.Copy(io.Discard, pr)

	resp, err := http.Get(m[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok\n" {
		t.Fatalf("GET / = %d %q", resp.StatusCode, b)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d, stderr %q", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not shut down")
	}
	if stderr.Len() != 0 {
		t.Errorf("-quiet server wrote to stderr: %q", stderr.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-latency-scale", "-1"},
		{"-latency-scale", "NaN"},
		{"-latency-scale", "abc"},
		{"-no-such-flag"},
		{"extra"},
	} {
		var out, errb strings.Builder
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit code %d, want 2", args, code)
		}
		if out.Len() != 0 {
			t.Errorf("%v: wrote to stdout: %q", args, out.String())
		}
	}
}

func TestRunAddressInUse(t *testing.T) {
	ts := newTestServer(t, 0)
	var out, errb strings.Builder
	addr := strings.TrimPrefix(ts.URL, "http://")
	if code := run(context.Background(), []string{"-addr", addr}, &out, &errb); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "in use") {
		t.Errorf("stderr %q does not mention the busy address", errb.String())
	}
}

func TestDisplayURL(t *testing.T) {
	for in, want := range map[string]string{
		"[::]:8080":      "http://127.0.0.1:8080",
		"0.0.0.0:80":     "http://127.0.0.1:80",
		"127.0.0.1:1234": "http://127.0.0.1:1234",
		"[::1]:9":        "http://[::1]:9",
	} {
		addr, err := netResolve(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := displayURL(addr); got != want {
			t.Errorf("displayURL(%s) = %s, want %s", in, got, want)
		}
	}
}

func netResolve(s string) (net.Addr, error) { return net.ResolveTCPAddr("tcp", s) }
