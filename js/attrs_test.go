package js

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestWaitTimeAtEveryLevel: a user class's or task set's wait time counts
// whether it is static or an instance field, in jsload's spelling or
// Locust's (a static waitTime used to be ignored: no wait at all).
func TestWaitTimeAtEveryLevel(t *testing.T) {
	cases := []struct{ name, decl string }{
		{"static", "static waitTime = constant(2);"},
		{"static snake", "static wait_time = constant(2);"},
		{"instance", "waitTime = constant(2);"},
		{"instance snake", "wait_time = constant(2);"},
		{"method", "waitTime() { return 2; }"},
		{"inherited static", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := "class Base extends HttpUser { static waitTime = constant(2); }\n"
			parent := "HttpUser"
			if c.decl == "" {
				parent = "Base"
			}
			s := load(t, "main.js", "import { HttpUser, task, constant } from \"jsload\";\n"+base+
				"export class U extends "+parent+" {\n  "+c.decl+"\n  @task t() {}\n}\n")
			vu := newVU(t, s, testEnv(""), 1, 0)
			if w := vu.WaitTime(0); w != 2*time.Second {
				t.Errorf("wait %v, want 2s", w)
			}
		})
	}
	// A task set's static wait time counts while the user is in it.
	s := load(t, "main.js", `import { HttpUser, TaskSet, task, constant } from "jsload";
class Inner extends TaskSet {
  static waitTime = constant(3);
  @task t() {}
}
export class U extends HttpUser {
  static waitTime = constant(1);
  static tasks = [Inner];
}
`)
	vu := runTasks(t, s, testEnv(""), 1)
	if len(vu.frames) != 2 {
		t.Fatalf("depth %d, want 2 (in Inner)", len(vu.frames))
	}
	if w := vu.WaitTime(0); w != 3*time.Second {
		t.Errorf("wait in the task set %v, want 3s", w)
	}
}

