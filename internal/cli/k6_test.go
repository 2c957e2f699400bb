package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// k6Target answers /ok with "ok", echoes the method, content type and
// body of /echo, and counts the requests it served.
func k6Target(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("X-Served-By", "test")
			fmt.Fprint(w, "ok")
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"method":%q,"ctype":%q,"body":%q,"h":%q}`, r.Method, r.Header.Get("Content-Type"), b, r.Header.Get("X-K6"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestK6ScriptRunsUnchanged(t *testing.T) {
	t.Parallel()
	srv, served := k6Target(t)
	src := `import http from "k6/http";
import { check, group } from "k6";
export const options = { vus: 3, iterations: 12 };
export function setup() { return { base: "BASE" }; }
export default function (data) {
  group("home", () => {
    const res = http.get(data.base + "/ok?i=" + __ITER, { tags: { name: "home" } });
    check(res, { "status is 200": (r) => r.status === 200, "served by test": (r) => r.headers["X-Served-By"] === "test" });
  });
  const e = http.post(data.base + "/echo", JSON.stringify({ n: 1 }), { headers: { "Content-Type": "application/json", "X-K6": "yes" }, timeout: 5000 });
  const j = e.json();
  check(e, { "echoed": () => j.method === "POST" && j.body === '{"n":1}' && j.h === "yes" && e.status_text === "200 OK" && e.timings.duration >= e.timings.waiting });
  http.put(data.base + "/echo", { a: "x y" }, { tags: { name: "form" } });
  http.del(data.base + "/nope");
}
export function teardown(data) { console.log("teardown saw", data.base === "BASE"); }
`
	res := run(t, nil, nil, "run", script(t, strings.ReplaceAll(src, "BASE", srv.URL)), "--headless")
	if res.code != ExitOnError { // the DELETE of /nope is a 404: a failure
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, c := range []struct{ typ, name, reqs, fails string }{
		{"GROUP", "::home", "12", "0(0.00%)"},
		{"GET", "home", "12", "0(0.00%)"},
		{"POST", srv.URL + "/echo", "12", "0(0.00%)"},
		{"PUT", "form", "12", "0(0.00%)"},
		{"DELETE", srv.URL + "/nope", "12", "12(100.00%)"},
	} {
		row := tableRow(t, res.stdout, c.typ, c.name)
		if row[2] != c.reqs || row[3] != c.fails {
			t.Errorf("%s %s: %s requests, %s failures; want %s, %s", c.typ, c.name, row[2], row[3], c.reqs, c.fails)
		}
	}
	for _, name := range []string{"status is 200", "served by test", "echoed"} {
		if !regexpLine(res.stdout, name+` +12 +0 +100.00%`) {
			t.Errorf("check %q did not pass 12 times:\n%s", name, res.stdout)
		}
	}
	if got := served.Load(); got != 48 {
		t.Errorf("server saw %d requests, want 48", got)
	}
	if !strings.Contains(res.stderr, "teardown saw true") || !strings.Contains(res.stderr, "Starting 3 users at once") {
		t.Errorf("stderr:\n%s", res.stderr)
	}
}

// regexpLine reports whether a line of out matches re.
func regexpLine(out, re string) bool {
	return regexp.MustCompile(`(?m)^` + re).MatchString(out)
}

func TestK6OptionsMapOntoTheRun(t *testing.T) {
	t.Parallel()
	srv, _ := k6Target(t)
	body := `import http from "k6/http";
