package js

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/testcert"
)

// headerServer answers /hdr with the request's headers as JSON (lower-case
// names), /cookie?v=V by setting the cookie session=V, /whoami with that
// cookie, and /big with 1000 bytes of JSON.
func headerServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch strings.TrimPrefix(r.URL.Path, "/base") {
		case "/hdr":
			h := map[string]string{}
			for k, v := range r.Header {
				h[strings.ToLower(k)] = strings.Join(v, ",")
			}
			_ = json.NewEncoder(w).Encode(h)
		case "/cookie":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: r.URL.Query().Get("v"), Path: "/"})
		case "/whoami":
			if c, err := r.Cookie("session"); err == nil {
				fmt.Fprint(w, c.Value)
			}
		case "/big":
			fmt.Fprintf(w, `{"pad":%q}`, strings.Repeat("x", 1000-10))
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// jsonGlobal reads a global the script set to JSON.stringify(...) text.
func jsonGlobal(t *testing.T, vu *VU, name string, into any) {
	t.Helper()
	v := global(vu, name)
	if v == nil {
		t.Fatalf("global %s not set", name)
	}
	if err := json.Unmarshal([]byte(v.String()), into); err != nil {
		t.Fatalf("global %s = %s: %v", name, v.String(), err)
	}
}

