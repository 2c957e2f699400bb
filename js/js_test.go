package js

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/stats"
)

// writeScript writes files (name -> source) into a temp dir and returns the
// path of the first one named.
func writeScript(t testing.TB, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, files[0])
}

func load(t *testing.T, files ...string) *Script {
	t.Helper()
	s, err := Load(context.Background(), writeScript(t, files...), LoadOptions{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func testEnv(host string) *Env {
	return &Env{Host: host, Registry: stats.NewRegistry(2), Out: &strings.Builder{}, Vars: map[string]string{"GREETING": "hi"}}
}

func newVU(t *testing.T, s *Script, env *Env, id, class int) *VU {
	t.Helper()
	vu, err := s.NewVU(context.Background(), env, id, class)
	if err != nil {
		t.Fatalf("NewVU: %v", err)
	}
	t.Cleanup(vu.Close)
	return vu
}

func rowOf(t *testing.T, snap *stats.Snapshot, typ, name string) *stats.Row {
	t.Helper()
	for _, r := range snap.Rows {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	var have []string
	for _, r := range snap.Rows {
		have = append(have, r.Type+" "+r.Name)
	}
	t.Fatalf("no row %s %s; have %v", typ, name, have)
	return nil
}

// global reads a global variable of a VU's runtime.
func global(vu *VU, name string) goja.Value { return vu.rt.Get(name) }

func TestLoadDescribesBothStyles(t *testing.T) {
	s := load(t, "a.js", `
import { task, between } from "jsload";
export const options = { host: "http://example.test", users: 5, waitTime: between(1, 2) };
export const a = task(3, () => {});
export const b = task(() => {}, { tags: ["x", "y"] });
export const c = task(0, () => {});
export function setup() { return 1; }
`)
	if len(s.Classes) != 1 || s.Classes[0].Name != DefaultClass {
		t.Fatalf("classes = %+v", s.Classes)
	}
	got := fmtTasks(s.Classes[0].Tasks)
	if want := "[{a 3 []} {b 1 [x y]} {c 0 []}]"; got != want {
		t.Errorf("tasks = %s, want %s", got, want)
	}
	if s.Options["host"] != "http://example.test" || s.Options["users"] != int64(5) {
		t.Errorf("options = %v", s.Options)
	}
	if _, ok := s.Options["waitTime"]; ok {
		t.Errorf("waitTime must stay in the script, options = %v", s.Options)
	}
	if !s.HasSetup || s.HasTeardown {
		t.Errorf("setup/teardown = %v/%v", s.HasSetup, s.HasTeardown)
	}

	c := load(t, "u.ts", `
import { HttpUser, User, task, tag, between } from "jsload";
class Base extends HttpUser {
  @task(2) inherited() {}
  @task overridden() {}
}
export class Shopper extends Base {
  static weight = 3;
  waitTime = between(1, 5);
  @task(3) browse(): void {}
  @task @tag("checkout") buy() {}
  @tag("only-tag") notATask() {}
  @task(5) overridden() {}
  helper() {}
}
export class Admin extends User {
  static fixedCount = 1;
  static host = "http://admin.test";
  @task admin() {}
}
`)
	if len(c.Classes) != 2 {
		t.Fatalf("classes = %+v", c.Classes)
	}
	byName := map[string]ClassInfo{}
	for _, k := range c.Classes {
		byName[k.Name] = k
	}
	sh := byName["Shopper"]
	if sh.Weight != 3 || sh.FixedCount != 0 || !sh.HTTP {
		t.Errorf("Shopper = %+v", sh)
	}
	if got, want := fmtTasks(sh.Tasks), "[{inherited 2 []} {browse 3 []} {buy 1 [checkout]} {overridden 5 []}]"; got != want {
		t.Errorf("Shopper tasks = %s, want %s", got, want)
	}
	ad := byName["Admin"]
	if ad.FixedCount != 1 || ad.Host != "http://admin.test" || ad.HTTP {
		t.Errorf("Admin = %+v", ad)
	}
}

func TestLoadErrorsPointAtTheUsersSource(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		want  string // suffix of the error after the directory
	}{
		{"syntax", []string{"main.js", "import { task } from \"jsload\";\nexport const a = task(() => {\n  let x = ;\n});\n"}, "main.js:3:11: Unexpected \";\""},
		{"syntax in import", []string{"main.js", "import { f } from \"./lib/util.js\";\nexport const a = 1;\n", "lib/util.js", "export function f() {\n  return 1 +;\n}\n"}, "util.js:2:13: Unexpected \";\""},
		{"throw at import", []string{"main.js", "import { task } from \"jsload\";\nconst y = 1;\nthrow new Error(\"bad import\");\nexport const a = task(() => {});\n"}, "main.js:3:7: Error: bad import"},
		{"throw in imported file", []string{"main.js", "import \"./lib.js\";\nexport const a = 1;\n", "lib.js", "\n\nnull.x;\n"}, "lib.js:3:6: TypeError: Cannot read property 'x' of"},
		{"JSON.parse at load", []string{"main.js", "import { task } from \"jsload\";\nconst x = 1;\nconst cfg = JSON.parse(\"{bad\");\nexport const a = task(() => {});\n"}, "main.js:3:18: JSON.parse: invalid character 'b' (the text given is not valid JSON) (while running the script's top-level code)"},
		{"top-level TypeError", []string{"main.js", "import { task } from \"jsload\";\nconst o = undefined;\no.x = 1;\nexport const a = task(() => {});\n"}, "main.js:3:3: TypeError: Cannot convert undefined or null to object (while running the script's top-level code)"},
		{"no tasks", []string{"main.js", "export const x = 1;\n"}, "the script has no tasks: export task(fn) / task(weight, fn) functions, or a class extending HttpUser or User with @task methods"},
		{"class without tasks", []string{"main.js", "import { HttpUser } from \"jsload\";\nexport class Idle extends HttpUser { run() {} }\n"}, "user class Idle has no tasks: mark methods with @task or @task(weight)"},
		{"both styles", []string{"main.js", "import { HttpUser, task } from \"jsload\";\nexport class U extends HttpUser { @task t() {} }\nexport const x = task(() => {});\n"}, "use one style"},
		{"unknown module", []string{"main.js", "import { x } from \"lodash\";\nexport const a = 1;\n"}, "Could not resolve \"lodash\""},
		{"bad weight", []string{"main.js", "import { task } from \"jsload\";\nexport const a = task(-1, () => {});\n"}, "main.js:2:18: TypeError: task: weight must be a whole number >= 0, got -1"},
		{"missing file", []string{"other.js", ""}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeScript(t, c.files...)
			if c.name == "missing file" {
				path = filepath.Join(filepath.Dir(path), "nope.js")
			}
			_, err := Load(context.Background(), path, LoadOptions{})
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if _, ok := err.(*ScriptError); !ok {
				t.Errorf("error is %T, want *ScriptError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "goroutine") || strings.Contains(msg, ".jsload-bundle.js") {
				t.Errorf("error leaks internals: %s", msg)
			}
			if c.want != "" && !strings.HasSuffix(msg, c.want) && !strings.Contains(msg, c.want) {
				t.Errorf("error = %q, want it to end with %q", msg, c.want)
			}
			if c.name == "missing file" && !strings.Contains(msg, "not found") {
				t.Errorf("error = %q", msg)
			}
		})
	}
}

// server is a test target: /echo answers with the request, /status/N with
// status N, /cookie sets a cookie, /whoami echoes it.
func server(t testing.TB) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		body := make([]byte, 0, 64)
		if r.Body != nil {
			buf := make([]byte, 4096)
			n, _ := r.Body.Read(buf)
			body = buf[:n]
		}
		fmt.Fprintf(w, `{"method":%q,"query":%q,"ctype":%q,"body":%q,"x":%q}`, r.Method, r.URL.RawQuery, r.Header.Get("Content-Type"), body, r.Header.Get("X-Test"))
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/status/"), "%d", &code)
		w.WriteHeader(code)
		fmt.Fprint(w, "status body")
	})
	mux.HandleFunc("/cookie", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: r.URL.Query().Get("v"), Path: "/"})
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("session")
		if err != nil {
			fmt.Fprint(w, "nobody")
			return
		}
		fmt.Fprint(w, c.Value)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runOnce runs the single task of a script once in a new VU.