export const options = OPTIONS;
export default function () { http.get("` + srv.URL + `/ok", { tags: { name: "ok" } }); }
`
	for _, c := range []struct {
		name, options string
		args          []string
		env           map[string]string
		want          string // requests in the ok row
	}{
		{"no options: one user, one iteration", "{}", nil, nil, "1"},
		{"only vus: one iteration each", "{ vus: 4 }", nil, nil, "4"},
		{"iterations shared by the vus", "{ vus: 2, iterations: 7 }", nil, nil, "7"},
		{"flags win over the script", "{ vus: 2, iterations: 7 }", []string{"-i", "3"}, nil, "3"},
		{"environment wins over the script", "{ vus: 2, iterations: 7 }", nil, map[string]string{"JSLOAD_ITERATIONS": "5"}, "5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"run", script(t, strings.Replace(body, "OPTIONS", c.options, 1)), "--headless"}, c.args...)
			res := run(t, c.env, nil, args...)
			if res.code != ExitOK {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			if row := tableRow(t, res.stdout, "GET", "ok"); row[2] != c.want {
				t.Errorf("%s requests, want %s", row[2], c.want)
			}
		})
	}
	// A duration (a string, or milliseconds) bounds the run instead of an
	// iteration budget.
	for _, d := range []string{`"300ms"`, "300"} {
		res := run(t, nil, nil, "run", script(t, strings.Replace(body, "OPTIONS", "{ vus: 2, duration: "+d+" }", 1)), "--headless")
		if res.code != ExitOK || strings.Contains(res.stderr, "Iteration limit") || !strings.Contains(res.stderr, "Run time limit set to 300ms") {
			t.Errorf("duration %s: exit %d\n%s", d, res.code, res.stderr)
		}
	}
}

func TestK6ScriptMistakesAreRefusedBeforeTheRun(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, src, want string }{
		{"scenarios", `import http from "k6/http";
export const options = { scenarios: { a: { executor: "constant-vu", vus: 1, duration: "1s" } } };
export default function () { http.get("http://127.0.0.1:1/"); }`, `options.scenarios.a in the script: unknown executor "constant-vu" (did you mean "constant-vus"?)`},
		{"k6 threshold on a metric jsload does not measure", `import http from "k6/http";
export const options = { thresholds: { http_req_waiting: ["p(95)<200"] } };
export default function () {}`, `options.thresholds["http_req_waiting"] in the script: jsload does not measure this k6 metric yet (thresholds can judge checks, data_received, http_req_duration, http_req_failed, http_reqs, iteration_duration, iterations)`},
		{"k6 threshold on an unknown metric", `import http from "k6/http";
export const options = { thresholds: { http_req_durations: ["p(95)<200"] } };
export default function () {}`, `options.thresholds["http_req_durations"] in the script: it is neither a custom metric of the script (new Counter/Gauge/Rate/Trend in its top level) nor a k6 metric jsload measures (thresholds can judge checks, data_received, http_req_duration, http_req_failed, http_reqs, iteration_duration, iterations) (did you mean "http_req_duration"?)`},
		{"k6 threshold aggregation", `import http from "k6/http";
export const options = { thresholds: { "http_req_failed{name:a}": ["avg<1"] } };
export default function () {}`, `options.thresholds["http_req_failed{name:a}"] in the script: "avg<1": unknown aggregation "avg" for http_req_failed, a rate (use rate)`},
		{"k6 threshold on a tag jsload does not set", `import http from "k6/http";