func TestClientHeadersAndAuthPerUser(t *testing.T) {
	srv := headerServer(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `
import { HttpUser, task } from "jsload";
export class U extends HttpUser {
  onStart() {
    globalThis.initial = typeof this.client.headers;
    this.client.headers = { "X-Team": "blue", "x-shared": "client" };
    this.client.headers["X-Forwarded-For"] = "10.0.0." + __VU;
    this.client.auth = ["user", "pw" + __VU];
  }
  @task t() {
    globalThis.plain = JSON.stringify(this.client.get("/hdr").json());
    globalThis.own = JSON.stringify(this.client.get("/hdr", { headers: { "X-SHARED": "request", "authorization": "Bearer t" } }).json());
    globalThis.reqAuth = JSON.stringify(this.client.get("/hdr", { auth: ["other", "x"] }).json());
    this.client.auth = null;
    delete this.client.headers["X-Team"];
    globalThis.after = JSON.stringify(this.client.get("/hdr").json());
  }
}
`)
	for _, id := range []int{1, 2} {
		vu := newVU(t, s, env, id, 0)
		vu.OnStart(context.Background())
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
		if global(vu, "initial").String() != "object" {
			t.Errorf("this.client.headers starts as %s, want an object", global(vu, "initial"))
		}
		var plain, own, reqAuth, after map[string]string
		jsonGlobal(t, vu, "plain", &plain)
		jsonGlobal(t, vu, "own", &own)
		jsonGlobal(t, vu, "reqAuth", &reqAuth)
		jsonGlobal(t, vu, "after", &after)
		wantAuth := "Basic " + b64(fmt.Sprintf("user:pw%d", id))
		if plain["x-team"] != "blue" || plain["x-shared"] != "client" || plain["x-forwarded-for"] != fmt.Sprintf("10.0.0.%d", id) || plain["authorization"] != wantAuth {
			t.Errorf("VU %d: client defaults not sent: %v", id, plain)
		}
		if own["x-shared"] != "request" || own["authorization"] != "Bearer t" || own["x-team"] != "blue" {
			t.Errorf("VU %d: a request's own headers must win, case-insensitively: %v", id, own)
		}
		if reqAuth["authorization"] != "Basic "+b64("other:x") {
			t.Errorf("VU %d: params.auth must win over client.auth: %v", id, reqAuth)
		}
		if _, ok := after["authorization"]; ok || after["x-team"] != "" || after["x-shared"] != "client" {
			t.Errorf("VU %d: clearing auth and deleting a header: %v", id, after)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	if r := rowOf(t, snap, "GET", "/hdr"); r.Requests != 8 || r.Failures != 0 {
		t.Errorf("row = %+v", r)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestStyleOneHeadersAndBadValues(t *testing.T) {
	srv := headerServer(t)
	env := testEnv(srv.URL)
	vu := runOnce(t, env, `
import { task, http } from "jsload";
http.headers["X-Init"] = "top";
export const t = task(() => {
  globalThis.h = JSON.stringify(http.get("/hdr").json());
  const errs = [];
  for (const f of [() => { http.headers = "x"; }, () => { http.auth = "user:pw"; }, () => { http.auth = ["u"]; },
                   () => http.get("/hdr", { auth: "x" }), () => http.get("/hdr", { headrs: {} })]) {
    try { f(); errs.push("no error"); } catch (e) { errs.push(e.message); }
  }
  globalThis.errs = JSON.stringify(errs);
});
`)
	var h map[string]string
	jsonGlobal(t, vu, "h", &h)
	if h["x-init"] != "top" {
		t.Errorf("a header set at the top level is not sent: %v", h)
	}
	var errs []string
	jsonGlobal(t, vu, "errs", &errs)
	want := []string{
		`client.headers must be an object of header names to values, got x`,
		`client.auth must be [user, password], two strings`,
		`client.auth must be [user, password], two strings`,
		`params.auth must be [user, password], two strings`,
		`unknown request param "headrs" (did you mean "headers"?)`,
	}
	for i, w := range want {
		if i >= len(errs) || !strings.Contains(errs[i], w) {
			t.Errorf("error %d = %q, want %q", i, errs[i], w)
		}
	}
}

func TestExtraClientHasItsOwnBaseCookiesAndDefaults(t *testing.T) {
	main, other := headerServer(t), headerServer(t)
	env := testEnv(main.URL)
	env.Vars = map[string]string{"API": other.URL + "/base"}
	s := load(t, "main.js", `
import { HttpUser, task } from "jsload";
export class MultipleHosts extends HttpUser {
  constructor() {
    super();
    this.api = this.client.client({ baseURL: __ENV.API, headers: { "X-Api-Key": "k" }, auth: ["a", "b"] });
  }
  @task t() {
    this.client.get("/cookie?v=main");
    this.api.get("/cookie?v=api");
    globalThis.mainWho = this.client.get("/whoami").body;
    const r = this.api.get("/whoami");
    globalThis.apiWho = r.body;
    globalThis.apiURL = r.url;
    globalThis.apiHdr = JSON.stringify(this.api.get("/hdr").json());
    globalThis.mainHdr = JSON.stringify(this.client.get("/hdr").json());
    globalThis.base = this.api.baseURL;
  }
}
`)
	vu := newVU(t, s, env, 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if global(vu, "mainWho").String() != "main" || global(vu, "apiWho").String() != "api" {
		t.Errorf("cookie jars are shared: main %s, api %s", global(vu, "mainWho"), global(vu, "apiWho"))
	}
	if u := global(vu, "apiURL").String(); u != other.URL+"/base/whoami" {
		t.Errorf("the extra client's relative URL resolved to %s", u)
	}
	if global(vu, "base").String() != other.URL+"/base" {
		t.Errorf("api.baseURL = %s", global(vu, "base"))
	}
	var apiHdr, mainHdr map[string]string
	jsonGlobal(t, vu, "apiHdr", &apiHdr)
	jsonGlobal(t, vu, "mainHdr", &mainHdr)
	if apiHdr["x-api-key"] != "k" || apiHdr["authorization"] != "Basic "+b64("a:b") {
		t.Errorf("the extra client's defaults are not sent: %v", apiHdr)
	}
	if mainHdr["x-api-key"] != "" || mainHdr["authorization"] != "" {
		t.Errorf("the extra client's defaults leak into the user's: %v", mainHdr)
	}
	snap := env.Registry.Snapshot(time.Now())
	if r := rowOf(t, snap, "GET", "/whoami"); r.Requests != 2 {
		t.Errorf("both clients record into the statistics: %+v", r)
	}
	if len(vu.clients) != 1 || vu.clients[0].hc == nil {
		t.Fatalf("the user does not own its extra client: %+v", vu.clients)
	}
}

func TestClientOptionErrorsAtLoad(t *testing.T) {
	cases := []struct{ opts, want string }{
		{`{ baseUrl: "http://x" }`, `main.js:4:35: TypeError: http.client(options): unknown option "baseUrl" (did you mean "baseURL"?)`},
		{`{ baseURL: "localhost:8080" }`, `baseURL must be an absolute URL starting with http:// or https://`},
		{`{ timeout: "soon" }`, `timeout "soon" is not a duration`},
		{`{ maxBodySize: "10XB" }`, `maxBodySize "10XB" is not a size`},
		{`{ protocol: "http2" }`, `protocol "http2" is not a protocol`},
		{`{ tls: { sevrerName: "x" } }`, `tls has an unknown key "sevrerName" (did you mean "serverName"?)`},
		{`{ tls: { minVersion: "1.4" } }`, `tls.minVersion "1.4" is not a TLS version`},
		{`{ tls: { cert: "nope.pem", key: "nope.pem" } }`, `tls.cert cannot read`},
		{`{ tls: { ca: "nope.pem" } }`, `nope.pem: no such file or directory`},
		{`"http://x"`, `options must be an object like { baseURL, headers, auth }`},
	}
	for _, c := range cases {
		path := writeScript(t, "main.js", "import { HttpUser, task } from \"jsload\";\nexport class U extends HttpUser {\n  constructor() {\n    super(); this.c = this.client.client("+c.opts+");\n  }\n  @task t() {}\n}\n")
		_, err := Load(context.Background(), path, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("http.client(%s): error %v, want %q", c.opts, err, c.want)
		}
	}
}

func TestClientOptionsReachTheHTTPClient(t *testing.T) {
	certPEM, keyPEM := testcert.SelfSigned(t)
	path := writeScript(t, "main.js", `
import { task, http } from "jsload";
export const t = task(() => {
  http.client({ timeout: "2s", connectTimeout: 0.5, maxBodySize: "1MiB", discardResponseBodies: true, protocol: "h2c", maxRedirects: 0,
                tls: { cert: "certs/c.pem", key: "certs/k.pem", ca: "certs/c.pem", serverName: "api.local", minVersion: 1.2, insecureSkipVerify: true } });
  http.client({ maxBodySize: -1, protocol: "auto", maxRedirects: 3 });
});
`, "certs/c.pem", string(certPEM), "certs/k.pem", string(keyPEM))
	s, err := Load(context.Background(), path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv("http://127.0.0.1:1")
	env.HTTP = httpc.Options{Timeout: time.Minute, MaxBodyBytes: 5, TLS: httpc.TLSOptions{ServerName: "run.local", MinVersion: "1.3"}}
	vu := newVU(t, s, env, 1, 0)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(vu.clients) != 2 {
		t.Fatalf("clients = %d", len(vu.clients))
	}
	a, b := vu.clients[0], vu.clients[1]
	o := a.opts
	if o.Timeout != 2*time.Second || o.DialTimeout != 500*time.Millisecond || o.MaxBodyBytes != 1<<20 || !a.discard || o.DiscardBodies || o.Protocol != "h2c" || o.MaxRedirects != httpc.NeverFollowRedirects {
		t.Errorf("options = %+v, discard %v", o, a.discard)
	}
	tl := o.TLS
	if string(tl.CertPEM) != string(certPEM) || string(tl.KeyPEM) != string(keyPEM) || string(tl.CAPEM) != string(certPEM) ||
		!strings.HasSuffix(tl.CertFile, "certs/c.pem") || tl.ServerName != "api.local" || tl.MinVersion != "1.2" || !tl.InsecureSkipVerify {
		t.Errorf("tls = %+v", tl)
	}
	if b.opts.Timeout != time.Minute || b.opts.MaxBodyBytes != -1 || b.opts.Protocol != "" || b.opts.MaxRedirects != 3 ||
		b.opts.TLS.ServerName != "run.local" || b.opts.TLS.MinVersion != "1.3" {
		t.Errorf("a client keeps the run's options it does not set: %+v", b.opts)
	}
}

func TestDiscardedBodies(t *testing.T) {
	srv := headerServer(t)
	env := testEnv(srv.URL)
	env.HTTP.DiscardBodies = true // --discard-response-bodies
	s := load(t, "main.js", `
import { task, http } from "jsload";
export const t = task(() => {
  const r = http.get("/big", { name: "discarded" });
  globalThis.bodyIsNull = r.body === null;
  try { r.json(); globalThis.jsonErr = "no error"; } catch (e) { globalThis.jsonErr = e.message; }
  globalThis.kept = http.get("/big", { name: "kept", discardBody: false }).json().pad.length;
  const c = http.client({});
  globalThis.clientKept = c.get("/big", { name: "client" }).body === null;
  const k = http.client({ discardResponseBodies: false });
  globalThis.own = k.get("/big", { name: "own", discardBody: true }).body;
});
`)
	vu := newVU(t, s, env, 1, 0)
	var reqs []httpc.Request
	vu.onRequest = func(r *httpc.Request) { reqs = append(reqs, *r) }
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !global(vu, "bodyIsNull").ToBoolean() {
		t.Errorf("a discarded body is not null")
	}
	if m := global(vu, "jsonErr").String(); !strings.Contains(m, "response.json(): the body of GET discarded was discarded") {
		t.Errorf("json() on a discarded body: %q", m)
	}
	if global(vu, "kept").ToInteger() != 990 {
		t.Errorf("discardBody: false did not keep the body")
	}
	if !global(vu, "clientKept").ToBoolean() {
		t.Errorf("a client made with the run's options does not discard")
	}
	if o := global(vu, "own"); o == nil || !isNullish(o) {
		t.Errorf("discardBody: true on a client that keeps bodies: %v", o)
	}
	want := []bool{true, false, true, true}
	for i, r := range reqs {
		if r.DiscardBody != want[i] {
			t.Errorf("request %d DiscardBody = %v, want %v", i, r.DiscardBody, want[i])
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	for _, name := range []string{"discarded", "kept", "client", "own"} {
		if r := rowOf(t, snap, "GET", name); r.Requests != 1 || r.TotalSize != 1000 {
			t.Errorf("%s: the size of a discarded body must still count: %+v", name, r)
		}
	}
}

func TestMaxBodySizeParam(t *testing.T) {
	srv := headerServer(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `
import { task, http } from "jsload";
export const t = task(() => {
  http.get("/hdr", { maxBodySize: 1024 });
  http.get("/hdr", { maxBodySize: "10MB" });
  http.get("/hdr", { maxBodySize: "unlimited" });
  http.get("/hdr", { timeout: "1.5s" });
  http.get("/hdr");
  try { http.get("/hdr", { maxBodySize: 1.5 }); } catch (e) { globalThis.err = e.message; }
});
`)
	vu := newVU(t, s, env, 1, 0)
	var got []int64
	var timeouts []time.Duration
	vu.onRequest = func(r *httpc.Request) {
		got = append(got, r.MaxBodyBytes)
		timeouts = append(timeouts, r.Timeout)
	}
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []int64{1024, 10e6, -1, 0, 0}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MaxBodyBytes = %v, want %v", got, want)
	}
	if len(timeouts) < 4 || timeouts[3] != 1500*time.Millisecond {
		t.Errorf("timeouts = %v", timeouts)
	}
	if e := global(vu, "err"); e == nil || !strings.Contains(e.String(), "params.maxBodySize must be a whole number of bytes") {
		t.Errorf("bad maxBodySize: %v", e)
	}
}

func TestTooManyClients(t *testing.T) {
	env := testEnv("http://127.0.0.1:1")
	vu := runOnce(t, env, `
import { task, http } from "jsload";
export const t = task(() => {
  try { for (let i = 0; i < 1000; i++) http.client({}); } catch (e) { globalThis.err = e.message; }
});
`)
	if e := global(vu, "err"); e == nil || !strings.Contains(e.String(), "a user may make at most 100 clients") {
		t.Errorf("err = %v", e)
	}
}