func runOnce(t *testing.T, env *Env, src string) *VU {
	t.Helper()
	s := load(t, "main.js", src)
	vu := newVU(t, s, env, 1, 0)
	vu.OnStart(context.Background())
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	return vu
}

func TestHTTPRequestsAreRecorded(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	env.Vars["TARGET"] = srv.URL
	vu := runOnce(t, env, `
import { task, http } from "jsload";
export const t = task(() => {
  const r = http.post("/echo?a=1", { json: { n: 1 }, headers: { "X-Test": "yes" }, query: { b: [2, 3] } });
  globalThis.res = { status: r.status, ok: r.ok, body: r.json(), ctype: r.headers["content-type"], url: r.url,
                     timing: r.timings.duration >= r.timings.waiting, error: r.error };
  http.get("/status/404");
  http.get("/status/503", { name: "named" });
  http.put("/echo", { form: { a: "x y", b: 2 } });
  http.del("/echo");
  http.request("patch", "/echo", { body: "raw" });
  http.head("/echo");
  http.options("/echo");
  http.get("/echo", { record: false });
  http.get(__ENV.TARGET + "/echo?q=1");
  globalThis.redir = http.get("/redirect").url;
  globalThis.noredir = http.get("/redirect", { redirects: 0 }).status;
});
`)
	res := global(vu, "res").Export().(map[string]any)
	body := res["body"].(map[string]any)
	if res["status"] != int64(200) || res["ok"] != true || res["error"] != nil || res["timing"] != true {
		t.Errorf("response = %v", res)
	}
	if body["method"] != "POST" || body["query"] != "a=1&b=2&b=3" || body["ctype"] != "application/json" || body["body"] != `{"n":1}` || body["x"] != "yes" {
		t.Errorf("server saw %v", body)
	}
	if !strings.HasSuffix(global(vu, "redir").String(), "/echo") || global(vu, "noredir").ToInteger() != 302 {
		t.Errorf("redirects: followed to %v, unfollowed status %v", global(vu, "redir"), global(vu, "noredir"))
	}
	snap := env.Registry.Snapshot(time.Now())
	if r := rowOf(t, snap, "POST", "/echo"); r.Requests != 1 || r.Failures != 0 || r.TotalSize == 0 {
		t.Errorf("POST /echo row = %+v", r)
	}
	if r := rowOf(t, snap, "GET", "/status/404"); r.Failures != 1 {
		t.Errorf("404 not a failure: %+v", r)
	}
	if r := rowOf(t, snap, "GET", "named"); r.Failures != 1 {
		t.Errorf("503 named row: %+v", r)
	}
	for _, m := range []string{"PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"} {
		rowOf(t, snap, m, "/echo")
	}
	// record: false leaves the call out; the absolute URL is named without its query.
	for _, r := range snap.Rows {
		if r.Type == "GET" && r.Name == "/echo" {
			t.Errorf("record:false was recorded: %+v", r)
		}
	}
	rowOf(t, snap, "GET", srv.URL+"/echo")
	wantErr := map[string]bool{"404 Client Error: Not Found": false, "503 Server Error: Service Unavailable": false}
	for _, f := range snap.Failures {
		if _, ok := wantErr[f.Error]; ok {
			wantErr[f.Error] = true
		}
	}
	for e, seen := range wantErr {
		if !seen {
			t.Errorf("failure %q not grouped; failures = %+v", e, snap.Failures)
		}
	}
}

