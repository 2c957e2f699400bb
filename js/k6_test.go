package js

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/engine"
)

func TestK6ImportsResolveOrFailClearly(t *testing.T) {
	bad := []struct{ name, src, want string }{
		{"unsupported module", "import http from \"k6/http\";\nimport { parseHTML } from \"k6/html\";\nexport default function () { http.get(\"/\"); parseHTML(\"\"); }\n",
			`main.js:2:27: module "k6/html" is not supported by jsload`},
		{"unknown module", "import http from \"k6/http\";\nimport { x } from \"k6/htpp\";\nexport default function () { x(); }\n",
			`main.js:2:19: module "k6/htpp" is not supported by jsload (did you mean "k6/http"?)`},
		{"missing export", "import { check, gruop } from \"k6\";\nexport default function () { gruop(); }\n",
			`main.js:1:17: "k6" has no export named "gruop" (did you mean "group"?)`},
		{"no default function", "import { sleep } from \"k6\";\nexport function notDefault() { sleep(1); }\n",
			`the k6 script has no default function`},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(context.Background(), writeScript(t, "main.js", c.src), LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load error = %v, want %q", err, c.want)
			}
		})
	}
	// Both import styles of every served module load, and the default
	// function is the one task.
	s := load(t, "main.js", `
import k6, { check, group, sleep, fail, randomSeed } from "k6";
import http, { get, post, put, patch, del, head, options, request } from "k6/http";
import { SharedArray } from "k6/data";
import encoding, { b64encode, b64decode } from "k6/encoding";
import crypto, { sha256, hmac, md5 } from "k6/crypto";
export default function () {
  return [k6, check, group, sleep, fail, randomSeed, http, get, post, put, patch, del, head, options, request,
    SharedArray, encoding, b64encode, b64decode, crypto, sha256, hmac, md5];
}
`)
	if !s.K6 || len(s.Classes) != 1 || len(s.Classes[0].Tasks) != 1 || s.Classes[0].Tasks[0].Name != "default" {
		t.Fatalf("K6 = %v, classes = %+v", s.K6, s.Classes)
	}
	if s.Classes[0].WaitTime != "" {
		t.Errorf("wait time = %q, want none (k6 iterations run back to back)", s.Classes[0].WaitTime)
	}
	// A jsload script's default export is not a task.
	if _, err := Load(context.Background(), writeScript(t, "main.js", "export default function () {}\n"), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "the script has no tasks") {
		t.Errorf("jsload script with only a default export: %v", err)
	}
}