func TestClassAttributesAtEveryLevel(t *testing.T) {
	s := load(t, "main.js", `import { HttpUser, User, TaskSet, task } from "jsload";
export class Base extends HttpUser {
  static abstract = true;
  @task shared() {}
}
export class FromBase extends Base {
  weight = 4;
}
export class Fixed extends User {
  fixed_count = 2;
  host = "http://fixed.test";
  @task t() {}
}
export class StaticSnake extends User {
  static fixed_count = 1;
  static weight = 0;
  @task t() {}
}
export class AbstractField extends HttpUser {
  abstract = true;
  @task t() {}
}
export class Listed extends User {
  tasks = [function listed() { globalThis.ran = (globalThis.ran || 0) + 1; }];
  helperField = "free";
  wait_for_login() {}
}
class Inner extends TaskSet {
  tasks = [function inner() { globalThis.inner = true; }];
  abortOnFailure = true;
}
export class Nested extends User {
  static tasks = [Inner];
}
`)
	got := map[string]ClassInfo{}
	for _, c := range s.Classes {
		got[c.Name] = c
	}
	if _, ok := got["Base"]; ok {
		t.Error("static abstract = true: Base is a user class")
	}
	if _, ok := got["AbstractField"]; ok {
		t.Error("abstract = true: AbstractField is a user class")
	}
	if c := got["FromBase"]; c.Weight != 4 || len(c.Tasks) != 1 || c.Tasks[0].Name != "shared" {
		t.Errorf("FromBase (a subclass of an abstract class) = %+v", c)
	}
	if c := got["Fixed"]; c.FixedCount != 2 || c.Host != "http://fixed.test" {
		t.Errorf("Fixed = %+v", c)
	}
	if c := got["StaticSnake"]; c.FixedCount != 1 || c.Weight != 0 {
		t.Errorf("StaticSnake = %+v", c)
	}
	if len(s.Classes) != 5 {
		t.Errorf("classes = %+v", s.Classes)
	}
	var listed, nested int
	for i, c := range s.Classes {
		switch c.Name {
		case "Listed":
			listed = i
		case "Nested":
			nested = i
		}
	}
	env := testEnv("")
	vu := newVU(t, s, env, 1, listed)
	for i := 0; i < 3; i++ {
		if err := vu.RunTask(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := global(vu, "ran"); n == nil || n.ToInteger() != 3 {
		t.Errorf("an instance's tasks = [...] ran %v times, want 3", n)
	}
	vu = newVU(t, s, env, 2, nested)
	if err := vu.RunTask(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := global(vu, "inner"); v == nil || !v.ToBoolean() {
		t.Error("a task set's instance tasks = [...] did not run")
	}
	if f := vu.frames[len(vu.frames)-1]; !f.abort || f.set.AbortOnFailure == nil {
		t.Error("a task set's instance abortOnFailure = true was not read")
	}
	noExceptions(t, env)
}

// TestLocustSpellingsJsloadRefuses: Locust's names jsload does not read are
// load errors at the line they are on, with jsload's spelling; both
// spellings of one attribute are an error; other names stay free.
func TestLocustSpellingsJsloadRefuses(t *testing.T) {
	cases := []struct{ body, want string }{
		{"  min_wait = 1000;\n", "main.js:3:3: user class Shopper: `min_wait` is Locust's; jsload spells it `waitTime = between(min, max)"},
		{"  static max_wait = 5000;\n", "main.js:3:10: user class Shopper: `max_wait` is Locust's"},
		{"  static task_set = 1;\n", "main.js:3:10: user class Shopper: `task_set` is Locust's; jsload spells it `static tasks = [TheTaskSet]`"},
		{"  wait_function() { return 1; }\n", "main.js:3:3: user class Shopper: `wait_function` is Locust's; jsload spells it `waitTime = () => seconds`"},
		{"  network_timeout = 3;\n", "main.js:3:3: user class Shopper: `network_timeout` is Locust's; jsload spells it `timeout"},
		{"  static waitTime = constant(1);\n  wait_time = constant(2);\n", "main.js:4:3: user class Shopper: both `waitTime` and `wait_time` (Locust's spelling of it) are set: keep one"},
		{"  static fixedCount = 1;\n  static fixed_count = 2;\n", "main.js:4:10: user class Shopper: both `fixedCount` and `fixed_count`"},
		{"  onStart() {}\n  on_start() {}\n", "main.js:4:3: user class Shopper: both `onStart` and `on_start`"},
		{"  weight = 1.5;\n", "main.js:3:3: user class Shopper: weight must be a whole number >= 0, got 1.5"},
		{"  host = 8080;\n", "main.js:3:3: user class Shopper: host must be a URL string, got 8080"},
	}
	for _, c := range cases {
		src := "import { HttpUser, task, constant } from \"jsload\";\nexport class Shopper extends HttpUser {\n" + c.body + "  @task browse() {}\n}\n"
		_, err := Load(context.Background(), writeScript(t, "main.js", src), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.body, err, c.want)
		}
	}
	// In a task set, and in an imported file.
	_, err := Load(context.Background(), writeScript(t, "main.js", "import { HttpUser } from \"jsload\";\nimport { Browse } from \"./sets.js\";\nexport class U extends HttpUser { static tasks = [Browse]; }\n",
		"sets.js", "import { TaskSet, task } from \"jsload\";\nexport class Browse extends TaskSet {\n  @task t() {}\n\n  min_wait = 5;\n}\n"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "sets.js:5:3: task set Browse: `min_wait` is Locust's") {
		t.Errorf("task set: error %v", err)
	}
}

// A task set whose constructor needs what the user's onStart sets up is
// still described at load (from its class), and runs.
func TestTaskSetConstructorNeedingTheUser(t *testing.T) {
	env := testEnv("")
	s := load(t, "main.js", `import { User, TaskSet, task } from "jsload";
class Shop extends TaskSet {
  constructor() { super(); this.token = this.user.token.toUpperCase(); }
  @task t() { globalThis.seen = this.token; }
}
export class U extends User {
  onStart() { this.token = "abc"; }
  static tasks = [Shop];
}
`)
	vu := runTasks(t, s, env, 1)
	if v := global(vu, "seen"); v == nil || v.String() != "ABC" {
		t.Errorf("seen = %v", v)
	}
	noExceptions(t, env)
}