func TestCatchResponseAndRecordFalse(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	runOnce(t, env, `
import { task, http } from "jsload";
export const t = task(() => {
  http.get("/status/404", { catchResponse: true, name: "ok404" }).success();
  http.get("/status/200", { catchResponse: true, name: "bad200" }).failure("wrong body");
  const r = http.get("/status/200", { catchResponse: true, name: "twice" });
  r.failure("first"); r.success();
  http.get("/status/500", { catchResponse: true, name: "unmarked" });
  http.get("/status/500", { catchResponse: true, name: "unrecorded", record: false }).failure("x");
});
`)
	snap := env.Registry.Snapshot(time.Now())
	check := func(name string, reqs, fails int64) {
		t.Helper()
		r := rowOf(t, snap, "GET", name)
		if r.Requests != reqs || r.Failures != fails {
			t.Errorf("%s: %d requests %d failures, want %d/%d", name, r.Requests, r.Failures, reqs, fails)
		}
	}
	check("ok404", 1, 0)
	check("bad200", 1, 1)
	check("twice", 1, 1)
	check("unmarked", 1, 1)
	for _, r := range snap.Rows {
		if r.Name == "unrecorded" {
			t.Errorf("record:false with catchResponse was recorded")
		}
	}
	found := false
	for _, f := range snap.Failures {
		if f.Name == "bad200" && f.Error == "wrong body" {
			found = true
		}
	}
	if !found {
		t.Errorf("failure message not kept: %+v", snap.Failures)
	}
}

func TestEventsFireAndMeasure(t *testing.T) {
	env := testEnv("")
	runOnce(t, env, `
import { task, events } from "jsload";
export const t = task(() => {
  events.fire({ type: "coeus", name: "registry", responseTime: 12.5, responseLength: 100 });
  events.request.fire({ request_type: "coeus", name: "registry", response_time: 20, response_length: 50, exception: new Error("boom") });
  events.fire({ type: "coeus", name: "registry", responseTime: 3, exception: "plain text" });
  events.request_success.fire({ request_type: "old", name: "api", response_time: 1, response_length: 1 });
  events.request_failure.fire({ request_type: "old", name: "api", response_time: 1, exception: "bad" });
  globalThis.v = events.measure("calc", "ok", () => 42);
  globalThis.w = events.measure("calc", "throws", () => { throw new TypeError("nope"); });
});
`)
	snap := env.Registry.Snapshot(time.Now())
	r := rowOf(t, snap, "coeus", "registry")
	if r.Requests != 3 || r.Failures != 2 || r.TotalSize != 150 || r.Min != 3*time.Millisecond || r.Max != 20*time.Millisecond {
		t.Errorf("coeus row = %+v", r)
	}
	if r := rowOf(t, snap, "old", "api"); r.Requests != 2 || r.Failures != 1 {
		t.Errorf("old api row = %+v", r)
	}
	if r := rowOf(t, snap, "calc", "ok"); r.Requests != 1 || r.Failures != 0 {
		t.Errorf("measure ok = %+v", r)
	}
	if r := rowOf(t, snap, "calc", "throws"); r.Requests != 1 || r.Failures != 1 {
		t.Errorf("measure throws = %+v", r)
	}
	errs := map[string]int64{}
	for _, f := range snap.Failures {
		errs[f.Type+" "+f.Name+": "+f.Error] = f.Count
	}
	for _, want := range []string{"coeus registry: Error: boom", "coeus registry: plain text", "old api: bad", "calc throws: TypeError: nope"} {
		if errs[want] != 1 {
			t.Errorf("failure %q missing; have %v", want, errs)
		}
	}
	if len(snap.Exceptions) != 0 {
		t.Errorf("measure must swallow the exception: %+v", snap.Exceptions)
	}
}

func TestEventsFireRejectsBadInput(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `
import { task, events } from "jsload";
export const t = task(() => { events.fire({ type: "x", responseTime: 1 }); });
`)
	vu := newVU(t, s, env, 1, 0)
	_ = vu.RunTask(context.Background())
	snap := env.Registry.Snapshot(time.Now())
	if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, "events.fire: name is required") {
		t.Fatalf("exceptions = %+v", snap.Exceptions)
	}
	if !strings.HasSuffix(snap.Exceptions[0].Position, "main.js:3:38") {
		t.Errorf("position = %q", snap.Exceptions[0].Position)
	}
}