func TestK6ModuleFunctions(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `
import { check, group, fail, randomSeed } from "k6";
import { SharedArray } from "k6/data";
import { b64encode, b64decode } from "k6/encoding";
import { sha256 } from "k6/crypto";
const users = new SharedArray("users", () => [{ name: "ada" }, { name: "bob" }]);
const text = open("data.txt");
export default function () {
  globalThis.text = text;
  globalThis.passed = check(200, { "is 200": (s) => s === 200, "truthy value": 1 });
  globalThis.failed = check(500, { "is 200": (s) => s === 200 });
  globalThis.inner = group("outer", () => group("inner", () => 42));
  try { group("throws", () => { throw new Error("boom"); }); } catch (e) { globalThis.groupErr = String(e); }
  try { fail("stop here"); } catch (e) { globalThis.failErr = String(e); }
  randomSeed(7); const a = [Math.random(), Math.random()];
  randomSeed(7); const b = [Math.random(), Math.random()];
  globalThis.sameSeq = a[0] === b[0] && a[1] === b[1] && a[0] !== a[1];
  globalThis.users = users.length + ":" + users[1].name;
  try { users[0].name = "x"; globalThis.frozen = users[0].name; } catch (e) { globalThis.frozen = "threw"; }
  globalThis.enc = b64encode("hi") + " " + sha256("abc", "hex").slice(0, 8) + " " + b64decode("aGk", "rawstd", "s") + " " + b64encode("hi?", "url");
}
`, "data.txt", "from a file")
	vu := runOnceWith(t, s, env)
	for name, want := range map[string]any{
		"text":   "from a file",
		"passed": true, "failed": false, "inner": int64(42), "groupErr": "Error: boom",
		"failErr": "Error: stop here", "sameSeq": true, "users": "2:bob", "frozen": "ada", "enc": "aGk= ba7816bf hi aGk_",
	} {
		if got := global(vu, name).Export(); got != want {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	checks := map[string][2]int64{}
	for _, c := range snap.Checks {
		checks[c.Name] = [2]int64{c.Passes, c.Fails}
	}
	if checks["is 200"] != [2]int64{1, 1} || checks["truthy value"] != [2]int64{1, 0} {
		t.Errorf("checks = %v", checks)
	}
	if r := rowOf(t, snap, "GROUP", "::outer::inner"); r.Requests != 1 || r.Failures != 0 {
		t.Errorf("inner group row: %d requests, %d failures", r.Requests, r.Failures)
	}
	rowOf(t, snap, "GROUP", "::outer")
	if r := rowOf(t, snap, "GROUP", "::throws"); r.Failures != 1 {
		t.Errorf("throwing group: %d failures, want 1", r.Failures)
	}
}

func TestK6HTTPShapes(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	vu := runOnce(t, env, `
import http from "k6/http";
import { get } from "k6/http";
const B = "`+srv.URL+`";
export default function () {
  const out = {};
  let r = http.post(B + "/echo", "raw text", { headers: { "X-Test": "p" }, tags: { name: "posted" } });
  let j = r.json();
  out.post = [r.status, r.status_text, j.method, j.body, j.x, r.headers["Content-Type"], r.error, r.error_code].join("|");
  j = http.put(B + "/echo", { a: "x y", b: 2 }).json();
  out.form = j.method + "|" + j.ctype + "|" + j.body;
  out.patch = http.patch(B + "/echo").json().method;
  out.del = http.del(B + "/echo", null, { tags: { name: "deleted" } }).json().method;
  out.head = http.head(B + "/echo").status;
  out.options = http.options(B + "/echo").json().method;
  out.request = http.request("post", B + "/echo", "b", { tags: { name: "req" } }).json().body;
  out.get = get(B + "/echo?q=1").json().query;
  r = http.get(B + "/status/404");
  out.notFound = r.status + "|" + r.error_code;
  out.noRedirect = http.get(B + "/redirect", { redirects: 0 }).status;
  out.redirected = http.get(B + "/redirect").url === B + "/echo";
  r = http.get(B + "/slow", { timeout: 50 });
  out.timeout = r.status + "|" + r.error_code + "|" + (r.error !== "");
  out.timings = r.timings.duration >= 0 && typeof http.get(B + "/echo").timings.waiting === "number";
  try { http.get(B + "/echo", { tag: {} }); } catch (e) { out.badParam = String(e); }
  const bin = http.post(B + "/echo", "AB", { responseType: "binary" }).body;
  out.binary = bin instanceof ArrayBuffer && new Uint8Array(bin)[0] === 123;
  out.none = http.get(B + "/echo", { responseType: "none" }).body;
  globalThis.out = out;
}
`)
	out := global(vu, "out").Export().(map[string]any)
	for k, want := range map[string]any{
		"post":  `200|200 OK|POST|raw text|p|application/json||0`,
		"form":  "PUT|application/x-www-form-urlencoded|a=x+y&b=2",
		"patch": "PATCH", "del": "DELETE", "head": int64(200), "options": "OPTIONS",
		"request": "b", "get": "q=1", "notFound": "404|1404", "noRedirect": int64(302), "redirected": true,
		"timeout": "0|1050|true", "timings": true,
		"badParam": `TypeError: http.get ` + srv.URL + `/echo: param "tag" is not supported (did you mean "tags"?) (jsload reads headers, tags, timeout, redirects, responseType, cookies, jar, responseCallback, auth, compression, throw)`,
		"binary":   true, "none": nil,
	} {
		if out[k] != want {
			t.Errorf("%s = %#v, want %#v", k, out[k], want)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	for _, c := range []struct {
		typ, name string
		fails     int64
	}{{"POST", "posted", 0}, {"DELETE", "deleted", 0}, {"POST", "req", 0}, {"GET", srv.URL + "/status/404", 1}} {
		if r := rowOf(t, snap, c.typ, c.name); r.Requests != 1 || r.Failures != c.fails {
			t.Errorf("%s %s: %d requests, %d failures", c.typ, c.name, r.Requests, r.Failures)
		}
	}
}

func TestK6ModulesExportWhatTheCheckAllows(t *testing.T) {
	s := load(t, "main.js", "import http from \"k6/http\";\nexport default function () { http.get(\"/\"); }\n")
	vu := newVU(t, s, testEnv(""), 1, 0)
	for m, names := range k6Modules() {
		if m == "k6/execution" {
			continue // a default export only: see TestK6Execution
		}
		v, err := vu.rt.RunString("require(" + strconv.Quote(m) + ")")
		if err != nil {
			t.Fatalf("require(%q): %v", m, err)
		}
		o := v.ToObject(vu.rt)
		keys := o.Keys()
		slices.Sort(keys)
		want := slices.Clone(names)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("%s exports %v at run time, the import check allows %v", m, keys, want)
		}
		for _, k := range keys {
			if o.Get(k) == nil || goja.IsUndefined(o.Get(k)) {
				t.Errorf("%s.%s is undefined", m, k)
			}
		}
	}
}

func TestK6Batch(t *testing.T) {
	// /barrier answers once three requests are in flight together: a
	// batch of three gets three 200s only if it sends them in parallel.
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/barrier", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == 3 {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			fmt.Fprint(w, r.Method)
		case <-time.After(10 * time.Second):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s", r.Method, b)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	env := testEnv(srv.URL)
	vu := runOnce(t, env, `
import http from "k6/http";
const B = "`+srv.URL+`";
export default function () {
  const rs = http.batch([B + "/barrier", ["POST", B + "/barrier", "x", { tags: { name: "posted" } }], { method: "put", url: B + "/barrier" }]);
  globalThis.arr = rs.map((r) => r.status + " " + r.body).join(", ");
  const o = http.batch({ a: { url: B + "/echo", body: "dropped for GET" }, b: ["PATCH", B + "/echo", "y"] });
  globalThis.obj = Object.keys(o).join() + ": " + o.a.body + ", " + o.b.body;
  try { http.batch([{ url: B + "/echo", metod: "GET" }]); } catch (e) { globalThis.bad = String(e); }
}
`)
	for k, want := range map[string]string{
		"arr": "200 GET, 200 POST, 200 PUT", "obj": "a,b: GET , PATCH y",
		"bad": `TypeError: http.batch: request 0 has "metod", which is not one of method, url, body, params`,
	} {
		if got := global(vu, k).String(); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	if r := rowOf(t, snap, "POST", "posted"); r.Requests != 1 || r.Failures != 0 {
		t.Errorf("posted: %d requests, %d failures", r.Requests, r.Failures)
	}
	rowOf(t, snap, "PUT", srv.URL+"/barrier")
	rowOf(t, snap, "PATCH", srv.URL+"/echo")
}

func TestK6Execution(t *testing.T) {
	s := load(t, "main.js", `
import exec from "k6/execution";
import * as all from "k6/execution";
export default function () {
  const v = exec.vu;
  globalThis.seen = (globalThis.seen || []).concat([[v.idInInstance, v.idInTest, v.iterationInInstance, v.iterationInScenario, __ITER, exec.scenario.name].join(" ")]);
  globalThis.json = JSON.stringify({ vu: exec.vu, scenario: exec.scenario });
  globalThis.same = all.default === undefined || typeof all.default === "object";
  try { exec.vu.metrics; } catch (e) { globalThis.metrics = String(e); }
}
`)
	vu := newVU(t, s, testEnv(""), 3, 0)
	for range 2 {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if vu.Scenario() != "default" {
		t.Errorf("Scenario() = %q, want default", vu.Scenario())
	}
	for k, want := range map[string]string{
		"seen":    "3 3 0 0 0 default,3 3 1 1 1 default",
		"json":    `{"vu":{"idInInstance":3,"idInTest":3,"iterationInInstance":1,"iterationInScenario":1,"tags":{"scenario":"default"}},"scenario":{"name":"default","executor":"","startTime":0,"progress":0,"iterationInInstance":1,"iterationInTest":1}}`,
		"metrics": "TypeError: k6/execution: exec.vu.metrics is not supported by jsload (it has idInInstance, idInTest, iterationInInstance, iterationInScenario, tags)",
	} {
		if got := global(vu, k).String(); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// A scenario's users run its exec function with its env over __ENV, and
// share its iteration counter; test.abort() calls Execution.Abort and
// stops the user.
func TestK6ScenarioVU(t *testing.T) {
	s := load(t, "main.js", `
import exec from "k6/execution";
export const options = { vus: 2, scenarios: { s1: { executor: "per-vu-iterations", exec: "other" } } };
export function other() {
  globalThis.opts = JSON.stringify(exec.test.options);
  globalThis.ran = (globalThis.ran || "") + [exec.scenario.name, exec.scenario.executor, exec.scenario.iterationInTest, __ENV.WHO, exec.vu.tags.kind, exec.instance.iterationsCompleted].join(" ") + ";";
  if (exec.scenario.iterationInTest === 2) exec.test.abort("done");
}
export default function () { throw new Error("not this one"); }
`)
	if got := strings.Join(s.ExportedFunctions(), ","); !strings.Contains(got, "other") || !strings.Contains(got, "default") {
		t.Errorf("ExportedFunctions() = %s", got)
	}
	env := testEnv("")
	var aborted []string
	env.K6 = &Execution{Abort: func(r string) { aborted = append(aborted, r) }}
	sc := &Scenario{Name: "s1", Executor: "per-vu-iterations", Exec: "other", Env: map[string]string{"WHO": "me"}, Tags: map[string]string{"kind": "k"}}
	a, err := s.NewScenarioVU(context.Background(), env, 7, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := s.NewScenarioVU(context.Background(), env, 8, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, vu := range []*VU{a, b} {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.RunTask(context.Background()); !errors.Is(err, engine.ErrStopUser) {
		t.Errorf("after abort: %v, want ErrStopUser", err)
	}
	if got := global(a, "ran").String() + global(b, "ran").String(); got != "s1 per-vu-iterations 0 me k 0;s1 per-vu-iterations 2 me k 2;s1 per-vu-iterations 1 me k 1;" {
		t.Errorf("ran = %q", got)
	}
	if len(aborted) != 1 || aborted[0] != "test aborted: done" || a.Scenario() != "s1" || sc.Iterations() != 3 {
		t.Errorf("aborted %q, scenario %q, iterations %d", aborted, a.Scenario(), sc.Iterations())
	}
	if got := global(a, "opts").String(); got != `{"scenarios":{"s1":{"exec":"other","executor":"per-vu-iterations"}}}` {
		t.Errorf("exec.test.options = %s", got)
	}
	sc.Exec = "nope"
	if _, err := s.NewScenarioVU(context.Background(), env, 9, sc); err == nil || !strings.Contains(err.Error(), `exec "nope" is not an exported function`) {
		t.Errorf("a missing exec: %v", err)
	}
}
