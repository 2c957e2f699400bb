package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// paramScript is Locust's add_command_line_argument example in jsload: the
// script declares its parameters and a task reports what it reads, as the
// name of a custom event.
const paramScript = `import { task, events, params } from "jsload";
export const parameters = {
  myArgument: { type: "string", default: "dummy", help: "Just an example" },
  count: { type: "int", default: 3, help: "how many" },
  ratio: { default: 0.5 },
  dryRun: { type: "bool", help: "do nothing" },
  pause: { type: "duration", default: "1m" },
};
export const a = task(() => events.fire({ type: "param", name: [params.myArgument, params.count, params.ratio, params.dryRun, params.pause, typeof params.count].join("/"), responseTime: 1 }));
`

func paramRow(t *testing.T, r result) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`param\s+(\S+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no param row in:\n%s", r.stdout)
	}
	return m[1]
}

func TestParametersAreFlagsVariablesAndFileKeys(t *testing.T) {
	t.Parallel()
	p := script(t, paramScript)
	conf := filepath.Join(t.TempDir(), "test.conf")
	if err := os.WriteFile(conf, []byte("# a comment\nmy-argument = from-file\ncount: 5\ndry-run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", p, "--headless", "-i", "1"}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"defaults", nil, nil, "dummy/3/0.5/false/60/number"},
		{"flags", nil, []string{"--my-argument", "x", "--count=7", "--ratio", "2.25", "--dry-run", "--pause", "90"}, "x/7/2.25/true/90/number"},
		{"negative", nil, []string{"--count", "-2", "-u", "1"}, "dummy/-2/0.5/false/60/number"},
		{"bool flag before the script", nil, []string{"--dry-run=false"}, "dummy/3/0.5/false/60/number"},
		{"environment", map[string]string{"JSLOAD_MY_ARGUMENT": "env", "JSLOAD_COUNT": "4"}, nil, "env/4/0.5/false/60/number"},
		{"file", nil, []string{"--config", conf}, "from-file/5/0.5/true/60/number"},
		{"env over file", map[string]string{"JSLOAD_COUNT": "4"}, []string{"--config", conf}, "from-file/4/0.5/true/60/number"},
		{"flag over env", map[string]string{"JSLOAD_COUNT": "4"}, []string{"--config", conf, "--count", "9"}, "from-file/9/0.5/true/60/number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{}, base...), c.args...)
			if got := paramRow(t, run(t, c.env, nil, args...)); got != c.want {
				t.Errorf("params = %s, want %s", got, c.want)
			}
		})
	}
	// A boolean parameter given alone before the script leaves it alone.
	if got := paramRow(t, run(t, nil, nil, "run", "--dry-run", p, "--headless", "-i", "1")); got != "dummy/3/0.5/true/60/number" {
		t.Errorf("params = %s", got)
	}
}

// run.parameters (the lifecycle's run description) shows the same values.
func TestRunDescriptionHasTheParameters(t *testing.T) {
	t.Parallel()
	p := script(t, `import { task, events, run } from "jsload";