func TestTaskExceptionsAreCountedAndTheVUGoesOn(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `
import { task } from "jsload";
globalThis.n = 0;
export const t = task(() => {
  n++;
  if (n % 2) throw new RangeError("odd " + (n % 2));
});
`)
	vu := newVU(t, s, env, 1, 0)
	for i := 0; i < 10; i++ {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := global(vu, "n").ToInteger(); n != 10 {
		t.Errorf("ran %d tasks, want 10", n)
	}
	snap := env.Registry.Snapshot(time.Now())
	if len(snap.Exceptions) != 1 {
		t.Fatalf("exceptions = %+v", snap.Exceptions)
	}
	x := snap.Exceptions[0]
	if x.Count != 5 || x.Message != "RangeError: odd 1" || !strings.HasSuffix(x.Position, "main.js:6:20") || !strings.Contains(x.Traceback, "main.js:6:20") {
		t.Errorf("exception = %+v", x)
	}
}

func TestTaskWeightsSelectProportionally(t *testing.T) {
	s := load(t, "main.js", `
import { task } from "jsload";
globalThis.c = { a: 0, b: 0, z: 0 };
export const a = task(1, () => { c.a++; });
export const b = task(3, () => { c.b++; });
export const z = task(0, () => { c.z++; });
`)
	vu := newVU(t, s, testEnv(""), 1, 0)
	const n = 20000
	for i := 0; i < n; i++ {
		_ = vu.RunTask(context.Background())
	}
	c := global(vu, "c").Export().(map[string]any)
	a, b, z := c["a"].(int64), c["b"].(int64), c["z"].(int64)
	if z != 0 || a+b != n {
		t.Fatalf("counts a=%d b=%d z=%d", a, b, z)
	}
	// Binomial(n, 0.25): 6 standard deviations is a bound that a correct
	// picker fails about once in 10^9 runs.
	mean, sd := n*0.25, math.Sqrt(n*0.25*0.75)
	if math.Abs(float64(a)-mean) > 6*sd {
		t.Errorf("task a ran %d times of %d, want about %.0f", a, n, mean)
	}
}

func TestGlobalsSetupDataAndHooks(t *testing.T) {
	env := testEnv("")
	env.SetupData = `{"token":"abc"}`
	s := load(t, "main.ts", `
import { HttpUser, task, constant } from "jsload";
export class U extends HttpUser {
  waitTime = constant(0.25);
  seen: string[] = [];
  onStart(data: any) { this.seen.push("start:" + data.token + ":" + __VU); }
  @task t(data: any) { this.seen.push("task:" + __ITER + ":" + data.token + ":" + __ENV.GREETING); }
  onStop() { this.seen.push("stop"); globalThis.seen = this.seen; }
}
`)
	vu := newVU(t, s, env, 7, 0)
	ctx := context.Background()
	vu.OnStart(ctx)
	_ = vu.RunTask(ctx)
	_ = vu.RunTask(ctx)
	vu.OnStop(ctx)
	got := fmt.Sprint(global(vu, "seen").Export())
	if want := "[start:abc:7 task:0:abc:hi task:1:abc:hi stop]"; got != want {
		t.Errorf("seen = %s, want %s", got, want)
	}
	if w := vu.WaitTime(0); w != 250*time.Millisecond {
		t.Errorf("constant(0.25) wait = %v", w)
	}
}

// jsload's globals read the same by name and through globalThis, and a
// script may still shadow them, yet none is an own property of the global
// object (newVUIn keeps them in its prototype, so that goja does not copy
// the global template's names into every runtime).
func TestGlobalsLiveBehindTheGlobalObject(t *testing.T) {
	s := load(t, "main.js", `
import { task } from "jsload";
export const t = task(() => {
  globalThis.got = [__VU, globalThis.__VU, __ITER, globalThis.__ITER, __ENV.GREETING,
    typeof console.log, typeof globalThis.console.log, typeof require,
    Object.getOwnPropertyNames(globalThis).filter((n) => ["__VU", "__ITER", "__ENV", "console", "require", "module", "exports"].includes(n)).length];
});
`)
	vu := newVU(t, s, testEnv(""), 3, 0)
	ctx := context.Background()
	_ = vu.RunTask(ctx)
	_ = vu.RunTask(ctx)
	if got, want := fmt.Sprint(global(vu, "got").Export()), "[3 3 1 1 hi function function function 0]"; got != want {
		t.Errorf("globals = %s, want %s", got, want)
	}
	shadow := load(t, "main.js", `
import { task } from "jsload";
globalThis.console = { log: () => { globalThis.logged = true; } };
export const t = task(() => { console.log("x"); });
`)
	vu = newVU(t, shadow, testEnv(""), 1, 0)
	_ = vu.RunTask(ctx)
	if !global(vu, "logged").ToBoolean() {
		t.Errorf("a console the script set on globalThis was not the one called")
	}
}

func TestSetupAndTeardown(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `
import { task } from "jsload";
export function setup() { return { users: [1, 2, 3], at: __VU }; }
export function teardown(data) { console.log("teardown", data.users.length, data.at); }
export const t = task((data) => { globalThis.got = data.users.length; });
`)
	data, err := s.RunSetup(context.Background(), env)
	if err != nil || data != `{"users":[1,2,3],"at":0}` {
		t.Fatalf("setup = %q, %v", data, err)
	}
	env.SetupData = data
	vu := runOnceWith(t, s, env)
	if global(vu, "got").ToInteger() != 3 {
		t.Errorf("task did not get the setup data")
	}
	if err := s.RunTeardown(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if out := env.Out.(*strings.Builder).String(); !strings.Contains(out, "[VU 0] teardown 3 0") {
		t.Errorf("teardown output = %q", out)
	}

	bad := load(t, "main.js", "import { task } from \"jsload\";\nexport function setup() { throw new Error(\"no db\"); }\nexport const t = task(() => {});\n")
	if _, err := bad.RunSetup(context.Background(), testEnv("")); err == nil || !strings.Contains(err.Error(), "main.js:2:33: Error: no db") {
		t.Errorf("setup error = %v", err)
	}
}

