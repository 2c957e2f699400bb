package js

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/dop251/goja"

	"github.com/jsload/jsload/internal/engine"
)

// loginServer records the user name of every POST /login and counts the
// other paths.
type loginServer struct {
	mu     sync.Mutex
	logins []string
	paths  map[string]int
}

func newLoginServer(t *testing.T) (*loginServer, *httptest.Server) {
	ls := &loginServer{paths: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ls.mu.Lock()
		defer ls.mu.Unlock()
		ls.paths[r.URL.Path]++
		if r.URL.Path == "/login" {
			ls.logins = append(ls.logins, string(b))
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return ls, srv
}

// Locust's dynamic_user_credentials: each user's on_start pops a
// credential from a list and logs in with it; once the list is empty,
// users skip the login and still run their tasks. Here the list is a
// queue and the pop tryTake().
func TestLocustDynamicUserCredentials(t *testing.T) {
	ls, srv := newLoginServer(t)
	s := load(t, "locustfile.js", `
import { HttpUser, task, queue } from "jsload";
const USER_CREDENTIALS = queue("credentials", [["user1", "password"], ["user2", "password"], ["user3", "password"]], { onEmpty: "stop" });
export class UserBehaviour extends HttpUser {
  onStart() {
    const cred = USER_CREDENTIALS.tryTake();
    if (cred !== undefined) {
      const [user, passw] = cred;
      this.client.post("/login", { form: { username: user, password: passw } });
    }
  }
  @task someTask() { this.client.get("/protected/resource"); }
}
`)
	env := testEnv(srv.URL)
	for id := 1; id <= 5; id++ {
		vu := newVU(t, s, env, id, 0)
		vu.OnStart(context.Background())
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatalf("user %d: %v", id, err)
		}
	}
	got := strings.Join(ls.logins, " ")
	if got != "password=password&username=user1 password=password&username=user2 password=password&username=user3" {
		t.Errorf("logins: %s", got)
	}
	if ls.paths["/protected/resource"] != 5 {
		t.Errorf("tasks: %v", ls.paths)
	}
}

// onEmpty "stop" stops the user that finds the queue dry (in onStart,
// as stopUser() would); "recycle" starts over; put() returns an item.
func TestQueueOnEmpty(t *testing.T) {
	ls, srv := newLoginServer(t)
	s := load(t, "script.js", `
import { task, http, queue, counter, csv } from "jsload";
const accounts = queue("accounts", csv("users.csv"), { onEmpty: "stop" });
const colors = queue("colors", ["red", "green"], { onEmpty: "recycle" });
const seen = counter("seen");
let me;
export function onStart() {
  me = accounts.take();
  http.post("/login", { body: me.name + " " + colors.take() + " " + seen.add() });
}
export const t = task(() => {
  http.get("/work");
});
export function onStop() { if (me) accounts.put(me); }
`, "users.csv", "name\nann\nbob\n")
	env := testEnv(srv.URL)
	var vus []*VU
	for id := 1; id <= 3; id++ {
		vu := newVU(t, s, env, id, 0)
		vu.OnStart(context.Background())
		err := vu.RunTask(context.Background())
		if id <= 2 && err != nil {
			t.Fatalf("user %d: %v", id, err)
		}
		if id == 3 && !errors.Is(err, engine.ErrStopUser) {
			t.Fatalf("user 3 found the queue dry: %v, want it stopped", err)
		}
		vus = append(vus, vu)
	}
	if out := env.Out.(*strings.Builder).String(); strings.Count(out, `queue "accounts" is empty: this user stops`) != 1 {
		t.Errorf("the stop is not said once: %q", out)
	}
	vus[0].OnStop(context.Background()) // ann goes back
	vu4 := newVU(t, s, env, 4, 0)
	vu4.OnStart(context.Background())
	got := strings.Join(ls.logins, ", ")
	if got != "ann red 1, bob green 2, ann red 3" {
		t.Errorf("logins: %s", got)
	}
	if ls.paths["/work"] != 2 {
		t.Errorf("work: %v", ls.paths)
	}
	if n, _ := s.SharedStore().Len(context.Background(), "accounts"); n != 0 {
		t.Errorf("accounts left: %d", n)
	}
}

// A user waiting on a dry queue (onEmpty "wait") takes the item another
// user puts back, and a stop ends the wait.
func TestQueueWait(t *testing.T) {
	s := load(t, "script.js", `
import { task, queue } from "jsload";
const tokens = queue("tokens", [], { onEmpty: "wait" });
export const t = task(() => { globalThis.got = tokens.take(); });
export function give() { tokens.put({ token: 7 }); }
`)
	env := testEnv("")
	waiter := newVU(t, s, env, 1, 0)
	done := make(chan error, 1)
	go func() { done <- waiter.RunTask(context.Background()) }()
	giver := newVU(t, s, env, 2, 0)
	give, _ := goja.AssertFunction(giver.exports.Get("give"))
	if _, err := give(goja.Undefined()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(global(waiter, "got").Export()); got != "map[token:7]" {
		t.Errorf("waiter took %s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- waiter.RunTask(ctx) }()
	cancel()
	<-done // returns: the wait ended with the context
}

// Queue mistakes are clear, at load time.
func TestQueueMistakes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`queue("q", [1])`, `say what take() does when the queue is dry`},
		{`queue("q", [1], { onEmpty: "recyle" })`, `did you mean "recycle"?`},
		{`queue("q", [1], { onEmpty: "stop", size: 2 })`, `unknown option "size"`},
		{`queue("", [1], { onEmpty: "stop" })`, `a name is required`},
		{`queue("q", 5, { onEmpty: "stop" })`, `items must be an array`},
		{`queue("q", [() => 1], { onEmpty: "stop" })`, `has no JSON form`},
		{`queue("q", [__VU], { onEmpty: "stop" })`, `made again with other items`},
		{`counter("c").add(0.5)`, `takes a whole number`},
		{`queue("q", [1], { onEmpty: "stop" }).take()`, `take() runs in tasks and hooks`},
		{`counter("c").add()`, `add() runs in tasks and hooks`},
	} {
		path := writeScript(t, "script.js", "import { queue, counter, task } from \"jsload\";\n"+c.src+";\nexport const t = task(() => {});\n")
		s, err := Load(context.Background(), path, LoadOptions{})
		if err == nil {
			_, err = s.NewVU(context.Background(), testEnv(""), 5, 0) // __VU differs from the load's
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
	}
}

// Locust's testdata_management fetches test data at several points, each
// with its own scope: once for the test, once per process (the first user,
// through a class flag), once per user (on_start), per task, and on the
// way out. The same points in jsload: setup() for the test, a counter for
// "only the first user" (once per run: in a distributed run too), onStart,
// the task, onStop and teardown(); the lifecycle events (test_start,
// test_stop) are their own feature.
func TestLocustTestDataManagement(t *testing.T) {
	ls, srv := newLoginServer(t)
	s := load(t, "locustfile.js", `
import { HttpUser, task, counter, json, http } from "jsload";
const firstUser = counter("session-data-fetched");
const catalog = json("catalog.json"); // read once per process, shared
export function setup() {
  return { token: "t-" + http.get("/test_data/setup").json().ok };
}
export class MyUser extends HttpUser {
  onStart(data) {
    if (firstUser.add() === 1) this.client.get("/test_data/once");
    this.client.get("/test_data/on_start", { headers: { token: data.token } });
  }
  @task t(data) { this.client.get("/test_data/task/" + catalog[__VU % catalog.length].sku); }
  onStop() { this.client.get("/test_data/on_stop"); }
}
export function teardown(data) { http.get("/test_data/teardown"); }
`, "catalog.json", `[{"sku":"a"},{"sku":"b"}]`)
	env := testEnv(srv.URL)
	data, err := s.RunSetup(context.Background(), env)
	if err != nil || data != `{"token":"t-true"}` {
		t.Fatalf("setup: %q %v", data, err)
	}
	env.SetupData = data
	for id := 1; id <= 3; id++ {
		vu := newVU(t, s, env, id, 0)
		vu.OnStart(context.Background())
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
		vu.OnStop(context.Background())
	}
	if err := s.RunTeardown(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"/test_data/setup": 1, "/test_data/once": 1, "/test_data/on_start": 3,
		"/test_data/task/a": 1, "/test_data/task/b": 2, "/test_data/on_stop": 3, "/test_data/teardown": 1}
	if fmt.Sprint(ls.paths) != fmt.Sprint(want) {
		t.Errorf("fetches: %v\nwant     %v", ls.paths, want)
	}
}

// Locust's testdata_from_csv: one CSV reader per process hands each task
// the next row, starting over at the end of the file. Here: a recycling
// queue over csv() data, shared by every user (and every worker).
func TestLocustTestDataFromCSV(t *testing.T) {
	ls, srv := newLoginServer(t)
	s := load(t, "locustfile.js", `
import { HttpUser, task, csv, queue } from "jsload";
const rows = queue("rows", csv("data.csv"), { onEmpty: "recycle" });
export class QuickstartUser extends HttpUser {
  @task search() { const row = rows.take(); this.client.post("/login", { body: row.term + ":" + row.page }); }
}
`, "data.csv", "term,page\nshoes,1\nhats,2\nsocks,3\n")
	env := testEnv(srv.URL)
	a, b := newVU(t, s, env, 1, 0), newVU(t, s, env, 2, 0)
	for i := 0; i < 4; i++ {
		for _, vu := range []*VU{a, b} {
			if err := vu.RunTask(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := strings.Join(ls.logins, " "); got != "shoes:1 hats:2 socks:3 shoes:1 hats:2 socks:3 shoes:1 hats:2" {
		t.Errorf("rows taken: %s", got)
	}
}
