package js

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

// runTasks runs n tasks on a fresh VU of class 0 (OnStart first) and
// returns it.
func runTasks(t *testing.T, s *Script, env *Env, n int) *VU {
	t.Helper()
	vu := newVU(t, s, env, 1, 0)
	ctx := context.Background()
	vu.OnStart(ctx)
	for i := 0; i < n; i++ {
		if err := vu.RunTask(ctx); err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
	}
	return vu
}

func logOf(vu *VU) string {
	v := global(vu, "log")
	if v == nil {
		return ""
	}
	parts := []string{}
	for _, x := range v.Export().([]any) {
		parts = append(parts, fmt.Sprint(x))
	}
	return strings.Join(parts, " ")
}

func noExceptions(t *testing.T, env *Env) {
	t.Helper()
	if x := env.Registry.Snapshot(time.Now()).Exceptions; len(x) > 0 {
		t.Errorf("unexpected exceptions: %+v", x)
	}
}

// Locust's "login, browse, check out" as a SequentialTaskSet entered from a
// field decorator, leaving with interrupt().
func TestSequenceLoginBrowseCheckout(t *testing.T) {
	srv := server(t)
	for _, form := range []struct{ name, decl string }{
		{"field decorator", "@task shop = Checkout;"},
		{"static field", "@task static shop = Checkout;"},
		{"static tasks", "static tasks = [Checkout];"},
		{"task(weight, Set)", "static tasks = [task(1, Checkout)];"},
	} {
		t.Run(form.name, func(t *testing.T) {
			env := testEnv(srv.URL)
			s := load(t, "main.js", `
import { HttpUser, SequentialTaskSet, task } from "jsload";
globalThis.log = [];
class Checkout extends SequentialTaskSet {
  onStart() { log.push("start"); }
  @task login() { log.push("login"); this.client.post("/echo", { name: "login" }); }
  @task(2) browse() { log.push("browse"); this.client.get("/echo", { name: "browse" }); }
  @task checkout() { log.push("checkout:" + (this.user instanceof Shopper) + ":" + (this.parent === this.user)); this.interrupt(); }
  onStop() { log.push("stop"); }
}
export class Shopper extends HttpUser {
  `+form.decl+`
}
`)
			if got := s.Sets[s.Classes[0].Root].Tasks; len(got) != 1 || got[0].Set < 0 || s.Sets[got[0].Set].Kind != "sequential" {
				t.Fatalf("root tasks = %+v", got)
			}
			vu := runTasks(t, s, env, 8)
			want := "start login browse browse checkout:true:true stop start login browse browse checkout:true:true stop"
			if got := logOf(vu); got != want {
				t.Errorf("flow = %s\nwant   %s", got, want)
			}
			if vu.WaitTime(0) != 0 || !vu.noWait {
				t.Errorf("interrupt() reschedules at once by default")
			}
			snap := env.Registry.Snapshot(time.Now())
			if r := rowOf(t, snap, "GET", "browse"); r.Requests != 4 {
				t.Errorf("browse ran %d times", r.Requests)
			}
			noExceptions(t, env)
		})
	}
}