func runOnceWith(t *testing.T, s *Script, env *Env) *VU {
	t.Helper()
	vu := newVU(t, s, env, 1, 0)
	_ = vu.RunTask(context.Background())
	return vu
}

func TestWaitTimes(t *testing.T) {
	cases := []struct {
		wait     string
		last     time.Duration
		min, max time.Duration
	}{
		{"between(0.5, 1.5)", 0, 500 * time.Millisecond, 1500 * time.Millisecond},
		{"constant(2)", 0, 2 * time.Second, 2 * time.Second},
		{"constantPacing(1)", 300 * time.Millisecond, 700 * time.Millisecond, 700 * time.Millisecond},
		{"constantPacing(1)", 3 * time.Second, 0, 0},
		{"constantThroughput(4)", 100 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond},
		{"() => 0.125", 0, 125 * time.Millisecond, 125 * time.Millisecond},
		{"3", 0, 3 * time.Second, 3 * time.Second},
	}
	for _, c := range cases {
		s := load(t, "main.js", fmt.Sprintf(`
import { task, between, constant, constantPacing, constantThroughput } from "jsload";
export const options = { waitTime: %s };
export const t = task(() => {});
`, c.wait))
		vu := newVU(t, s, testEnv(""), 1, 0)
		for i := 0; i < 200; i++ {
			w := vu.WaitTime(c.last)
			if w < c.min || w > c.max {
				t.Fatalf("%s after %v: wait %v not in [%v, %v]", c.wait, c.last, w, c.min, c.max)
			}
		}
	}
	if _, err := Load(context.Background(), writeScript(t, "main.js", "import { task, between } from \"jsload\";\nexport const options = { waitTime: between(2, 1) };\nexport const t = task(() => {});\n"), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "max 1 is less than min 2") {
		t.Errorf("between(2, 1) error = %v", err)
	}
}

func TestCookiesArePerVU(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `
import { task, http } from "jsload";
export function onStart() { if (__VU === 1) http.get("/cookie?v=vu1"); }
export const t = task(() => { globalThis.who = http.get("/whoami").body; });
`)
	vu1, vu2 := newVU(t, s, env, 1, 0), newVU(t, s, env, 2, 0)
	for _, vu := range []*VU{vu1, vu2} {
		vu.OnStart(context.Background())
		_ = vu.RunTask(context.Background())
	}
	if a, b := global(vu1, "who").String(), global(vu2, "who").String(); a != "vu1" || b != "nobody" {
		t.Errorf("cookies: VU1 sees %q, VU2 sees %q", a, b)
	}
}

func TestRelativeURLWithoutHost(t *testing.T) {
	var warned atomic.Int32
	env := testEnv("")
	env.OnHostMissing = func() { warned.Add(1) }
	s := load(t, "main.js", "import { task, http } from \"jsload\";\nexport const t = task(() => http.get(\"/x\"));\n")
	vu := newVU(t, s, env, 1, 0)
	_ = vu.RunTask(context.Background())
	_ = vu.RunTask(context.Background())
	snap := env.Registry.Snapshot(time.Now())
	if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, "a relative URL needs a host: pass --host") || snap.Exceptions[0].Count != 2 {
		t.Errorf("exceptions = %+v", snap.Exceptions)
	}
	if warned.Load() != 1 {
		t.Errorf("OnHostMissing called %d times, want 1", warned.Load())
	}
}

func TestRefusedConnectionIsAFailureNotAnException(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	env := testEnv(url)
	runOnce(t, env, "import { task, http } from \"jsload\";\nexport const t = task(() => { globalThis.e = http.get(\"/x\").error; });\n")
	snap := env.Registry.Snapshot(time.Now())
	if r := rowOf(t, snap, "GET", "/x"); r.Failures != 1 {
		t.Errorf("row = %+v", r)
	}
	if len(snap.Failures) != 1 || !strings.Contains(snap.Failures[0].Error, "connection refused") {
		t.Errorf("failures = %+v", snap.Failures)
	}
	if len(snap.Exceptions) != 0 {
		t.Errorf("exceptions = %+v", snap.Exceptions)
	}
}

func TestStopInterruptsLoopsSleepsAndRequests(t *testing.T) {
	srv := server(t)
	for _, body := range []string{"while (true) {}", "sleep(60)", "http.get(\"/slow\")"} {
		t.Run(body, func(t *testing.T) {
			env := testEnv(srv.URL)
			s := load(t, "main.js", "import { task, sleep, http } from \"jsload\";\nexport const t = task(() => { "+body+"; globalThis.after = true; });\n")
			vu := newVU(t, s, env, 1, 0)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				_ = vu.RunTask(ctx)
				close(done)
			}()
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("task was not interrupted")
			}
			snap := env.Registry.Snapshot(time.Now())
			if len(snap.Exceptions) != 0 || snap.Total.Requests != 0 {
				t.Errorf("an interrupted task must leave no trace: %+v %+v", snap.Exceptions, snap.Total)
			}
			if a := global(vu, "after"); a != nil && a.ToBoolean() {
				t.Errorf("code after the interrupted call ran")
			}
			// The VU is usable again with a fresh context.
			vu2 := newVU(t, load(t, "main.js", "import { task } from \"jsload\";\nexport const t = task(() => { globalThis.ok = 1; });\n"), env, 2, 0)
			_ = vu2.RunTask(context.Background())
			if global(vu2, "ok").ToInteger() != 1 {
				t.Errorf("fresh VU did not run")
			}
		})
	}
}

