package js

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// The request listener sees what the statistics see, for HTTP requests,
// events.fire and events.measure; removeListener stops it; a listener that
// throws is counted as an exception and the request stays recorded.
func TestRequestListener(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	s := load(t, "main.js", `import { http, events, task } from "jsload";
globalThis.seen = [];
const fn = events.request.addListener((e) => {
  seen.push([e.requestType, e.name, e.status, e.url.replace(/^http:\/\/[^/]+/, ""), e.responseLength, e.exception,
    typeof e.responseTime, e.response_time === e.responseTime, typeof e.startTime, e.response ? e.response.status : null].join("|"));
});
export const t = task(() => {
  http.get("/echo?a=1", { name: "echo" });
  http.get("/status/503");
  events.fire({ type: "custom", name: "c", responseTime: 12, responseLength: 5 });
  events.request.fire({ request_type: "custom", name: "bad", response_time: 1, exception: new Error("boom") });
  events.measure("m", "ok", () => 1);
  events.request.removeListener(fn);
  http.get("/echo");
  events.request.addListener(() => { throw new Error("listener broke"); });
  http.get("/status/200");
});
`)
	vu := newVU(t, s, env, 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	got := global(vu, "seen").Export().([]any)
	want := []string{
		"GET|echo|200|/echo?a=1|",
		"GET|/status/503|503|/status/503|11|503 Server Error: Service Unavailable|number|true|number|503",
		"custom|c|0||5||number|true|object|",
		"custom|bad|0||0|Error: boom|number|true|object|",
		"m|ok|0||0||number|true|number|",
	}
	if len(got) != len(want) {
		t.Fatalf("listener calls:\n%v", got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i].(string), w) {
			t.Errorf("call %d:\n got %s\nwant %s...", i, got[i], w)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	if snap.Total.Requests != 7 {
		t.Errorf("requests recorded: %d, want 7", snap.Total.Requests)
	}
	if len(snap.Exceptions) != 1 || !strings.Contains(snap.Exceptions[0].Message, "listener broke") {
		t.Errorf("exceptions: %+v", snap.Exceptions)
	}
}

// Lifecycle listeners run in the process runtime only, in order, with
// setup() and teardown() in the same runtime (module state carries over);
// users' runtimes never run them. quitting runs its listeners in reverse.
func TestLifecycleRunsInTheProcessRuntime(t *testing.T) {
	env := testEnv("http://127.0.0.1:1")
	env.Run = NewRun()
	s := load(t, "main.js", `import { events, task, run } from "jsload";
const log = [];
globalThis.log = log;
events.testStart.addListener((e) => log.push("testStart VU" + __VU + " state=" + e.run.state));
events.spawningComplete.addListener((e) => log.push("spawned " + e.userCount));
events.test_stop.add_listener(() => log.push("testStop"));
events.quitting.addListener(() => log.push("quitting 1"));
events.quitting.addListener(() => { log.push("quitting 2"); console.log(log.join(", ")); });
export function setup() { log.push("setup"); return { n: 1 }; }
export function teardown(d) { log.push("teardown " + d.n); }
export const t = task(() => {});
`)
	if !s.HasLifecycle {
		t.Fatal("HasLifecycle is false")
	}
	ctx := context.Background()
	lc := s.Lifecycle()
	if err := lc.TestStart(ctx, env); err != nil {
		t.Fatal(err)
	}
	data, err := s.RunSetup(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	env.SetupData = data
	user := newVU(t, s, env, 1, 0)
	env.Run.SpawningComplete(3)
	if err := s.RunTeardown(ctx, env); err != nil {
		t.Fatal(err)
	}
	lc.TestStop(ctx)
	lc.Quit(ctx)
	want := "[VU 0] testStart VU0 state=ready, setup, spawned 3, teardown 1, testStop, quitting 2\n"
	if got := env.Out.(*strings.Builder).String(); got != want {
		t.Errorf("process runtime's log:\n got %q\nwant %q", got, want)
	}
	if n := len(global(user, "log").Export().([]any)); n != 0 {
		t.Errorf("the user's runtime ran %d lifecycle listeners", n)
	}
}

// A script without lifecycle listeners has no process runtime: setup()
// runs in a runtime of its own, as before.
func TestNoLifecycleWithoutListeners(t *testing.T) {
	s := load(t, "main.js", `import { events, task } from "jsload";
events.request.addListener(() => {});
export const t = task(() => {});
`)
	if s.HasLifecycle {
		t.Error("HasLifecycle with only a request listener")
	}
}

// Locust's semaphore_wait: users wait in onStart until all are spawned;
// the wait ends when spawning completes, or when the test stops.
func TestWaitForSpawningComplete(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	env.Run = NewRun()
	s := load(t, "main.js", `import { HttpUser, TaskSet, task, waitForSpawningComplete } from "jsload";
class UserTasks extends TaskSet {
  onStart() { waitForSpawningComplete(); globalThis.waited = true; }
  @task index() { this.client.get("/echo"); }
}
export class WebsiteUser extends HttpUser {
  static tasks = [UserTasks];
}
`)
	vu := newVU(t, s, env, 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- vu.RunTask(ctx) }()
	select {
	case <-done:
		t.Fatal("the task ran before spawning completed")
	case <-time.After(50 * time.Millisecond):
	}
	if n := env.Registry.Snapshot(time.Now()).Total.Requests; n != 0 {
		t.Fatalf("%d requests before spawning completed", n)
	}
	env.Run.SpawningComplete(1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !global(vu, "waited").ToBoolean() {
		t.Error("onStart did not go on")
	}
	// Once complete, waiting returns at once.
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	if n := env.Registry.Snapshot(time.Now()).Total.Requests; n != 2 {
		t.Errorf("requests: %d, want 2", n)
	}

	// A stop ends the wait.
	env2 := testEnv(srv.URL)
	vu2 := newVU(t, s, env2, 1, 0)
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- vu2.RunTask(ctx2) }()
	cancel2()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stop did not end the wait")
	}
	if n := env2.Registry.Snapshot(time.Now()).Total.Requests; n != 0 {
		t.Errorf("a stopped user made %d requests", n)
	}
}

// waitForSpawningComplete outside a user is an error, not a hang.
func TestWaitForSpawningCompleteOutsideAUser(t *testing.T) {
	env := testEnv("http://127.0.0.1:1")
	s := load(t, "main.js", `import { task, waitForSpawningComplete } from "jsload";
export function setup() { waitForSpawningComplete(); }
export const t = task(() => {});
`)
	_, err := s.RunSetup(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "waitForSpawningComplete() is for users") {
		t.Fatalf("err = %v", err)
	}
}

// run describes the run, read-only; parameters appear only when Go sets
// them.
func TestRunDescription(t *testing.T) {
	env := testEnv("http://127.0.0.1:1")
	env.Run = NewRun()
	s := load(t, "main.js", `import { task, run } from "jsload";
export const t = task(() => {
  const r = [run.users, run.state, run.workerIndex, run.workerCount, "parameters" in run, Object.keys(run).join(",")];
  let threw = "";
  try { run.users = 5; } catch (e) { threw = e.name; }
  r.push(threw, run.users);
  globalThis.got = r.join(" ");
});
`)
	vu := newVU(t, s, env, 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := global(vu, "got").String(), "0 ready 0 1 false users,state,workerIndex,workerCount TypeError 0"; got != want {
		t.Errorf("run:\n got %s\nwant %s", got, want)
	}
	env.Run.SetUsers(7)
	env.Run.SetState(func() string { return "running" })
	env.Run.SetWorker(2, func() int { return 3 })
	env.Run.Parameters = map[string]any{"region": "eu"}
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := global(vu, "got").String(), "7 running 2 3 true users,state,workerIndex,workerCount,parameters TypeError 7"; got != want {
		t.Errorf("run:\n got %s\nwant %s", got, want)
	}
}

// this.host is the effective host, in users (from the constructor on) and
// task sets; assigning it is an error.
func TestThisHost(t *testing.T) {
	src := `import { HttpUser, TaskSet, task } from "jsload";
class Inner extends TaskSet {
  @task t() { globalThis.inner = this.host; this.interrupt(); }
}
export class U extends HttpUser {
  static host = "http://class.test";
  constructor() { super(); globalThis.ctor = this.host; }
  @task(1) inner = Inner;
  @task(1) a() {
    globalThis.own = this.host;
    try { this.host = "x"; } catch (e) { globalThis.assign = e.message; }
  }
}
`
	for _, c := range []struct{ envHost, want string }{{"", "http://class.test"}, {"http://flag.test", "http://flag.test"}} {
		s := load(t, "main.js", src)
		env := &Env{Host: c.envHost, Registry: stats.NewRegistry(1), Out: &strings.Builder{}}
		vu := newVU(t, s, env, 1, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for i := 0; i < 40 && (global(vu, "own") == nil || global(vu, "inner") == nil); i++ {
			if err := vu.RunTask(ctx); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		for _, k := range []string{"ctor", "own", "inner"} {
			if v := global(vu, k); v == nil || v.String() != c.want {
				t.Errorf("--host %q: %s this.host = %v, want %s", c.envHost, k, v, c.want)
			}
		}
		if v := global(vu, "assign"); v == nil || !strings.Contains(v.String(), "this.host is read-only") {
			t.Errorf("assigning this.host: %v", v)
		}
	}
}

// TestRequestEventObject checks that a request event behaves as a plain
// object for listeners: its keys in order, JSON, properties a listener
// sets or deletes seen by the next one, and the usual operators.
func TestRequestEventObject(t *testing.T) {
	srv := server(t)
	s := load(t, "main.js", `import { http, events, task } from "jsload";
globalThis.seen = [];
events.request.addListener((e) => {
  seen.push(Object.keys(e).join(","));
  const j = JSON.parse(JSON.stringify({ ...e, response: null, responseTime: 0, response_time: 0, startTime: 0, start_time: 0, url: "" }));
  seen.push(JSON.stringify(j));
  e.mine = 1; e.name = "renamed"; delete e.exception;
  seen.push(["exception" in e, "status" in e, "nothere" in e, typeof e.response.status].join(","));
});
events.request.addListener((e) => {
  seen.push([e.mine, e.name, e.exception, Object.keys(e).includes("mine"), Object.keys(e).includes("exception")].join(","));
});
export const t = task(() => { http.get("/status/200", { name: "s" }); });
`)
	vu := newVU(t, s, testEnv(srv.URL), 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	got := global(vu, "seen").Export().([]any)
	want := []any{
		"requestType,request_type,type,name,responseTime,response_time,responseLength,response_length,exception,url,status,startTime,start_time,response",
		`{"requestType":"GET","request_type":"GET","type":"GET","name":"s","responseTime":0,"response_time":0,"responseLength":11,"response_length":11,"exception":null,"url":"","status":200,"startTime":0,"start_time":0,"response":null}`,
		"false,true,false,number",
		"1,renamed,,true,false",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("seen:\n%q\nwant\n%q", got, want)
	}
}

// TestRequestListenersChangedByListener checks that the listeners called
// for an event are those of the moment it was emitted, when a listener
// removes itself or others and adds new ones.
func TestRequestListenersChangedByListener(t *testing.T) {
	srv := server(t)
	s := load(t, "main.js", `import { http, events, task } from "jsload";
globalThis.seen = [];
const c = (e) => { seen.push("c" + e.status); };
const b = (e) => { seen.push("b" + e.status); };
const a = (e) => {
  seen.push("a" + e.status);
  events.request.removeListener(a);
  events.request.removeListener(c);
  events.request.addListener((e) => { seen.push("d" + e.status); });
};
events.request.addListener(a);
events.request.addListener(b);
events.request.addListener(c);
export const t = task(() => { http.get("/status/200"); http.get("/status/201"); });
`)
	vu := newVU(t, s, testEnv(srv.URL), 1, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := vu.RunTask(ctx); err != nil {
		t.Fatal(err)
	}
	got := global(vu, "seen").Export().([]any)
	if want := []any{"a200", "b200", "c200", "b201", "d201"}; !reflect.DeepEqual(got, want) {
		t.Errorf("listeners called: %v, want %v", got, want)
	}
}
