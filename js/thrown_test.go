package js

import (
	"sort"
	"strings"
	"testing"
	"time"
)

// TestThrownValuesReadWell: whatever a task throws, reports as an event's
// exception or fails a response with, its text says what it was, never
// "[object Object]".
func TestThrownValuesReadWell(t *testing.T) {
	cases := []struct{ body, want string }{
		{`throw { code: 1 }`, `uncaught {"code":1}`},
		{`throw { code: 1, retry() {} }`, `uncaught {"code":1}`},
		{`throw "plain text"`, `uncaught plain text`},
		{`throw 42`, `uncaught 42`},
		{`throw [1, "a"]`, `uncaught [1,"a"]`},
		{`throw null`, `uncaught null`},
		{`throw undefined`, `uncaught undefined`},
		{`class Nope { constructor() { this.why = "x"; } }; throw new Nope()`, `uncaught Nope {"why":"x"}`},
		{`const o = { a: 1 }; o.self = o; throw o`, `uncaught {a, self}`},
		{`throw new TypeError("bad")`, `TypeError: bad`},
		{`throw { message: "custom", name: "AppError" }`, `AppError: custom`},
		{`throw new Error({ code: 2 })`, `Error: [object Object]`}, // the Error constructor made the message a string
	}
	for _, c := range cases {
		env := testEnv("")
		runOnce(t, env, "import { task } from \"jsload\";\nexport const t = task(() => { "+c.body+"; });\n")
		x := env.Registry.Snapshot(time.Now()).Exceptions
		if len(x) != 1 || x[0].Message != c.want {
			t.Errorf("%s: exceptions %+v, want message %q", c.body, x, c.want)
		}
	}
	// Failures reported with an object.
	srv := server(t)
	env := testEnv(srv.URL)
	runOnce(t, env, `import { task, http, events } from "jsload";
export const t = task(() => {
  events.fire({ type: "db", name: "q1", responseTime: 1, exception: { code: 7 } });
  events.fire({ type: "db", name: "q2", responseTime: 1, exception: "timeout" });
  events.measure("db", "q3", () => { throw { code: 8 }; });
  http.get("/echo", { catchResponse: true }).failure({ reason: "stale" });
  http.get("/echo?x", { catchResponse: true, name: "e2" }).failure(new Error("boom"));
});
`)
	snap := env.Registry.Snapshot(time.Now())
	var got []string
	for _, f := range snap.Failures {
		got = append(got, f.Name+" "+f.Error)
	}
	sort.Strings(got)
	want := []string{`/echo {"reason":"stale"}`, `e2 boom`, `q1 {"code":7}`, `q2 timeout`, `q3 {"code":8}`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("failures = %q, want %q", got, want)
	}
}