// TestClientLeavesTheTaskContextToTheVU: the VU's one context.AfterFunc
// per task context also interrupts its HTTP client's exchanges (see watch),
// so the client registers none of its own; a stop still ends a request
// (TestStopInterruptsLoopsSleepsAndRequests), also on the VU's second
// client and in its next task.
func TestClientLeavesTheTaskContextToTheVU(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", "import { task, http } from \"jsload\";\nconst other = http.client({});\nexport const t = task(() => { http.get(\"/\"); if (globalThis.slow) other.get(\"/slow\"); });\n")
	vu := newVU(t, s, env, 1, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	if vu.watch.clients == nil || len(*vu.watch.clients) != 1 || vu.http == nil || (*vu.watch.clients)[0] != vu.http.hc {
		t.Fatal("the VU's client was not handed to its watch")
	}
	must(vu.rt.Set("slow", true))
	done := make(chan error, 1)
	go func() { done <- vu.RunTask(ctx) }()
	for {
		vu.watch.mu.Lock()
		n := len(*vu.watch.clients)
		vu.watch.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancelInFlight(t, cancel, done, "the second client's request")
	if snap := env.Registry.Snapshot(time.Now()); snap.Total.Requests != 2 {
		t.Errorf("requests = %d, want the 2 that completed", snap.Total.Requests)
	}
}

func TestRequireUnknownModuleAndSubmodules(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	vu := runOnce(t, env, `
import http from "jsload/http";
import { task } from "jsload";
export const t = task(() => { globalThis.s = http.get("/status/201").status; });
`)
	if global(vu, "s").ToInteger() != 201 {
		t.Errorf("jsload/http default import failed")
	}
}

func TestRequestTimeoutIsAFailure(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	runOnce(t, env, "import { task, http } from \"jsload\";\nexport const t = task(() => { http.get(\"/slow\", { timeout: 0.05 }); http.get(\"/slow\", { timeout: 0.05 }); });\n")
	snap := env.Registry.Snapshot(time.Now())
	if r := rowOf(t, snap, "GET", "/slow"); r.Requests != 2 || r.Failures != 2 {
		t.Errorf("row = %+v", r)
	}
	if len(snap.Failures) != 1 || snap.Failures[0].Error != "timeout after 50ms" || snap.Failures[0].Count != 2 {
		t.Errorf("failures = %+v", snap.Failures)
	}
}

func TestBadParamsThrowClearly(t *testing.T) {
	env := testEnv("http://127.0.0.1:1")
	s := load(t, "main.js", "import { task, http } from \"jsload\";\nexport const t = task(() => http.get(\"/x\", { tiemout: 1 }));\n")
	vu := newVU(t, s, env, 1, 0)
	_ = vu.RunTask(context.Background())
	snap := env.Registry.Snapshot(time.Now())
	if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, `unknown request param "tiemout"`) {
		t.Errorf("exceptions = %+v", snap.Exceptions)
	}
}

func TestConstructorErrorsAreFoundAtLoad(t *testing.T) {
	path := writeScript(t, "main.js", "import { HttpUser, task } from \"jsload\";\nexport class U extends HttpUser {\n  constructor() { super(); throw new Error(\"no config\"); }\n  @task t() {}\n}\n")
	_, err := Load(context.Background(), path, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "main.js:3:34: Error: no config") {
		t.Errorf("Load error = %v", err)
	}
	path = writeScript(t, "main.js", "import { HttpUser, task } from \"jsload\";\nexport class U extends HttpUser {\n  waitTime = \"soon\";\n  @task t() {}\n}\n")
	if _, err := Load(context.Background(), path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "waitTime must be between(a, b)") {
		t.Errorf("Load error = %v", err)
	}
}

// fmtTasks renders tasks as [{name weight [tags]} ...].
func fmtTasks(ts []TaskInfo) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("{%s %d %v}", t.Name, t.Weight, t.Tags)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestScriptMistakesAreClear(t *testing.T) {
	srv := server(t)
	cases := []struct{ body, want string }{
		{`http.request("GE T", "/echo")`, `"GE T" is not a valid HTTP method`},
		{`http.get("/echo").success()`, "response.success() needs { catchResponse: true }"},
		{`http.get("/echo").failure("x")`, "response.failure() needs { catchResponse: true }"},
		{`events.fire({ type: "t", name: "n", responseTime: 1e300 })`, "responseTime must be a number of milliseconds from 0 to"},
		{`events.fire({ type: "t", name: "n", responseTime: 1, responseLength: -1 })`, "responseLength must be a number of bytes >= 0"},
		{`http.get("/status/200").json()`, "response.json(): the body of GET /status/200 is not JSON: SyntaxError:"},
	}
	for _, c := range cases {
		env := testEnv(srv.URL)
		runOnce(t, env, "import { task, http, events } from \"jsload\";\nexport const t = task(() => { "+c.body+"; });\n")
		x := env.Registry.Snapshot(time.Now()).Exceptions
		if len(x) != 1 || !strings.Contains(x[0].Message, c.want) {
			t.Errorf("%s: exceptions %+v, want %q", c.body, x, c.want)
			continue
		}
		if strings.Contains(x[0].Message, "github.com") || strings.Contains(x[0].Message, "bundle") {
			t.Errorf("%s: message leaks internals: %s", c.body, x[0].Message)
		}
	}
}