export const options = { thresholds: { "http_req_duration{expected_response:true}": ["p(95)<1"] } };
export default function () {}`, `options.thresholds["http_req_duration{expected_response:true}"] in the script: jsload does not set k6's "expected_response" tag, so {expected_response:...} would match nothing`},
		{"k6 threshold filter on iterations", `import http from "k6/http";
export const options = { thresholds: { "iterations{group:::a}": ["count>1"] } };
export default function () {}`, `options.thresholds["iterations{group:::a}"] in the script: this metric is filtered by scenario only, not by "group"`},
		{"k6 threshold object key", `import http from "k6/http";
export const options = { thresholds: { "http_reqs": [{ threshold: "count>1", abortOnFial: true }] } };
export default function () {}`, `options.thresholds["http_reqs"][0].abortOnFial in the script: a threshold object has threshold, abortOnFail and delayAbortEval (did you mean "abortOnFail"?)`},
		{"k6 threshold delayAbortEval", `import http from "k6/http";
export const options = { thresholds: { "http_reqs": [{ threshold: "count>1", abortOnFail: true, delayAbortEval: "soon" }] } };
export default function () {}`, `options.thresholds["http_reqs"][0].delayAbortEval in the script: want a duration such as "10s", got soon`},
		{"custom metric name", `import { Counter } from "k6/metrics";
const c = new Counter("my-counter");
export default function () {}`, `main.js:2:11: TypeError: new Counter("my-counter"): a metric name is 1 to 128 ASCII letters, digits and underscores, not starting with a digit`},
		{"custom metric built-in name", `import { Trend } from "k6/metrics";
const c = new Trend("http_req_duration", true);
export default function () {}`, `new Trend("http_req_duration"): http_req_duration is one of k6's built-in metrics: choose another name`},
		{"custom metric kinds", `import { Trend, Rate } from "k6/metrics";
const a = new Trend("x");
const b = new Rate("x");
export default function () {}`, `main.js:3:11: TypeError: new Rate("x"): a trend of that name exists already`},
		{"other k6 option", `import http from "k6/http";
export const options = { vus: 1, setupTimeout: "10s" };
export default function () {}`, "options.setupTimeout in the script: this k6 option is not supported by jsload yet"},
		{"k6 and jsload names", `import http from "k6/http";
export const options = { vus: 1, users: 2 };
export default function () {}`, "options.vus in the script: k6's vus and jsload's users are the same setting"},
		{"unknown option", `import http from "k6/http";
export const options = { vu: 1 };
export default function () {}`, `options.vu in the script: unknown option`},
		{"unsupported module", `import http from "k6/http";
import html from "k6/html";
export default function () {}`, `main.js:2:18: module "k6/html" is not supported by jsload`},
		{"distributed without a duration", `import http from "k6/http";
export default function () {}
//MASTER`, "a distributed run takes no iteration budget yet: set options.duration or -t"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"run", script(t, c.src), "--headless"}
			if strings.Contains(c.src, "//MASTER") {
				args = append(args, "--master", "--master-bind-port", "0")
			}
			res := run(t, nil, nil, args...)
			if res.code != ExitInvalid || !strings.Contains(res.stderr, c.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", res.code, ExitInvalid, c.want, res.stderr)
			}
		})
	}
}

func TestK6StagesBecomeStagesOfUsers(t *testing.T) {
	t.Parallel()
	// k6 ramps linearly from 1 user (then from each target): the spawn
	// rate reaches each target at the stage's end.
	got, err := k6ScriptOptions(map[string]any{"stages": []any{
		map[string]any{"duration": "10s", "target": int64(11)},
		map[string]any{"duration": int64(5000), "target": int64(11)},
		map[string]any{"duration": "2s", "target": int64(0)},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint([]any{
		map[string]any{"duration": "10s", "users": float64(11), "spawnRate": float64(1)},
		map[string]any{"duration": "5000ms", "users": float64(11), "spawnRate": float64(k6AllAtOnce)},
		map[string]any{"duration": "2s", "users": float64(0), "spawnRate": 5.5},
	})
	if fmt.Sprint(got["stages"]) != want {
		t.Errorf("stages = %v\nwant %v", got["stages"], want)
	}
	for _, c := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"vus": int64(2), "stages": []any{map[string]any{"duration": "1s", "target": int64(1)}}}, "options.stages in the script: vus as the number of users stages start from is not supported yet"},
		{map[string]any{"duration": "1s", "stages": []any{map[string]any{"duration": "1s", "target": int64(1)}}}, "k6 refuses stages with duration"},
		{map[string]any{"stages": []any{map[string]any{"duration": "1s", "traget": int64(1)}}}, `options.stages[0].traget in the script: a k6 stage has only duration and target (did you mean "target"?)`},
		{map[string]any{"stages": []any{map[string]any{"duration": "-1s", "target": int64(1)}}}, "options.stages[0].duration in the script: want a positive duration"},
		{map[string]any{"stages": []any{map[string]any{"duration": "1s", "target": 1.5}}}, "options.stages[0].target in the script must be a whole number"},
	} {
		if _, err := k6ScriptOptions(c.opts, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.opts, err, c.want)
		}
	}
	// End to end: the plan runs the stages, then the run ends.
	srv, _ := k6Target(t)
	src := `import http from "k6/http";
export const options = { stages: [{ duration: "300ms", target: 3 }, { duration: "200ms", target: 0 }] };
export default function () { http.get("` + srv.URL + `/ok", { tags: { name: "ok" } }); }
`
	res := run(t, nil, nil, "run", script(t, src), "--headless")
	if res.code != ExitOK || !strings.Contains(res.stderr, "Stage 1 of 2: 3 users at a rate of 6.666666666666667 per second for 300ms") ||
		!strings.Contains(res.stderr, "the last stage is over") || strings.Contains(res.stderr, "Iteration limit") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
	tableRow(t, res.stdout, "GET", "ok")
}