export const parameters = { count: { default: 3 } };
export const a = task(() => {
  let threw = false;
  try { run.parameters.count = 1; } catch (e) { threw = e instanceof TypeError; }
  events.fire({ type: "param", name: "count=" + run.parameters.count + "," + threw, responseTime: 1 });
});
`)
	if got := paramRow(t, run(t, nil, nil, "run", p, "--headless", "-i", "1", "--count", "8")); got != "count=8,true" {
		t.Errorf("run.parameters: %s", got)
	}
}

func TestBadParameters(t *testing.T) {
	t.Parallel()
	good := script(t, paramScript)
	decl := func(d string) string {
		return script(t, "import { task } from \"jsload\";\nexport const parameters = "+d+";\nexport const a = task(() => {});\n")
	}
	conf := filepath.Join(t.TempDir(), "bad.conf")
	if err := os.WriteFile(conf, []byte("users = 1\ncount = many\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"not an int", nil, []string{"run", good, "--headless", "--count", "abc"}, `--count wants a whole number, got "abc"`},
		{"not a bool", nil, []string{"run", good, "--headless", "--dry-run=maybe"}, `--dry-run wants true or false, got "maybe"`},
		{"not a duration", map[string]string{"JSLOAD_PAUSE": "soon"}, []string{"run", good, "--headless"}, `JSLOAD_PAUSE="soon": --pause wants a duration`},
		{"bad file value", nil, []string{"run", good, "--headless", "--config", conf}, conf + `:2: count wants a whole number, got "many"`},
		{"unknown flag", nil, []string{"run", good, "--headless", "--my-argumnet", "x"}, `unknown flag: --my-argumnet (did you mean "--my-argument"?)`},
		{"clash", nil, []string{"run", decl(`{ host: { default: "x" } }`), "--headless"}, "host would be --host, which is a built-in flag of jsload run"},
		{"clash by case", nil, []string{"run", decl(`{ spawnRate: { default: 1 } }`), "--headless"}, "spawnRate would be --spawn-rate, which is a built-in flag"},
		{"bad type", nil, []string{"run", decl(`{ n: { type: "integer" } }`), "--headless"}, `export parameters: n.type "integer" is not a type: use one of string, int, float, bool, duration`},
		{"no type", nil, []string{"run", decl(`{ n: { help: "x" } }`), "--headless"}, "export parameters: n needs a type"},
		{"bad default", nil, []string{"run", decl(`{ n: { type: "int", default: "x" } }`), "--headless"}, `export parameters: n.default wants a whole number, got "x"`},
		{"bad field", nil, []string{"run", decl(`{ n: { type: "int", defualt: 1 } }`), "--headless"}, `n.defualt is not a declaration field (did you mean "default"?)`},
		{"choices", nil, []string{"run", decl(`{ mode: { choices: ["fast", "slow"] } }`), "--headless", "--mode", "fats"}, `--mode must be one of fast, slow, got "fats" (did you mean "fast"?)`},
		{"read-only", nil, []string{"run", script(t, "import { task, params } from \"jsload\";\nexport const parameters = { n: { default: 1 } };\nexport const a = task(() => { params.n = 2; });\n"), "--headless", "-i", "1"}, "params.n is read-only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, c.env, nil, c.args...)
			want := ExitInvalid
			if c.name == "read-only" {
				want = ExitOnError // an exception in a task
			}
			if r.code != want || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want %d and %q\nstderr: %s", r.code, want, c.want, r.stderr)
			}
			if want == ExitInvalid && strings.Contains(r.stdout, "Aggregated") {
				t.Errorf("a test ran despite invalid input")
			}
		})
	}
}

func TestHelpListsTheScriptsParameters(t *testing.T) {
	t.Parallel()
	p := script(t, paramScript)
	r := run(t, nil, nil, "run", p, "--help")
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"--spawn-rate", "Parameters of " + p, "--my-argument string", "Just an example (default \"dummy\")", "--count int", "how many (default 3)", "--dry-run", "--pause duration"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestInspectListsParameters(t *testing.T) {
	t.Parallel()
	p := script(t, paramScript)
	r := run(t, nil, nil, "inspect", p)
	if r.code != 0 || !strings.Contains(r.stdout, "Parameters:\n") || !strings.Contains(r.stdout, `--my-argument string (default "dummy")  Just an example`) {
		t.Errorf("exit %d:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, nil, "inspect", "--json", p)
	if !strings.Contains(r.stdout, `"flag": "my-argument"`) {
		t.Errorf("inspect --json:\n%s", r.stdout)
	}
}

// Workers of a distributed run read the master's parameter values (as
// Locust's workers take parsed_options from the spawn message).
func TestWorkersGetTheMastersParameters(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Query().Get("arg")]++
		mu.Unlock()
	}))
	defer srv.Close()
	src := `import { task, http, params, constant } from "jsload";
export const parameters = { myArgument: { default: "dummy" } };
export const options = { waitTime: constant(0.05) };
export const a = task(() => http.get("/?arg=" + params.myArgument));
`
	p := script(t, src)
	master := start(t, nil, nil, "run", p, "-H", srv.URL, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0",
		"--headless", "--expect-workers", "1", "--expect-workers-max-wait", "30s", "-u", "2", "-r", "100", "-t", "1s", "--my-argument", "from-master")
	var port string
	master.waitUntil(t, "the master listening", func() bool {
		m := regexp.MustCompile(`listening for workers on 127\.0\.0\.1:(\d+)`).FindStringSubmatch(master.errb.String())
		if m != nil {
			port = m[1]
		}
		return m != nil
	})
	worker := start(t, nil, nil, "run", "--worker", "--master-port", port)
	r := master.wait(t)
	select {
	case <-worker.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not quit with the master")
	}
	if r.code != 0 {
		t.Fatalf("master exit %d:\n%s\nworker:\n%s", r.code, r.stderr, worker.errb.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["from-master"] == 0 || len(seen) != 1 {
		t.Errorf("requests by parameter value: %v (want only from-master)", seen)
	}
}

// Flags that are not built in, where no script declares parameters, are
// unknown flags.
func TestUnknownFlagsWithoutAScript(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"run", "--worker", "--usres", "5"},
		{"run", "--usres", "5"},
	} {
		r := run(t, nil, nil, args...)
		if r.code != ExitInvalid || !strings.Contains(r.stderr, `unknown flag: --usres (did you mean "--users"?)`) {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}