func TestLoadChecks(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"empty", "", "the script has no tasks"},
		{"all weight 0", "import { User, task } from \"jsload\";\nexport class A extends User { static weight = 0; @task t() {} }\n", "every user class has static weight 0"},
		{"bad static weight", "import { User, task } from \"jsload\";\nexport class A extends User { static weight = -2; @task t() {} }\n", "main.js:2:38: user class A: weight must be a whole number >= 0, got -2"},
	}
	for _, c := range cases {
		_, err := Load(context.Background(), writeScript(t, "main.js", c.src), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// Top-level code runs with the host from the command line.
	srv := server(t)
	path := writeScript(t, "main.js", "import { task, http } from \"jsload\";\nconst s = http.get(\"/status/201\").status;\nif (s !== 201) throw new Error(\"top level got \" + s);\nexport const t = task(() => {});\n")
	if _, err := Load(context.Background(), path, LoadOptions{Host: srv.URL}); err != nil {
		t.Errorf("top-level request with a host: %v", err)
	}
}

func TestCreatingAUserObeysItsContext(t *testing.T) {
	s := load(t, "main.js", "import { task } from \"jsload\";\nif (__VU >= 2) while (true) {}\nexport const t = task(() => {});\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.NewVU(ctx, testEnv(""), 2, 0)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("NewVU = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("NewVU was not interrupted")
	}
}

// TestLighten checks that the bundle still has esbuild's helpers in the
// form lighten rewrites (an esbuild upgrade could change them), that the
// rewrites keep every line where it was, and that the helpers nothing uses
// any more are gone.
func TestLighten(t *testing.T) {
	b, err := bundle(writeScript(t, "main.js", "export const a = 1;\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{copyPropsLoop, exportHelper} {
		if !strings.Contains(b.code, want) {
			t.Fatalf("esbuild's helpers changed; update lighten:\n%s\nmissing:\n%s", b.code, want)
		}
	}
	if !entryExports.MatchString(b.code) {
		t.Fatalf("esbuild's module.exports line changed; update lighten:\n%s", b.code)
	}
	l, _ := lighten(b.code)
	if strings.Count(l, "\n") != strings.Count(b.code, "\n") {
		t.Errorf("lighten changed the line count:\n%s", l)
	}
	for _, gone := range []string{copyPropsLoop, "for (var name in all)", "__toCommonJS", "__copyProps", "Object.defineProperty", "Object.prototype"} {
		if strings.Contains(l, gone) {
			t.Errorf("lighten left %q:\n%s", gone, l)
		}
	}
	// The code after the helpers is where it was, line for line.
	bl, ll := strings.Split(b.code, "\n"), strings.Split(l, "\n")
	for i := range bl {
		if strings.HasPrefix(bl[i], "//") && bl[i] != ll[i] {
			t.Errorf("line %d moved: %q, now %q", i+1, bl[i], ll[i])
		}
	}
	// A helper still in use stays.
	b, err = bundle(writeScript(t, "main.js", "import lib from \"./lib.cjs\";\nexport const a = lib.b;\n", "lib.cjs", "module.exports = { b: 2 };\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := lighten(b.code); !strings.Contains(l, "var __copyProps") || !strings.Contains(l, "var __defProp") {
		t.Errorf("lighten dropped a helper in use:\n%s", l)
	}
}

// TestExportsAfterLighten checks that the script's exports look as they did
// with esbuild's own helpers: the same enumerable names in the same order,
// live bindings, re-exports and namespace imports.
func TestExportsAfterLighten(t *testing.T) {
	s := load(t, "main.js", `import { task } from "jsload";
import * as lib from "./lib.js";
export * from "./lib.js";
export { lib };
export let counter = 1;
export function bump() { counter++; return Object.keys(lib).join(",") + ":" + lib.b; }
export default class Thing {}
export const t = task(() => {});
`, "lib.js", "export const b = 2;\nexport function c() { return 3; }\n")
	if s.exportNames == nil {
		t.Errorf("the exports were not made a Go object (exportSwitch)")
	}
	vu := newVU(t, s, testEnv("http://127.0.0.1:1"), 1, 0)
	if got, want := strings.Join(vu.exports.Keys(), ","), "b,bump,c,counter,default,lib,t"; got != want {
		t.Errorf("export names = %s, want %s", got, want)
	}
	fn, _ := goja.AssertFunction(vu.exports.Get("bump"))
	v, err := fn(goja.Undefined())
	if err != nil {
		t.Fatal(err)
	}
	if v.String() != "b,c:2" {
		t.Errorf("bump() = %s", v)
	}
	if n := vu.exports.Get("counter").ToInteger(); n != 2 {
		t.Errorf("counter = %d after bump(), want 2 (a live binding)", n)
	}
	if d := vu.exports.Get("default").(*goja.Object).Get("name").String(); d != "Thing" {
		t.Errorf("default export's name = %s", d)
	}
	if vu.exports.Set("t", 1) == nil || vu.exports.Delete("t") == nil {
		t.Errorf("an export could be assigned or deleted")
	}
	if err := vu.exports.Set("extra", 1); err != nil || vu.exports.Get("extra").ToInteger() != 1 {
		t.Errorf("a new property could not be added: %v", err)
	}
	// A script that imports itself keeps esbuild's export object.
	s = load(t, "main.js", "import { task } from \"jsload\";\nimport * as self from \"./main.js\";\nexport const n = 1;\nexport const t = task(() => { globalThis.got = Object.keys(self).join(\",\") + self.n; });\n")
	if s.exportNames != nil {
		t.Errorf("exportSwitch rewrote a module that uses its own export object")
	}
	vu = newVU(t, s, testEnv("http://127.0.0.1:1"), 1, 0)
	if err := vu.RunTask(context.Background()); err != nil || global(vu, "got").String() != "n,t1" {
		t.Errorf("self-import: %v, got %v", err, global(vu, "got"))
	}
}

// The bundle runs as a function (wrapModule): the script's top-level
// declarations are module-scoped, as in an ES module, and a #! line, a
// "use strict" directive and error positions still work.
func TestScriptTopLevelIsModuleScope(t *testing.T) {
	s := load(t, "main.js", "#!/usr/bin/env jsload\n\"use strict\";\nimport { task } from \"jsload\";\nvar v = 1;\nfunction f() { return v; }\nglobalThis.seen = [typeof globalThis.v, typeof globalThis.f, f(), (function () { return this; })()].join(\",\");\nexport const t = task(() => {\n  null.x;\n});\n")
	vu := newVU(t, s, testEnv("http://127.0.0.1:1"), 1, 0)
	if got := global(vu, "seen").String(); got != "undefined,undefined,1," {
		t.Errorf("seen = %q, want module-scoped v and f, and strict mode", got)
	}
	_ = vu.RunTask(context.Background())
	x := vu.env.Registry.Snapshot(time.Now()).Exceptions
	if len(x) != 1 || !strings.HasSuffix(x[0].Position, "main.js:8:8") {
		t.Errorf("exceptions = %+v, want one at main.js:8:8", x)
	}
}

// TestClientsShareTheParsedHost: the users' clients resolve relative URLs
// against one parsed copy of the host; an invalid host still fails each
// request with its message; past maxSharedBases each client parses its own.
func TestClientsShareTheParsedHost(t *testing.T) {
	reset := func() { sharedBases.Clear(); nSharedBases.Store(0) }
	reset()
	t.Cleanup(reset)
	srv := server(t)
	s := load(t, "main.js", "import { task, http } from \"jsload\";\nexport const t = task(() => { http.get(\"/status/200\"); });\n")
	env := testEnv(srv.URL)
	a, b := newVU(t, s, env, 1, 0), newVU(t, s, env, 2, 0)
	for _, vu := range []*VU{a, b} {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if a.http.baseURL == nil || a.http.baseURL != b.http.baseURL || a.http.prefix != srv.URL {
		t.Fatalf("the host was parsed per user (prefix %q)", a.http.prefix)
	}
	if snap := env.Registry.Snapshot(time.Now()); snap.Total.Requests != 2 || snap.Total.Failures != 0 {
		t.Errorf("requests %d, failures %d", snap.Total.Requests, snap.Total.Failures)
	}

	if _, _, err := sharedBase("http://[::1"); err == nil {
		t.Fatal("an invalid host was accepted")
	}
	for i := 0; nSharedBases.Load() < maxSharedBases; i++ {
		if _, _, err := sharedBase(fmt.Sprintf("http://h%d.invalid", i)); err != nil {
			t.Fatal(err)
		}
	}
	u1, p1, _ := sharedBase("http://late.invalid:81/base")
	u2, p2, _ := sharedBase("http://late.invalid:81/base")
	if u1 == u2 || p1 != p2 || p1 != "http://late.invalid:81/base" || nSharedBases.Load() != maxSharedBases {
		t.Errorf("past the limit: shared %v, prefixes %q %q, %d kept", u1 == u2, p1, p2, nSharedBases.Load())
	}
}

// TestWaitingUserHoldsNoWatch: a user about to wait between tasks holds
// no context.AfterFunc on its task's context (when the test stops, its end
// starts no goroutine for the user); its next task arms the watch again,
// and a stop then still interrupts a request. A user without waits keeps
// its watch from task to task.
func TestWaitingUserHoldsNoWatch(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	armed := func(vu *VU) bool {
		vu.watch.mu.Lock()
		defer vu.watch.mu.Unlock()
		return vu.watch.stop != nil
	}
	for _, c := range []struct {
		wait string
		kept bool
	}{{"constant(1)", false}, {"between(0.5, 1)", false}, {"() => 0.5", false}, {"constant(0)", true}} {
		t.Run(c.wait, func(t *testing.T) {
			s := load(t, "main.js", "import { task, http, constant, between } from \"jsload\";\nexport const options = { waitTime: "+c.wait+" };\nexport const t = task(() => { http.get(globalThis.slow ? \"/slow\" : \"/status/200\"); });\n")
			vu := newVU(t, s, env, 1, 0)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := vu.RunTask(ctx); err != nil {
				t.Fatal(err)
			}
			if !armed(vu) {
				t.Fatal("no watch after a task")
			}
			vu.WaitTime(time.Millisecond)
			if armed(vu) != c.kept {
				t.Fatalf("after WaitTime: watch held %v, want %v", armed(vu), c.kept)
			}
			must(vu.rt.Set("slow", true))
			done := make(chan error, 1)
			go func() { done <- vu.RunTask(ctx) }()
			cancelInFlight(t, cancel, done, "the next task's request")
		})
	}
}

// cancelInFlight cancels a task's context once its request has had time
// to reach the server (a cancel before it is also interrupted) and fails
// the test unless the task, which sends on done, then returns.
func cancelInFlight(t *testing.T, cancel context.CancelFunc, done <-chan error, what string) {
	t.Helper()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s was not interrupted", what)
	}
}