func TestK6ThresholdsOnRowsAndChecks(t *testing.T) {
	t.Parallel()
	srv, _ := k6Target(t)
	src := `import http from "k6/http";
import { check } from "k6";
export const options = {
  vus: 2, iterations: 10,
  thresholds: {
    "http_req_duration{name:ok}": ["p(95)<5000", "avg<5000", "max>=0"],
    "http_req_failed{name:ok}": ["rate==0"],
    "http_reqs{name:missing}": [{ threshold: "count===10", abortOnFail: false }],
    "http_req_failed{ name: 'missing' }": ["rate<0.5"],
    checks: ["rate>0.99"],
    "checks{check:is 200}": ["rate===1"],
  },
};
export default function () {
  check(http.get("BASE/ok", { tags: { name: "ok" } }), { "is 200": (r) => r.status === 200 });
  http.get("BASE/nope", { tags: { name: "missing" } });
}
`
	res := run(t, nil, nil, "run", script(t, strings.ReplaceAll(src, "BASE", srv.URL)), "--headless")
	// missing's 100% failures make the run fail (exit 1), and its
	// failRate < 0.5 threshold too (exit 4, which wins).
	if res.code != ExitThreshold {
		t.Fatalf("exit %d, want %d\n%s\n%s", res.code, ExitThreshold, res.stdout, res.stderr)
	}
	for _, line := range []string{`PASS +http_req_duration\{name:ok\} +p\(95\)<5000 `, `PASS +http_req_duration\{name:ok\} +avg<5000 `, `PASS +http_req_duration\{name:ok\} +max>=0 `,
		`PASS +http_req_failed\{name:ok\} +rate==0 `, `PASS +http_reqs\{name:missing\} +count===10 `,
		`FAIL +http_req_failed\{name:missing\} +rate<0\.5 `, `PASS +checks +rate>0\.99 `, `PASS +checks\{check:is 200\} +rate===1 `} {
		if !regexp.MustCompile(line).MatchString(res.stdout + res.stderr) {
			t.Errorf("no threshold line %q in:\n%s\n%s", line, res.stdout, res.stderr)
		}
	}
}

func TestK6OptionsReadByUsersAreChecked(t *testing.T) {
	for _, c := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"noCookiesReset": "yes"}, "options.noCookiesReset in the script must be true or false, got yes"},
		{map[string]any{"maxRedirects": -1.0}, "options.maxRedirects in the script must be a whole number from 0 to 1000, got -1"},
		{map[string]any{"batch": 0.0}, "options.batch in the script must be a whole number from 1 to 1000, got 0"},
		{map[string]any{"userAgent": ""}, "options.userAgent in the script must be a non-empty string"},
	} {
		if _, err := k6ScriptOptions(c.opts, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.opts, err, c.want)
		}
	}
	out, err := k6ScriptOptions(map[string]any{"noCookiesReset": true, "maxRedirects": 3.0, "batch": int64(5), "userAgent": "x", "vus": 2.0}, nil)
	if err != nil || len(out) != 1 || out["users"] != 2.0 {
		t.Errorf("k6ScriptOptions = %v, %v; want only users (the rest are read by the users)", out, err)
	}
}