// Locust's forum example: nested task sets, weights, interrupt().
func TestNestedTaskSetsWithInterrupt(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.ts", `
import { User, TaskSet, task, constant } from "jsload";
declare const globalThis: any;
globalThis.c = { view: 0, create: 0, stop: 0, reply: 0, index: 0, enter: 0, leave: 0, threadEnter: 0, depthMax: 0 };
const c = globalThis.c;
class Thread extends TaskSet {
  waitTime = constant(0.5);
  onStart() { c.threadEnter++; }
  @task(3) reply() { c.reply++; }
  @task(1) back() { this.interrupt(false); }
}
class ForumSection extends TaskSet {
  onStart() { c.enter++; }
  onStop() { c.leave++; }
  @task(10) viewThread() { c.view++; }
  @task(1) createThread() { c.create++; }
  @task(3) thread = Thread;
  @task(1) stop() { c.stop++; this.interrupt(); }
}
export class ForumUser extends User {
  waitTime = constant(2);
  @task(2) forum = ForumSection;
  @task(1) index() { c.index++; }
}
`)
	vu := runTasks(t, s, env, 5000)
	c := global(vu, "c").Export().(map[string]any)
	n := func(k string) int64 { return c[k].(int64) }
	if n("enter") != n("leave") && n("enter") != n("leave")+1 {
		t.Errorf("each ForumSection entered is left once: enter %d leave %d", n("enter"), n("leave"))
	}
	if n("stop") < n("leave")-1 || n("stop") > n("leave") {
		t.Errorf("leaves %d vs stop() calls %d", n("leave"), n("stop"))
	}
	if ratio := float64(n("view")) / float64(n("create")); ratio < 6 || ratio > 16 {
		t.Errorf("viewThread:createThread = %.1f, want about 10", ratio)
	}
	if n("threadEnter") == 0 || n("reply") == 0 || n("index") == 0 {
		t.Errorf("counts = %v", c)
	}
	// The wait time is the innermost set's own, else the user's.
	vu2 := newVU(t, s, env, 2, 0)
	if w := vu2.WaitTime(0); w != 2*time.Second {
		t.Errorf("user wait = %v", w)
	}
	noExceptions(t, env)
}

// A Markov walk follows the transition weights.
func TestMarkovWalkFollowsWeights(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `
import { User, MarkovTaskSet, task, transition, initial } from "jsload";
globalThis.log = [];
class Shop extends MarkovTaskSet {
  @transition("browse", 3) @transition("cart", 1) home() { log.push("h"); }
  @initial @transition("home", 1) @transition("cart", 1) browse() { log.push("b"); }
  @transition("home", 1) cart() { log.push("c"); }
}
export class Walker extends User {
  @task walk = Shop;
}
`)
	const n = 30000
	vu := runTasks(t, s, env, n)
	walk := strings.ReplaceAll(logOf(vu), " ", "")
	if len(walk) != n || walk[0] != 'b' {
		t.Fatalf("walk starts %q (len %d), want the @initial task first", walk[:min(10, len(walk))], len(walk))
	}
	counts := map[string]int{}
	from := map[byte]int{}
	for i := 1; i < len(walk); i++ {
		counts[walk[i-1:i+1]]++
		from[walk[i-1]]++
	}
	check := func(pair string, p float64) {
		t.Helper()
		k := from[pair[0]]
		got := counts[pair]
		mean, sd := float64(k)*p, math.Sqrt(float64(k)*p*(1-p))
		if math.Abs(float64(got)-mean) > 6*sd {
			t.Errorf("%s: %d of %d, want about %.0f", pair, got, k, mean)
		}
	}
	check("hb", 0.75)
	check("hc", 0.25)
	check("bh", 0.5)
	check("bc", 0.5)
	if counts["ch"] != from['c'] || counts["hh"]+counts["bb"]+counts["cc"]+counts["cb"] != 0 {
		t.Errorf("impossible transitions: %v", counts)
	}
	noExceptions(t, env)
}

func TestMarkovErrorsAtLoad(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`@transition("b") a() {} b() {}`, "task set Shop has no tasks"},
		{`@transition("b") a() {} @transition("a") @task b() {} @task c() {}`, "task c has no @transition"},
		{`@transition("nope") a() {}`, "transition to nope, which is not a task of the set"},
	} {
		path := writeScript(t, "main.js", `import { User, MarkovTaskSet, task, transition } from "jsload";
class Shop extends MarkovTaskSet { `+c.body+` }
export class U extends User { @task s = Shop; }
`)
		_, err := Load(context.Background(), path, LoadOptions{})
		if c.body == `@transition("b") a() {} b() {}` {
			// b has no transition and is no task: a's transition names a non-task.
			c.want = "transition to b, which is not a task of the set"
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.body, err, c.want)
		}
	}
}

func TestControlFunctions(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `
import { task, http, rescheduleTask, stopUser, constant } from "jsload";
globalThis.log = [];
export const options = { waitTime: constant(1) };
export const resched = task(1, () => {
  log.push("r");
  try { rescheduleTask(); } catch (e) { log.push("caught!"); }
  log.push("after-r");
});
export const stop = task(0, () => { log.push("s"); stopUser(); log.push("after-s"); });
`)
	vu := newVU(t, s, env, 1, 0)
	ctx := context.Background()
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	if vu.WaitTime(0) != 0 {
		t.Errorf("a rescheduled task is followed by no wait")
	}
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	// Now call stopUser through the zero-weight task directly.
	vu.frames[0].fns[1](nil)
	_, err := vu.invoke(ctx, vu.frames[0].fns[1], vu.frames[0].this)
	vu.settle(ctx, err, "stop")
	if !vu.done {
		t.Fatalf("stopUser did not stop the user")
	}
	if err := vu.RunTask(ctx); !errors.Is(err, engine.ErrStopUser) {
		t.Errorf("RunTask after stopUser = %v, want ErrStopUser", err)
	}
	if got := logOf(vu); got != "r r s s" {
		t.Errorf("log = %q: control functions must end the task at once and not be catchable", got)
	}
	noExceptions(t, env)
}

func TestAbortOnFailure(t *testing.T) {
	srv := server(t)
	for _, c := range []struct{ name, src string }{
		{"options", `
import { task, http } from "jsload";
globalThis.log = [];
export const options = { abortOnFailure: true };
export const flow = task(() => { log.push(1); http.get("/status/500", { name: "step1" }); log.push(2); http.get("/echo"); });
`},
		{"class", `
import { HttpUser, task } from "jsload";
globalThis.log = [];
export class U extends HttpUser {
  static abortOnFailure = true;
  @task flow() { log.push(1); this.client.get("/status/500", { name: "step1" }); log.push(2); this.client.get("/echo"); }
}
`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := testEnv(srv.URL)
			vu := runTasks(t, load(t, "main.js", c.src), env, 3)
			if got := logOf(vu); got != "1 1 1" {
				t.Errorf("log = %q: the task must stop at the failed request", got)
			}
			snap := env.Registry.Snapshot(time.Now())
			if r := rowOf(t, snap, "GET", "step1"); r.Requests != 3 || r.Failures != 3 {
				t.Errorf("step1 = %+v", r)
			}
			if snap.Total.Requests != 3 {
				t.Errorf("requests after the failure were sent: %d", snap.Total.Requests)
			}
			noExceptions(t, env)
			if vu.WaitTime(0) != 0 && vu.noWait {
				t.Errorf("an aborted task is followed by the normal wait")
			}
		})
	}
}

// Any failure a task records ends it under abortOnFailure, however it is
// recorded: res.failure(), a failed custom event, events.measure.
func TestAbortOnFailureOfEveryKind(t *testing.T) {
	srv := server(t)
	for _, c := range []struct{ name, step string }{
		{"res.failure()", `{ const r = http.get("/echo", { catchResponse: true }); r.failure("bad body"); }`},
		{"events.fire with an exception", `events.fire({ type: "db", name: "q", responseTime: 3, exception: "timeout" });`},
		{"events.request.fire", `events.request.fire({ request_type: "db", name: "q", response_time: 3, exception: new Error("gone") });`},
		{"events.measure", `events.measure("db", "q", () => { throw new Error("gone"); });`},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := `import { task, http, events } from "jsload";
globalThis.log = [];
export const options = { abortOnFailure: true };
export const flow = task(() => { log.push(1); ` + c.step + ` log.push(2); });
`
			env := testEnv(srv.URL)
			vu := runTasks(t, load(t, "main.js", src), env, 2)
			if got := logOf(vu); got != "1 1" {
				t.Errorf("log = %q: the task must stop at the failure", got)
			}
			if snap := env.Registry.Snapshot(time.Now()); snap.Total.Failures != 2 {
				t.Errorf("%d failures recorded, want 2", snap.Total.Failures)
			}
			noExceptions(t, env)
		})
	}
}

func TestTaskSetAndSequenceHelpers(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `
import { task, taskSet, sequence } from "jsload";
globalThis.log = [];
const a = () => log.push("a");
const b = () => log.push("b");
export const seq = task(1, sequence(a, task(2, b), function last() { log.push("z"); this.interrupt(); }));
export const set = task(0, taskSet({
  onStart() { log.push("in"); },
  only: task(function () { log.push("only"); this.interrupt(); }),
}));
`)
	vu := runTasks(t, s, env, 8)
	if got := logOf(vu); got != "a b b z a b b z" {
		t.Errorf("sequence ran %q", got)
	}
	if ts := s.Sets[s.Classes[0].Root].Tasks; ts[1].Weight != 0 || s.Sets[ts[1].Set].Tasks[0].Name != "only" {
		t.Errorf("taskSet description = %+v", ts)
	}
	noExceptions(t, env)
}

func TestStoppingUnwindsTaskSets(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `
import { User, TaskSet, task } from "jsload";
globalThis.log = [];
class Inner extends TaskSet { onStop() { log.push("inner"); } @task t() {} }
class Outer extends TaskSet { onStop() { log.push("outer"); } @task inner = Inner; }
export class U extends User { onStop() { log.push("user"); } @task outer = Outer; }
`)
	vu := runTasks(t, s, env, 1)
	if len(vu.frames) != 3 {
		t.Fatalf("depth %d, want 3", len(vu.frames))
	}
	vu.OnStop(context.Background())
	if got := logOf(vu); got != "inner outer user" {
		t.Errorf("onStop order %q", got)
	}
}

func TestTaskSetErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{`import { User, TaskSet, task } from "jsload";
class Empty extends TaskSet {}
export class U extends User { @task e = Empty; }`, "main.js:2:1: task set Empty has no tasks"},
		{`import { User, task } from "jsload";
export class U extends User { static tasks = [42]; }`, "main.js:2:38: user class U: task tasks[0] must be a function or a TaskSet class, got number"},
		{`import { User, task } from "jsload";
export class U extends User { static tasks = "x"; }`, "main.js:2:38: user class U: tasks must be an array"},
	}
	for _, c := range cases {
		_, err := Load(context.Background(), writeScript(t, "main.js", c.src), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
	// interrupt() outside a task set is counted as an exception.
	env := testEnv("")
	s := load(t, "main.js", `import { User, TaskSet, task } from "jsload";
export class U extends User { @task t() { TaskSet.prototype.interrupt.call(this); } }`)
	runTasks(t, s, env, 1)
	if x := env.Registry.Snapshot(time.Now()).Exceptions; len(x) != 1 || !strings.Contains(x[0].Message, "not running") {
		t.Errorf("exceptions = %+v", x)
	}
}

// TypeScript's experimental decorators (tsconfig experimentalDecorators)
// mark methods and fields the same way.
func TestLegacyTypeScriptDecorators(t *testing.T) {
	path := writeScript(t, "main.ts", `
import { User, TaskSet, task, tag } from "jsload";
declare const globalThis: any;
globalThis.log = [];
class Inner extends TaskSet {
  @task(2) @tag("x") a() { globalThis.log.push("a"); this.interrupt(); }
}
export class U extends User {
  @task(3) inner = Inner;
  @task static s = Inner;
  @task(0) m() {}
}
`, "tsconfig.json", `{"compilerOptions": {"experimentalDecorators": true}}`)
	s, err := Load(context.Background(), path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := fmtTasks(s.Classes[0].Tasks)
	if got != "[{inner 3 []} {m 0 []} {s 1 []}]" {
		t.Errorf("tasks = %s", got)
	}
	inner := s.Sets[s.Classes[0].Tasks[0].Set]
	if fmtTasks(inner.Tasks) != "[{a 2 [x]}]" {
		t.Errorf("inner = %s", fmtTasks(inner.Tasks))
	}
	env := testEnv("")
	vu := runTasks(t, s, env, 4)
	if logOf(vu) != "a a a a" {
		t.Errorf("log %q", logOf(vu))
	}
	noExceptions(t, env)
}

func TestTransitionsMap(t *testing.T) {
	s := load(t, "main.js", `
import { User, MarkovTaskSet, task, transitions } from "jsload";
class M extends MarkovTaskSet {
  @transitions({ b: 2, a: 1 }) a() {}
  @transitions({ a: 1 }) b() {}
}
export class U extends User { @task m = M; }
`)
	m := s.Sets[s.Classes[0].Tasks[0].Set]
	if got := fmt.Sprint(m.Tasks[0].Transitions); got != "[{b 2} {a 1}]" {
		t.Errorf("transitions of a = %s", got)
	}
	runTasks(t, s, testEnv(""), 50)
}

func TestFilterTags(t *testing.T) {
	src := `
import { User, TaskSet, task, tag } from "jsload";
globalThis.log = [];
class Shop extends TaskSet {
  @task @tag("buy") pay() { log.push("pay"); this.interrupt(); }
  @task look() { log.push("look"); this.interrupt(); }
}
export class U extends User {
  @task @tag("read") read() { log.push("read"); }
  @task @tag("write", "slow") write() { log.push("write"); }
  @task shop = Shop;
}
export class Other extends User {
  @task @tag("admin") admin() { log.push("admin"); }
}
`
	cases := []struct {
		include, exclude []string
		want             string // tasks seen in 200 runs of class U, sorted
		others           bool   // Other keeps users
		err              string
	}{
		{[]string{"read"}, nil, "read", false, ""},
		{[]string{"buy"}, nil, "pay", false, ""},
		{nil, []string{"slow", "buy"}, "look read", true, ""},
		{[]string{"read", "write"}, []string{"slow"}, "read", false, ""},
		{[]string{"admin"}, nil, "", true, ""},
		{[]string{"nope"}, nil, "", false, "no task matches the tags"},
	}
	for _, c := range cases {
		s := load(t, "main.js", src)
		err := s.FilterTags(c.include, c.exclude)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v/%v: error %v", c.include, c.exclude, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v/%v: %v", c.include, c.exclude, err)
		}
		var u, other ClassInfo
		for _, k := range s.Classes {
			if k.Name == "U" {
				u = k
			} else {
				other = k
			}
		}
		if (other.Weight > 0) != c.others {
			t.Errorf("%v/%v: Other weight %d", c.include, c.exclude, other.Weight)
		}
		if c.want == "" {
			if u.Weight != 0 {
				t.Errorf("%v/%v: U still has users", c.include, c.exclude)
			}
			continue
		}
		idx := 0
		for i, k := range s.Classes {
			if k.Name == "U" {
				idx = i
			}
		}
		vu, err := s.NewVU(context.Background(), testEnv(""), 1, idx)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			_ = vu.RunTask(context.Background())
		}
		seen := map[string]bool{}
		for _, x := range strings.Fields(logOf(vu)) {
			seen[x] = true
		}
		var got []string
		for k := range seen {
			got = append(got, k)
		}
		sort.Strings(got)
		if strings.Join(got, " ") != c.want {
			t.Errorf("%v/%v: ran %v, want %s", c.include, c.exclude, got, c.want)
		}
	}
}

// A task set reached both with and without a tag is filtered as the union
// of its paths (it used to be emptied by one path and crash the other).
func TestFilterTagsSharedSet(t *testing.T) {
	s := load(t, "main.js", `
import { User, TaskSet, task, tag } from "jsload";
globalThis.log = [];
class S extends TaskSet {
  @task @tag("inner") i1() { log.push("i1"); this.interrupt(); }
  @task i2() { log.push("i2"); this.interrupt(); }
}
export class U extends User {
  @task @tag("set") s = S;
  @task s2 = S;
}
`)
	if err := s.FilterTags([]string{"set"}, nil); err != nil {
		t.Fatal(err)
	}
	vu := runTasks(t, s, testEnv(""), 50)
	if got := logOf(vu); !strings.Contains(got, "i1") || !strings.Contains(got, "i2") {
		t.Errorf("ran %q", got)
	}
	if s.Classes[0].Tasks[1].Weight != 0 {
		t.Errorf("the untagged entry s2 must not run: %+v", s.Classes[0].Tasks)
	}
}

// A SequentialTaskSet runs decorated methods in declared order, then
// decorated fields (JavaScript applies method decorators first); static
// tasks = [...] gives any order, task sets included.
func TestSequenceOrderWithFields(t *testing.T) {
	s := load(t, "main.js", `
import { User, TaskSet, SequentialTaskSet, task } from "jsload";
globalThis.log = [];
class Login extends TaskSet { @task go() { log.push("login"); this.interrupt(); } }
class Decorated extends SequentialTaskSet {
  @task login = Login;
  @task browse() { log.push("browse"); }
  @task checkout() { log.push("checkout"); }
  @task done() { this.interrupt(); }
}
class Listed extends SequentialTaskSet {
  static tasks = [Login, function browse() { log.push("browse"); }, function checkout() { log.push("checkout"); this.interrupt(); }];
}
export class U extends User { @task(0) d = Decorated; @task l = Listed; }
`)
	root := s.Classes[0].Tasks
	if got := fmtTasks(s.Sets[root[0].Set].Tasks); got != "[{browse 1 []} {checkout 1 []} {done 1 []} {login 1 []}]" {
		t.Errorf("decorated order: %s", got)
	}
	if got := fmtTasks(s.Sets[root[1].Set].Tasks); got != "[{Login 1 []} {browse 1 []} {checkout 1 []}]" {
		t.Errorf("listed order: %s", got)
	}
	vu := runTasks(t, s, testEnv(""), 6)
	if got := logOf(vu); got != "login browse checkout login browse checkout" {
		t.Errorf("ran %q", got)
	}
}

func TestTaskSetWhoseOnStartThrowsIsNotEntered(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `
import { User, TaskSet, task } from "jsload";
globalThis.log = [];
class S extends TaskSet {
  onStart() { throw new Error("cannot log in"); }
  onStop() { log.push("stop"); }
  @task t() { log.push("inside"); }
}
export class U extends User { @task s = S; }
`)
	vu := runTasks(t, s, env, 3)
	if got := logOf(vu); got != "" || len(vu.frames) != 1 {
		t.Errorf("log %q, depth %d: the set must not be entered", got, len(vu.frames))
	}
	if x := env.Registry.Snapshot(time.Now()).Exceptions; len(x) != 1 || x[0].Count != 3 {
		t.Errorf("exceptions: %+v", x)
	}
}

// transitions takes Locust's list form ([["name", weight], "name"]) as
// well as an object; both describe the same walk as @transition.
func TestTransitionsListForm(t *testing.T) {
	describe := func(decorators string) string {
		t.Helper()
		s := load(t, "main.js", `import { User, MarkovTaskSet, task, transition, transitions } from "jsload";
class Shop extends MarkovTaskSet {
  `+decorators+` a() {}
  @transition("a") b() {}
  @transition("a") c() {}
}
export class U extends User { @task s = Shop; }
`)
		for _, st := range s.Sets {
			if st.Name == "Shop" {
				return fmt.Sprint(st.Tasks[0].Transitions)
			}
		}
		t.Fatal("no set Shop")
		return ""
	}
	want := describe(`@transition("b", 2) @transition("c") @transition("a", 0)`)
	if want != "[{b 2} {c 1} {a 0}]" {
		t.Fatalf("@transition: %s", want)
	}
	for _, d := range []string{
		`@transitions([["b", 2], "c", ["a", 0]])`,
		`@transitions([["b", 2], ["c"], ["a", 0]])`,
		`@transitions({ b: 2, c: 1, a: 0 })`,
	} {
		if got := describe(d); got != want {
			t.Errorf("%s: %s, want %s", d, got, want)
		}
	}
	for _, c := range []struct{ d, want string }{
		{`@transitions([["b", "x"]])`, `main.js:3:4: TypeError: transition("b", weight): weight must be a whole number >= 0, got x (while running the script's top-level code)`},
		{`@transitions([["b", 1, 2]])`, `item 0 has 3 elements, want [name, weight]`},
		{`@transitions([3])`, `transitions([["name", weight], "name", ...]): item 0 must be a task's name or [name, weight], got 3`},
		{`@transitions("b")`, `got b`},
	} {
		path := writeScript(t, "main.js", `import { User, MarkovTaskSet, task, transition, transitions } from "jsload";
class Shop extends MarkovTaskSet {
  `+c.d+` a() {}
  @transition("a") b() {}
}
export class U extends User { @task s = Shop; }
`)
		if _, err := Load(context.Background(), path, LoadOptions{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.d, err, c.want)
		}
	}
}
