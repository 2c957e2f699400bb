package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code           int
	stdout, stderr string
}

// running is a jsload command line running in-process.
type running struct {
	args      []string
	out, errb syncBuffer
	done      chan int
}

// start runs jsload in-process. env are JSLOAD_* variables; sig, if not
// nil, delivers interrupts.
func start(t *testing.T, env map[string]string, sig chan os.Signal, args ...string) *running {
	t.Helper()
	if sig == nil {
		sig = make(chan os.Signal)
	}
	r := &running{args: args, done: make(chan int, 1)}
	st := &State{
		Args: args, Stdout: &r.out, Stderr: &r.errb, Signals: sig,
		Getenv: func(k string) string { return env[k] },
	}
	go func() { r.done <- Run(st) }()
	return r
}

// wait waits for the run to end (a generous deadline only bounds a run
// that hangs) and returns its exit code and output.
func (r *running) wait(t *testing.T) result {
	t.Helper()
	select {
	case code := <-r.done:
		res := result{code, r.out.String(), r.errb.String()}
		if strings.Contains(res.stderr, "goroutine ") || strings.Contains(res.stdout, "goroutine ") {
			t.Errorf("output contains a Go stack trace:\n%s", res.stderr)
		}
		return res
	case <-time.After(60 * time.Second):
		t.Fatalf("jsload %v did not finish\nstdout:\n%s\nstderr:\n%s", r.args, r.out.String(), r.errb.String())
	}
	return result{}
}

// waitUntil polls cond until it holds; the deadline only bounds a test
// that fails.
func (r *running) waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		select {
		case code := <-r.done:
			r.done <- code
			if cond() {
				return
			}
			t.Fatalf("jsload %v ended (exit %d) before %s\nstdout:\n%s\nstderr:\n%s", r.args, code, what, r.out.String(), r.errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s", what, r.out.String(), r.errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitStderr waits until the run's standard error contains s.
func (r *running) waitStderr(t *testing.T, s string) {
	t.Helper()
	r.waitUntil(t, fmt.Sprintf("%q on stderr", s), func() bool { return strings.Contains(r.errb.String(), s) })
}

// waitTable waits until the run's standard output (its periodic tables)
// matches every one of rows, from byte from on.
func (r *running) waitTable(t *testing.T, from int, rows ...string) {
	t.Helper()
	res := make([]*regexp.Regexp, len(rows))
	for i, row := range rows {
		res[i] = regexp.MustCompile(row)
	}
	r.waitUntil(t, fmt.Sprintf("tables with rows %q", rows), func() bool {
		out := r.out.String()[from:]
		for _, re := range res {
			if !re.MatchString(out) {
				return false
			}
		}
		return true
	})
}

// run runs jsload in-process to its end. env are JSLOAD_* variables; sig,
// if not nil, delivers interrupts.
func run(t *testing.T, env map[string]string, sig chan os.Signal, args ...string) result {
	t.Helper()
	return start(t, env, sig, args...).wait(t)
}

func script(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "main.js")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// target is a small server: /fast, /slow (100 ms), anything else 404.
func target(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "slow")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// tableRow finds the stats row of (type, name) in the last stats table and
// returns its fields.
func tableRow(t *testing.T, out, typ, name string) []string {
	t.Helper()
	var found []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if typ == "" && len(f) > 0 && f[0] == name && strings.Contains(line, "|") {
			found = f
		}
		if len(f) > 2 && f[0] == typ && f[1] == name && strings.Contains(line, "(") {
			found = f
		}
	}
	if found == nil {
		t.Fatalf("no row %q %q in:\n%s", typ, name, out)
	}
	return found
}

const demoScript = `
import { task, constant, http, events } from "jsload";
export const options = { waitTime: constant(0.01) };
export const fast = task(3, () => http.get("/fast"));
export const missing = task(1, () => http.get("/shujie"));
export const custom = task(1, () => events.fire({ type: "coeus", name: "registry", responseTime: 5, responseLength: 7, exception: null }));
`

func TestRunPrintsLocustTablesAndFailsOnErrors(t *testing.T) {
	t.Parallel()
	srv := target(t)
	// The run ends with Ctrl-C once a periodic table shows every row, so
	// that there are periodic tables and a final one whatever the speed
	// of the machine.
	sig := make(chan os.Signal, 1)
	p := start(t, nil, sig, "run", script(t, demoScript), "--host", srv.URL, "--headless", "-u", "3", "-r", "100", "-t", "1h", "--print-stats", "100ms")
	p.waitTable(t, 0, `(?m)^GET +/fast +[1-9]`, `(?m)^GET +/shujie +[1-9]`, `(?m)^coeus +registry +[1-9]`)
	sig <- os.Interrupt
	r := p.wait(t)
	if r.code != ExitInterrupted { // stopped before its run time: 130, whatever failed
		t.Fatalf("exit code %d, want %d\nstderr:\n%s", r.code, ExitInterrupted, r.stderr)
	}
	header := regexp.MustCompile(`(?m)^Type +Name +# reqs +# fails \| +Avg +Min +Max +Med \| +req/s +failures/s$`)
	if n := len(header.FindAllString(r.stdout, -1)); n < 2 {
		t.Errorf("want periodic tables and a final one, found %d headers:\n%s", n, r.stdout)
	}
	for _, want := range []string{"Response time percentiles", "Error report", "GET /shujie: 404 Client Error: Not Found"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	fast := tableRow(t, r.stdout, "GET", "/fast")
	if fast[3] != "0(0.00%)" || fast[2] == "0" {
		t.Errorf("GET /fast row: %v", fast)
	}
	if miss := tableRow(t, r.stdout, "GET", "/shujie"); miss[2]+"(100.00%)" != miss[3] {
		t.Errorf("GET /shujie row: %v", miss)
	}
	tableRow(t, r.stdout, "coeus", "registry")
	tableRow(t, r.stdout, "", "Aggregated")
	for _, want := range []string{"Ramping to 3 users at a rate of 100 per second", `All users spawned: {"default": 3} (3 total users)`, "Run time limit set to 1h0m0s"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestCleanRunExitsZeroAndOnlySummary(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http } from "jsload";
export const fast = task(() => http.get("/fast"));
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "2", "-r", "50", "-t", "1s", "--only-summary", "--print-stats", "200ms")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "# reqs      # fails"); n != 1 {
		t.Errorf("--only-summary printed %d stats tables", n)
	}
	if strings.Contains(r.stdout, "Error report") {
		t.Errorf("error report without errors:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "Run time limit set to 1s") || !strings.Contains(r.stderr, "--run-time limit reached, shutting down") {
		t.Errorf("the run did not end at its run time:\n%s", r.stderr)
	}
}

func TestExitCodeOnError(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http } from "jsload";
export const missing = task(() => http.get("/nope"));
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "1", "-i", "1", "--exit-code-on-error", "7")
	if r.code != 7 {
		t.Errorf("exit %d, want 7", r.code)
	}
	if row := tableRow(t, r.stdout, "GET", "/nope"); row[2] != "1" || row[3] != "1(100.00%)" {
		t.Errorf("GET /nope row %v, want the one failed request", row)
	}
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	good := script(t, "import { task } from \"jsload\";\nexport const a = task(() => {});\n")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"syntax error", nil, []string{"run", script(t, "import { task } from \"jsload\";\nexport const a = task(() => {\n  let x = ;\n});\n"), "--headless"}, []string{"main.js:3:11: Unexpected \";\""}},
		{"throw at import", nil, []string{"run", script(t, "import { task } from \"jsload\";\nthrow new TypeError(\"no config\");\nexport const a = task(() => {});\n"), "--headless"}, []string{"main.js:2:7: TypeError: no config"}},
		{"no tasks", nil, []string{"run", script(t, "export const x = 1;\n"), "--headless"}, []string{"the script has no tasks"}},
		{"missing script", nil, []string{"run", "/no/such/script.js", "--headless"}, []string{"script /no/such/script.js not found"}},
		{"unknown flag", nil, []string{"run", good, "--headless", "--frobnicate"}, []string{"unknown flag: --frobnicate", "Run 'jsload run --help' for usage."}},
		{"mistyped flag", nil, []string{"run", good, "--headless", "--usres", "3"}, []string{`unknown flag: --usres (did you mean "--users"?)`}},
		{"Locust's spelling of a flag", nil, []string{"run", good, "--headless", "--spawn_rate", "3"}, []string{`did you mean "--spawn-rate"?`}},
		{"bad value from the script", nil, []string{"run", script(t, "import { task } from \"jsload\";\nexport const options = { timeout: -3 };\nexport const a = task(() => {});\n"), "--headless"}, []string{"options.timeout in the script: --timeout must be more than 0, got -3s"}},
		{"bad value from the environment", map[string]string{"JSLOAD_SPAWN_RATE": "0"}, []string{"run", good, "--headless"}, []string{`JSLOAD_SPAWN_RATE="0": --spawn-rate must be more than 0`}},
		{"negative users", nil, []string{"run", good, "--headless", "-u", "-3"}, []string{"--users must be 0 or more, got -3", "--help"}},
		{"bad run time", nil, []string{"run", good, "--headless", "-t", "abc"}, []string{`invalid argument "abc" for "-t, --run-time"`, "is not a duration"}},
		{"bad spawn rate", nil, []string{"run", good, "--headless", "-r", "0"}, []string{"--spawn-rate must be more than 0"}},
		{"bad host", nil, []string{"run", good, "--headless", "-H", "localhost:8080"}, []string{`--host "localhost:8080" must start with http:// or https://`}},
		{"bad env", map[string]string{"JSLOAD_USERS": "many"}, []string{"run", good, "--headless"}, []string{`JSLOAD_USERS="many": --users wants a whole number, got "many"`}},
		{"users not a number", nil, []string{"run", good, "--headless", "-u", "abc"}, []string{`--users wants a whole number, got "abc"`}},
		{"rate not a number", nil, []string{"run", good, "--headless", "-r", "fast"}, []string{`--spawn-rate wants a number, got "fast"`}},
		{"users out of range", nil, []string{"run", good, "--headless", "-u", "99999999999999999999"}, []string{`--users: 99999999999999999999 is out of range`}},
		{"single user on a master", nil, []string{"run", good, "--headless", "--single-user", "--master"}, []string{"--single-user is a local debug run: drop --master"}},
		{"mistyped script option", nil, []string{"run", script(t, "import { task } from \"jsload\";\nexport const options = { stagez: [] };\nexport const a = task(() => {});\n"), "--headless"}, []string{`options.stagez in the script: unknown option (did you mean "stages"?)`, "stages, thresholds, abortOnFailure"}},
		{"bad script option", nil, []string{"run", script(t, "import { task } from \"jsload\";\nexport const options = { users: \"lots\" };\nexport const a = task(() => {});\n"), "--headless"}, []string{"options.users in the script"}},
		{"unknown script option", nil, []string{"run", script(t, "import { task } from \"jsload\";\nexport const options = { userz: 3 };\nexport const a = task(() => {});\n"), "--headless"}, []string{"options.userz in the script: unknown option"}},
		{"no script", nil, []string{"run", "--headless"}, []string{"run takes exactly one script, got 0 arguments"}},
		{"unwritable csv", nil, []string{"run", good, "--headless", "--csv", "/no/such/dir/x"}, []string{"csv: cannot write /no/such/dir/x_stats.csv"}},
		{"unwritable json", nil, []string{"run", good, "--headless", "--json", "/no/such/dir/x.json"}, []string{"--json: cannot write /no/such/dir/x.json"}},
		{"busy prometheus port", nil, []string{"run", good, "--headless", "--prometheus", "256.0.0.1:1"}, []string{"--prometheus 256.0.0.1:1"}},
		{"web panel with --iterations", nil, []string{"run", good, "--iterations", "3"}, []string{"--iterations and file outputs (--csv, --html, --json) run headless for now: add --headless"}},
		{"bad web login", nil, []string{"run", good, "--web-login", "nocolon"}, []string{"--web-login wants USER:PASSWORD, both non-empty"}},
		{"bad web login from the environment", map[string]string{"JSLOAD_WEB_LOGIN": "secretnocolon"}, []string{"run", good}, []string{"JSLOAD_WEB_LOGIN=(value not shown): --web-login wants USER:PASSWORD"}},
		{"bare web login", nil, []string{"run", good, "--web-login", "--headless"}, []string{`--web-login wants USER:PASSWORD, got the next flag "--headless": write --web-login=USER:PASSWORD`}},
		{"web TLS certificate without key", nil, []string{"run", good, "--web-tls-cert", "cert.pem"}, []string{"--web-tls-cert needs --web-tls-key"}},
		{"web TLS files missing", nil, []string{"run", good, "--web-tls-cert", "/no/cert.pem", "--web-tls-key", "/no/key.pem"}, []string{"--web-tls-cert /no/cert.pem / --web-tls-key /no/key.pem: open /no/cert.pem: no such file or directory"}},
		{"unknown command", nil, []string{"frob"}, []string{`unknown command "frob"`}},
		{"watch with a bad flag", nil, []string{"run", good, "--headless", "--watch", "-u", "-3"}, []string{"--users must be 0 or more"}},
		{"watch without headless", nil, []string{"run", good, "--watch"}, []string{"--watch runs headless"}},
		{"watch with a bad threshold", nil, []string{"run", good, "--headless", "--watch", "--threshold", "x"}, []string{"--threshold"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, c.env, nil, c.args...)
			if r.code != ExitInvalid {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, ExitInvalid, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			if strings.Contains(r.stdout, "Aggregated") {
				t.Errorf("a test ran despite invalid input")
			}
			if strings.Contains(r.stderr, "strconv.") {
				t.Errorf("Go's parser shows through: %s", r.stderr)
			}
		})
	}
}

func TestOptionPrecedence(t *testing.T) {
	t.Parallel()
	p := script(t, "import { task, http } from \"jsload\";\nexport const options = { users: 3, spawnRate: 100, runTime: \"300ms\", headless: true };\nexport const a = task(() => {});\n")
	r := run(t, nil, nil, "run", p)
	if !strings.Contains(r.stderr, "Ramping to 3 users at a rate of 100 per second") || r.code != 0 {
		t.Errorf("script options not applied (exit %d):\n%s", r.code, r.stderr)
	}
	r = run(t, map[string]string{"JSLOAD_USERS": "2"}, nil, "run", p)
	if !strings.Contains(r.stderr, "Ramping to 2 users") {
		t.Errorf("environment does not win over the script:\n%s", r.stderr)
	}
	r = run(t, map[string]string{"JSLOAD_USERS": "2"}, nil, "run", p, "-u", "1")
	if !strings.Contains(r.stderr, "Ramping to 1 users") {
		t.Errorf("flags do not win over the environment:\n%s", r.stderr)
	}
}

func TestTaskExceptionsAreReportedWithPositions(t *testing.T) {
	t.Parallel()
	src := `import { task, constant } from "jsload";
export const options = { waitTime: constant(0.01) };
export const broken = task(() => {
  JSON.parse("{nope");
});
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "2", "-r", "100", "-i", "10")
	if r.code != ExitOnError {
		t.Errorf("exit %d, want %d", r.code, ExitOnError)
	}
	if !regexp.MustCompile(`(?m)^10 +\S*main\.js:4:8: JSON\.parse: invalid character 'n'`).MatchString(r.stdout) {
		t.Errorf("exception table lacks the position:\n%s", r.stdout)
	}
	if n := strings.Count(r.stderr, "JSON.parse: invalid"); n != 1 {
		t.Errorf("the exception was logged %d times, want once:\n%s", n, r.stderr)
	}
}

func TestMissingHostAndRefusedConnections(t *testing.T) {
	t.Parallel()
	src := `import { task, http } from "jsload";
export const a = task(() => http.get("/x"));
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "1", "-t", "300ms")
	if !strings.Contains(r.stdout, "a relative URL needs a host") {
		t.Errorf("missing host not in the exceptions table:\nstdout: %s", r.stdout)
	}
	if n := strings.Count(r.stderr, "needs a host"); n != 1 || strings.Contains(r.stderr, "no host given") {
		t.Errorf("the missing host was said %d times on stderr, want once:\n%s", n, r.stderr)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r = run(t, nil, nil, "run", script(t, src+"export const options = { waitTime: () => 0.05 };\n"), "--headless", "-u", "1", "-i", "3", "-H", "http://"+addr)
	if r.code != ExitOnError {
		t.Errorf("exit %d", r.code)
	}
	if row := tableRow(t, r.stdout, "GET", "/x"); row[2] != "3" || row[3] != "3(100.00%)" {
		t.Errorf("refused requests are not failures: %v", row)
	}
	if !strings.Contains(r.stdout, "connection refused") {
		t.Errorf("error report lacks the reason:\n%s", r.stdout)
	}
}

func TestResettingServer(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			buf := make([]byte, 1024)
			_, _ = c.Read(buf)
			c.Close()
		}
	}()
	src := `import { task, http, constant } from "jsload";
export const options = { waitTime: constant(0.02) };
export const a = task(() => http.get("/reset"));
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "2", "-r", "100", "-i", "10", "-H", "http://"+l.Addr().String())
	if r.code != ExitOnError {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	row := tableRow(t, r.stdout, "GET", "/reset")
	if row[2] != "10" || row[3] != "10(100.00%)" {
		t.Errorf("row %v", row)
	}
	if !strings.Contains(r.stdout, "connection reset by peer") && !strings.Contains(r.stdout, "server closed connection") {
		t.Errorf("error report:\n%s", r.stdout)
	}
}

func TestInterruptStopsGracefullyThenAtOnce(t *testing.T) {
	t.Parallel()
	// /slow takes 100 ms, says when a request arrives, and counts those
	// it answered.
	var answered atomic.Int64
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "slow")
		answered.Add(1)
	}))
	t.Cleanup(srv.Close)
	src := `import { task, http } from "jsload";
export const slow = task(() => { http.get("/slow"); http.get("/slow"); });
export function onStop() { console.log("bye from", __VU); }
`
	sig := make(chan os.Signal, 2)
	p := start(t, nil, sig, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "2", "-r", "100", "-s", "5s")
	// Ctrl-C once both users run and a request is under way.
	p.waitStderr(t, "All users spawned")
	select {
	case <-arrived:
	default:
	}
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("no request reached /slow")
	}
	sig <- os.Interrupt
	r := p.wait(t)
	if r.code != ExitInterrupted {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "press Ctrl-C again") || strings.Count(r.stderr, "bye from") != 2 {
		t.Errorf("graceful stop:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "Response time percentiles") {
		t.Errorf("no final tables after Ctrl-C:\n%s", r.stdout)
	}
	// Running tasks finished: every started /slow request was completed
	// and recorded (an even count: each task makes two).
	row := tableRow(t, r.stdout, "GET", "/slow")
	if row[3] != "0(0.00%)" {
		t.Errorf("graceful stop recorded failures: %v", row)
	}
	if n, _ := strconv.ParseInt(row[2], 10, 64); n != answered.Load() || n%2 != 0 {
		t.Errorf("%s /slow requests recorded, the server answered %d; want all of them, an even number", row[2], answered.Load())
	}

	// A runaway loop with a long stop timeout: the second Ctrl-C ends it.
	loop := `import { task } from "jsload";
export const spin = task(() => { while (true) {} });
`
	sig2 := make(chan os.Signal, 2)
	p = start(t, nil, sig2, "run", script(t, loop), "--headless", "-u", "2", "-r", "100", "-s", "1h")
	p.waitStderr(t, "All users spawned")
	sig2 <- os.Interrupt
	p.waitStderr(t, "press Ctrl-C again")
	sig2 <- os.Interrupt
	r = p.wait(t)
	if !strings.Contains(r.stderr, "stopping at once") || !strings.Contains(r.stdout, "Aggregated") {
		t.Errorf("second Ctrl-C:\nstderr: %s\nstdout: %s", r.stderr, r.stdout)
	}
	if r.code != ExitInterrupted || strings.Contains(r.stdout, "Exception report") {
		t.Errorf("interrupted loops are not errors, the interrupt is the exit code: exit %d\n%s", r.code, r.stdout)
	}
}

func TestStopTimeoutInterruptsRunawayTasks(t *testing.T) {
	t.Parallel()
	src := `import { task, sleep } from "jsload";
export const spin = task(1, () => { while (true) {} });
export const nap = task(1, () => { sleep(3600); });
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "4", "-r", "100", "-t", "300ms", "-s", "200ms")
	if r.code != ExitOK {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stderr, r.stdout)
	}
	if n := strings.Count(r.stderr, "still running 200ms after the stop (--stop-timeout) and interrupted"); n != 1 {
		t.Errorf("the interrupted tasks were noted %d times, want once:\n%s", n, r.stderr)
	}
}

// TestStopTimeoutInterruptsRequests: requests that get no answer are
// interrupted when the stop timeout has passed, for users that wait between
// their tasks as for those that do not (the engine interrupts their tasks:
// a task's context has no watch of its own).
func TestStopTimeoutInterruptsRequests(t *testing.T) {
	t.Parallel()
	gone := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-gone:
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(gone) }) // runs first
	for _, wait := range []string{"constant(0.02)", "constant(0)"} {
		t.Run(wait, func(t *testing.T) {
			src := `import { task, http, constant } from "jsload";
export const options = { waitTime: ` + wait + ` };
export const t = task(() => { http.get(__ITER < 2 ? "/fast" : "/hang"); });
`
			r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "3", "-r", "100", "-t", "1s", "-s", "100ms")
			if !strings.Contains(r.stderr, "3 tasks were still running 100ms after the stop (--stop-timeout) and interrupted") {
				t.Errorf("exit %d, want the 3 hanging requests interrupted:\n%s\n%s", r.code, r.stderr, r.stdout)
			}
		})
	}
}

func TestUserClassesAreDistributedByWeight(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { HttpUser, User, task, constant } from "jsload";
export class Reader extends HttpUser {
  static weight = 3;
  waitTime = constant(0.05);
  @task read() { this.client.get("/fast", { name: "read" }); }
}
export class Writer extends HttpUser {
  waitTime = constant(0.05);
  @task write() { this.client.get("/fast", { name: "write" }); }
}
export class Admin extends User {
  static fixedCount = 1;
  @task(2) admin() {}
}
`
	// Ctrl-C once both classes' requests show in a periodic table.
	sig := make(chan os.Signal, 1)
	p := start(t, nil, sig, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "9", "-r", "1000", "-t", "1h", "--print-stats", "100ms")
	p.waitTable(t, 0, `(?m)^GET +read +[1-9]`, `(?m)^GET +write +[1-9]`)
	sig <- os.Interrupt
	r := p.wait(t)
	if r.code != ExitInterrupted {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `All users spawned: {"Admin": 1, "Reader": 6, "Writer": 2} (9 total users)`) {
		t.Errorf("distribution:\n%s", r.stderr)
	}
	tableRow(t, r.stdout, "GET", "read")
	tableRow(t, r.stdout, "GET", "write")
}

func TestSetupTeardownAndFailingSetup(t *testing.T) {
	t.Parallel()
	src := `import { task } from "jsload";
export function setup() { return { n: 41 }; }
export const a = task((d) => { if (d.n !== 41) throw new Error("no data"); });
export function teardown(d) { console.log("teardown saw", d.n + 1); }
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "1", "-t", "200ms")
	if r.code != ExitOK || !strings.Contains(r.stderr, "teardown saw 42") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	bad := `import { task } from "jsload";
export function setup() { throw new Error("database down"); }
export const a = task(() => {});
`
	r = run(t, nil, nil, "run", script(t, bad), "--headless", "-u", "1", "-t", "200ms")
	if r.code != ExitOnError || !strings.Contains(r.stderr, "setup() failed:") || !strings.Contains(r.stderr, "main.js:2:33: Error: database down") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	src := `import { HttpUser, task, tag, between } from "jsload";
export const options = { host: "http://localhost:8080" };
export class Shopper extends HttpUser {
  static weight = 3;
  static waitTime = between(1, 2.5);
  @task(3) browse() {}
  @task @tag("checkout") buy() {}
}
export class Admin extends HttpUser {
  static fixedCount = 1;
  @task audit() {}
}
`
	r := run(t, nil, nil, "inspect", script(t, src))
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Shopper: weight 3", "waitTime between(1, 2.5)", "Admin: fixed count 1, no wait between tasks", "browse", "75.0%", "tags: checkout", `host: "http://localhost:8080"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, nil, "inspect", "--json", script(t, src))
	if !strings.Contains(r.stdout, `"fixedCount": 1`) {
		t.Errorf("inspect --json:\n%s", r.stdout)
	}
	r = run(t, nil, nil, "inspect", script(t, "syntax error here"))
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "main.js:1:8:") {
		t.Errorf("inspect of a broken script: exit %d, %s", r.code, r.stderr)
	}
	// A name jsload does not export is found by inspect as by run.
	r = run(t, nil, nil, "inspect", script(t, "import { task, group } from \"jsload\";\nexport const a = task(() => group());\n"))
	if r.code != ExitInvalid || !strings.Contains(r.stderr, `main.js:1:16: "jsload" has no export named "group"`) {
		t.Errorf("inspect of a missing export: exit %d, %s", r.code, r.stderr)
	}
	// So is an unknown option.
	r = run(t, nil, nil, "inspect", script(t, "import { task, constant } from \"jsload\";\nexport const options = { wait_time: constant(1) };\nexport const a = task(() => {});\n"))
	if r.code != ExitInvalid || !strings.Contains(r.stderr, `options.wait_time in the script: unknown option (did you mean "waitTime"?)`) {
		t.Errorf("inspect of an unknown option: exit %d, %s", r.code, r.stderr)
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	r := run(t, nil, nil, "run", "--help")
	for _, want := range []string{"--spawn-rate", "--stop-timeout", "JSLOAD_SPAWN_RATE", "--exit-code-on-error"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if r := run(t, nil, nil, "--version"); !strings.Contains(r.stdout, "jsload version") {
		t.Errorf("--version: %q", r.stdout)
	}
}

func TestSingleUserPrintsEveryRequest(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "fine") })
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Reason", "testing")
		w.WriteHeader(503)
		fmt.Fprint(w, "down for\nmaintenance")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	src := `import { task, http, events, between } from "jsload";
export const options = { waitTime: between(0, 0) };
export function onStart() { console.log("hello from", __VU); }
export const flow = task(() => {
  http.get("/ok");
  http.get("/bad");
  events.fire({ type: "custom", name: "thing", responseTime: 2.5, responseLength: 3 });
  null.boom;
});
`
	r := run(t, nil, nil, "run", script(t, src), "--single-user", "-H", srv.URL)
	if r.code != ExitOnError {
		t.Errorf("exit %d", r.code)
	}
	var lines []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "[VU") || strings.HasPrefix(l, "    ") {
			lines = append(lines, l)
		}
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^\[VU 1\] hello from 1$`),
		regexp.MustCompile(`^\[VU 1\] task flow \(iteration 0\)$`),
		regexp.MustCompile(`^\[VU 1\] GET ` + regexp.QuoteMeta(srv.URL) + `/ok -> 200 OK \(\d+\.\d ms, 4 B\)$`),
		regexp.MustCompile(`^\[VU 1\] GET ` + regexp.QuoteMeta(srv.URL) + `/bad -> 503 Service Unavailable \(\d+\.\d ms, 20 B\) FAILED$`),
		regexp.MustCompile(`^    Content-Length: 20$`),
		regexp.MustCompile(`^    Content-Type: text/plain; charset=utf-8$`),
		regexp.MustCompile(`^    Date: `),
		regexp.MustCompile(`^    X-Reason: testing$`),
		regexp.MustCompile(`^    body: down for$`),
		regexp.MustCompile(`^          maintenance$`),
		regexp.MustCompile(`^\[VU 1\] custom thing -> ok \(2\.5 ms, 3 B\)$`),
		regexp.MustCompile(`^    at <anonymous> \(\S*main\.js:8:8\)$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s", i, lines[i], re)
		}
	}
	if !strings.Contains(r.stderr, "main.js:8:8: TypeError: Cannot read property 'boom' of") {
		t.Errorf("exception not shown:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "all 1 iterations done") || strings.Count(r.stdout, "# reqs      # fails") != 1 {
		t.Errorf("single-user must run one task and print one summary:\n%s\n%s", r.stderr, r.stdout)
	}
	if r := run(t, nil, nil, "run", script(t, src), "--single-user", "-u", "3"); r.code != ExitInvalid || !strings.Contains(r.stderr, "--single-user runs one user") {
		t.Errorf("--single-user -u 3: %d %s", r.code, r.stderr)
	}
}

func TestIterationsEndTheRun(t *testing.T) {
	t.Parallel()
	src := `import { task, events } from "jsload";
export const a = task(() => events.fire({ type: "t", name: "n", responseTime: 1 }));
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "3", "-r", "100", "-i", "25")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if row := tableRow(t, r.stdout, "t", "n"); row[2] != "25" {
		t.Errorf("-i 25 ran %s tasks", row[2])
	}
	if r := run(t, nil, nil, "run", script(t, src), "--headless", "-i", "-2"); r.code != ExitInvalid {
		t.Errorf("-i -2 accepted")
	}
}

func TestTaskSetsEndToEnd(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { HttpUser, SequentialTaskSet, task, rescheduleTask, stopUser } from "jsload";
class Checkout extends SequentialTaskSet {
  @task view() { this.client.get("/fast", { name: "view" }); }
  @task pay() { this.client.get("/nope", { name: "pay" }); }
  @task done() { this.interrupt(); }
}
export class Buyer extends HttpUser {
  static abortOnFailure = false;
  @task(3) checkout = Checkout;
  @task skip() { rescheduleTask(); }
  @task leave() { if (__ITER > 20) stopUser(); }
}
`
	// The users stop themselves; the run time only bounds a run where
	// they do not.
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "2", "-r", "100", "-t", "40s")
	if r.code != ExitOnError {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "every user has stopped, shutting down") {
		t.Errorf("stopUser did not end the run early:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout, "Exception report") {
		t.Errorf("control functions were counted as exceptions:\n%s", r.stdout)
	}
	view, pay := tableRow(t, r.stdout, "GET", "view"), tableRow(t, r.stdout, "GET", "pay")
	if view[2] != pay[2] {
		t.Errorf("a sequence runs view and pay alike: %v / %v", view, pay)
	}
}

func TestWatchRestartsOnChange(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	main := filepath.Join(dir, "main.js")
	lib := filepath.Join(dir, "lib.js")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(lib, `export const NAME = "first";`+"\n")
	write(main, `import { task, events, constant } from "jsload";
import { NAME } from "./lib.js";
export const options = { waitTime: constant(0.05) };
export const a = task(() => events.fire({ type: "t", name: NAME, responseTime: 1 }));
`)
	sig := make(chan os.Signal, 2)
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(&State{Args: []string{"run", main, "--headless", "--watch", "--print-stats", "100ms"}, Stdout: &out, Stderr: &errb, Signals: sig, Getenv: func(string) string { return "" }})
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s", what, out.String(), errb.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Each write changes its file's size, which the watcher compares along
	// with the time, so no wait for a coarse file time is needed.
	waitFor("the first run", func() bool { return strings.Contains(out.String(), "first") })
	write(lib, `export const NAME = "second";`+"\n")
	waitFor("the restart", func() bool {
		return strings.Contains(out.String(), "run 2:") && strings.Contains(out.String(), "second")
	})
	write(main, "export const broken = ;\n")
	waitFor("the error", func() bool { return strings.Contains(errb.String(), "main.js:1:23: Unexpected \";\"") })
	waitFor("watching", func() bool { return strings.Contains(errb.String(), "for changes (Ctrl-C to quit)") })
	sig <- os.Interrupt
	select {
	case code := <-done:
		if code != ExitInvalid {
			t.Errorf("exit %d after the last load failed, want %d", code, ExitInvalid)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch mode did not stop on Ctrl-C")
	}
}

func TestStopReachesEveryBlockingCall(t *testing.T) {
	t.Parallel()
	// The cases with a Ctrl-C request /entered just before they block:
	// the test waits for it, then interrupts.
	cases := []struct {
		name, src string
		args      []string
		signals   int
		want      string // on stderr
	}{
		{"wait-time function", `import { HttpUser, task } from "jsload";
export class U extends HttpUser {
  waitTime() { if (__ITER >= 1) while (true) {} return 0.01; }
  @task t() { this.client.get("/fast"); }
}`, []string{"-t", "500ms"}, 0, "--run-time limit reached"},
		{"user creation", `import { task } from "jsload";
if (__VU >= 2) while (true) {}
export const t = task(() => {});`, []string{"-u", "3", "-r", "100", "-t", "500ms"}, 0, "--run-time limit reached"},
		{"setup, first Ctrl-C", `import { task, sleep, http } from "jsload";
export function setup() { http.get("/entered"); sleep(3600); }
export const t = task(() => {});`, nil, 1, "stopped during setup(): no user was started"},
		{"preparing users, first Ctrl-C", `import { task, http } from "jsload";
if (__VU >= 2) { http.get("/entered"); while (true) {} }
export const t = task(() => {});`, []string{"-u", "3", "-r", "100", "-t", "1h"}, 1, "stopped while preparing the users: no user was started"},
		{"loading, first Ctrl-C", `import { task, http } from "jsload";
http.get("/entered");
while (true) {}
export const t = task(() => {});`, nil, 1, "stopped while loading"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			entered := make(chan struct{}, 1)
			mux := http.NewServeMux()
			mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
			mux.HandleFunc("/entered", func(w http.ResponseWriter, r *http.Request) {
				select {
				case entered <- struct{}{}:
				default:
				}
			})
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			sig := make(chan os.Signal, 2)
			args := append([]string{"run", script(t, c.src), "--headless", "-H", srv.URL}, c.args...)
			begin := time.Now()
			p := start(t, nil, sig, args...)
			if c.signals > 0 {
				select {
				case <-entered:
				case <-time.After(30 * time.Second):
					t.Fatalf("the script never reached the blocking call\n%s", p.errb.String())
				}
				sig <- os.Interrupt
			}
			r := p.wait(t)
			if d := time.Since(begin); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			if !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr lacks %q:\n%s", c.want, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "Exception report") {
				t.Errorf("a stop was counted as an exception:\n%s", r.stdout)
			}
		})
	}
}

func TestOptionsAndLimits(t *testing.T) {
	t.Parallel()
	good := "import { task } from \"jsload\";\nexport const a = task(() => {});\n"
	r := run(t, nil, nil, "run", script(t, "import { task } from \"jsload\";\nexport const options = { help: true };\nexport const a = task(() => {});\n"), "--headless")
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "options.help in the script: unknown option") {
		t.Errorf("options.help: exit %d %s", r.code, r.stderr)
	}
	r = run(t, nil, nil, "run", script(t, good), "--headless", "-u", "1000000000000")
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "--users must be at most") {
		t.Errorf("-u 1e12: exit %d %s", r.code, r.stderr)
	}
}

func TestUsersThatCannotStart(t *testing.T) {
	t.Parallel()
	src := `import { User, task } from "jsload";
export class A extends User {
  constructor() { super(); if (__VU > 0) throw new Error("no config for user " + __VU); }
  @task t() {}
}`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "3", "-r", "100", "-t", "30s")
	if r.code != ExitOnError {
		t.Errorf("exit %d, want %d", r.code, ExitOnError)
	}
	if !strings.Contains(r.stderr, "a user could not start") || !strings.Contains(r.stderr, "every user has stopped") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if !regexp.MustCompile(`(?m)^3 +\S*main\.js:3:\d+: Error: no config for user \d *$`).MatchString(r.stdout) {
		t.Errorf("the failed starts are not counted as one exception group:\n%s", r.stdout)
	}
}

func TestTopLevelCodeSeesTheHost(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http } from "jsload";
const warm = http.get("/fast").body;
export const a = task(() => { if (warm !== "ok") throw new Error("no warm-up"); });
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-H", srv.URL, "-i", "2")
	if r.code != ExitOK {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stderr, r.stdout)
	}
}

func TestMissingHostStopsTheRun(t *testing.T) {
	t.Parallel()
	src := `import { task, http } from "jsload";
export const a = task(() => http.get("/x"));
`
	start := time.Now()
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "2", "-t", "30s")
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "stopping the test") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	if time.Since(start) > 20*time.Second {
		t.Errorf("the run went on without a host")
	}
}

func TestFinalRatesLeaveOutShutdown(t *testing.T) {
	t.Parallel()
	reg := stats.NewRegistry(1)
	start := time.Now().Add(-10 * time.Second)
	reg.SetStart(start)
	rec := reg.Recorder(0)
	for i := 0; i < 40; i++ {
		rec.Record(stats.Sample{Type: "GET", Name: "/", At: start.Add(time.Duration(i) * 100 * time.Millisecond)})
	}
	tr := &testRun{reg: reg}
	s := tr.finalSnapshot(1, start.Add(4*time.Second)) // stopped at 4 s; onStop ran until now
	if got := s.Elapsed(); got != 4*time.Second {
		t.Errorf("rates over %v, want the 4 s the run lasted", got)
	}
	if rps, _ := s.Total.RPS(s.Elapsed()); rps != 10 {
		t.Errorf("req/s = %v, want 10", rps)
	}
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http, check, constant } from "jsload";
export const options = {
  waitTime: constant(0.01),
  thresholds: {
    "GET /fast": ["p95 < 5000", "failRate < 0.01"],
    "checks": "rate > 0.99",
  },
};
export const a = task(() => { const r = http.get("/fast"); check(r, { "status is 200": (r) => r.status === 200, "body is ok": (r) => r.body === "ok" }); });
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "2", "-r", "100", "-i", "20")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stderr, r.stdout)
	}
	if row := tableRow(t, r.stdout, "GET", "/fast"); row[2] != "20" {
		t.Errorf("GET /fast row %v, want the 20 requests of -i 20", row)
	}
	for _, want := range []string{"Checks", "status is 200", "100.00%", "Thresholds", "PASS   GET /fast", "p95 < 5000"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// A failing threshold from the command line, and one on a statistic that never appears.
	r = run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "1", "-i", "5", "--threshold", "GET /fast: max < 0", "--threshold", "GET /never: p50 < 1")
	if r.code != ExitThreshold {
		t.Errorf("exit %d, want %d", r.code, ExitThreshold)
	}
	if !strings.Contains(r.stdout, "FAIL   GET /fast") || !strings.Contains(r.stdout, "no data") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	// Bad expressions are invalid input, before the start.
	r = run(t, nil, nil, "run", script(t, src), "--headless", "--threshold", "GET /fast: p95 <")
	if r.code != ExitInvalid || !strings.Contains(r.stderr, `"" is not a number`) {
		t.Errorf("bad threshold: exit %d %s", r.code, r.stderr)
	}
	// abortOnFail stops the test early.
	abort := `import { task, http } from "jsload";
export const options = { thresholds: { "GET /nope": [{ threshold: "failRate < 0.5", abortOnFail: true }] } };
export const a = task(() => http.get("/nope"));
`
	start := time.Now()
	r = run(t, nil, nil, "run", script(t, abort), "-H", srv.URL, "--headless", "-t", "30s")
	if r.code != ExitThreshold || !strings.Contains(r.stderr, "stopping the test (abortOnFail)") || time.Since(start) > 20*time.Second {
		t.Errorf("abortOnFail: exit %d\n%s", r.code, r.stderr)
	}
}

func TestTagsFromTheCommandLine(t *testing.T) {
	t.Parallel()
	src := `import { task, events } from "jsload";
export const a = task(() => events.fire({ type: "t", name: "a", responseTime: 1 }), { tags: ["x"] });
export const b = task(() => events.fire({ type: "t", name: "b", responseTime: 1 }), { tags: ["y"] });
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-i", "20", "-T", "x")
	if r.code != ExitOK || strings.Contains(r.stdout, "t        b") || !strings.Contains(r.stdout, "t        a") {
		t.Errorf("-T x: exit %d\n%s", r.code, r.stdout)
	}
	r = run(t, nil, nil, "run", script(t, src), "--headless", "-i", "20", "-E", "x")
	if strings.Contains(r.stdout, "t        a") || !strings.Contains(r.stdout, "t        b") {
		t.Errorf("-E x:\n%s", r.stdout)
	}
	r = run(t, nil, nil, "run", script(t, src), "--headless", "-T", "zzz")
	if r.code != ExitInvalid || !strings.Contains(r.stderr, "no task matches the tags") {
		t.Errorf("-T zzz: exit %d %s", r.code, r.stderr)
	}
}

func TestShapeAndStagesAreFollowed(t *testing.T) {
	t.Parallel()
	shape := `import { task, constant } from "jsload";
export const options = { waitTime: constant(0.05) };
export const a = task(() => {});
export function shape({ elapsed, users }) {
  if (elapsed < 1) return { users: 2, spawnRate: 100 };
  if (elapsed < 2) return { users: 5, spawnRate: 100 };
  if (elapsed < 3) return { users: 1, spawnRate: 100 };
  return null;
}
`
	r := run(t, nil, nil, "run", script(t, shape), "--headless", "--print-stats", "10s")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Shape: 2 users", `All users spawned: {"default": 5}`, `All users spawned: {"default": 1}`, "shape() returned null: shutting down"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	stages := `import { task, constant } from "jsload";
export const options = { waitTime: constant(0.05), stages: [{ duration: "1s", users: 3, spawnRate: 100 }, { duration: "1s", users: 1 }] };
export const a = task(() => {});
`
	r = run(t, nil, nil, "run", script(t, stages), "--headless")
	if r.code != ExitOK || !strings.Contains(r.stderr, `All users spawned: {"default": 3}`) || !strings.Contains(r.stderr, "Stage 2 of 2: 1 users") || !strings.Contains(r.stderr, "the last stage is over") {
		t.Errorf("stages: exit %d\n%s", r.code, r.stderr)
	}
	for _, c := range []struct{ src, want string }{
		{"export function shape() { throw new Error(\"bad shape\"); }\n", "main.js:3:33: Error: bad shape"},
		{"export function shape() { return { users: -1 }; }\n", "users must be a whole number"},
		{"export function shape() { return 5; }\n", "not an object"},
		{"export const options = { stages: [{ duration: \"x\", users: 1 }] };\n", "options.stages[0].duration"},
		{"export const options = { stages: [{ duration: \"1s\", rate: -5 }] };\n", "options.stages[0].rate must be 0 or more"},
	} {
		r := run(t, nil, nil, "run", script(t, "import { task } from \"jsload\";\nexport const a = task(() => {});\n"+c.src), "--headless", "-t", "2s")
		if r.code != ExitInvalid || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: exit %d %s", c.src, r.code, r.stderr)
		}
	}
	if r := run(t, nil, nil, "run", script(t, "import { task } from \"jsload\";\nexport const a = task(() => {});\n"), "--headless", "--arrival-rate", "-3"); r.code != ExitInvalid || !strings.Contains(r.stderr, "--arrival-rate must be") {
		t.Errorf("negative rate: exit %d %s", r.code, r.stderr)
	}
}

func TestResetStats(t *testing.T) {
	t.Parallel()
	src := `import { task, events, constant } from "jsload";
export const options = { waitTime: constant(0.01) };
export function onStart() { events.fire({ type: "t", name: "start", responseTime: 1 }); }
export const a = task(() => events.fire({ type: "t", name: "task", responseTime: 1 }));
`
	// Ctrl-C once the stats were reset and a later table shows tasks.
	sig := make(chan os.Signal, 1)
	p := start(t, nil, sig, "run", script(t, src), "--headless", "-u", "3", "-r", "3", "-t", "1h", "--reset-stats", "--print-stats", "100ms")
	p.waitStderr(t, "Resetting stats")
	from := len(p.out.String())
	p.waitTable(t, from, `(?s)# reqs.*# reqs.*\nt +task +[1-9]`)
	sig <- os.Interrupt
	r := p.wait(t)
	if r.code != ExitInterrupted {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	// Users start before spawning completes: their onStart samples are
	// gone after the reset (the last user's may race with it).
	if m := regexp.MustCompile(`(?m)^t +start +(\d+) `).FindStringSubmatch(r.stdout); m != nil && m[1] != "1" {
		t.Errorf("%s onStart samples survived the reset:\n%s", m[1], r.stdout)
	}
	tableRow(t, r.stdout, "t", "task")
}

func TestArrivalRateRun(t *testing.T) {
	t.Parallel()
	// The server notes when each request arrives.
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	src := `import { task, http } from "jsload";
export const a = task(() => http.get("/fast"));
`
	begin := time.Now()
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "--arrival-rate", "50", "-i", "100", "--max-vus", "20")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// Exactly the 100 iterations ran, each request counted once...
	mu.Lock()
	defer mu.Unlock()
	if row := tableRow(t, r.stdout, "GET", "/fast"); row[2] != "100" || len(arrivals) != 100 {
		t.Errorf("%s requests counted, %d answered; want 100 and 100", row[2], len(arrivals))
	}
	// ...and none before its time: at 50 per second the k-th start is due
	// k*20 ms after the scheduler's start, which is after begin.
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	for k, at := range arrivals {
		if due := begin.Add(time.Duration(k) * 20 * time.Millisecond); at.Before(due) {
			t.Errorf("request %d arrived %v after the start, before it was due (%v): faster than 50 per second", k, at.Sub(begin), due.Sub(begin))
			break
		}
	}
	if !strings.Contains(r.stderr, "Arrival rate 50 iterations per second") || !strings.Contains(r.stderr, "all 100 iterations done") || !strings.Contains(r.stdout, "from the scheduled start") {
		t.Errorf("stderr:\n%s\nstdout:\n%s", r.stderr, r.stdout)
	}
}

// A server that stalls once for a second: with one user, the iterations
// due during the stall start late. Their send-based response times are
// short, so only the percentiles from the scheduled start show the stall.
// With 60 iterations at 50/s and the 10th stalled, the 35 or more due in
// the stall's first 700 ms start at least 300 ms late (later on a slower
// machine; those dropped for being over a second late are replaced by
// later ones), so the 90th percentile from the scheduled start is at least
// 300 ms whatever the machine's speed.
func TestStallShowsFromTheScheduledStart(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 10 {
			time.Sleep(time.Second)
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	src := `import { task, http } from "jsload";
export const a = task(() => http.get("/"));
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "--arrival-rate", "50", "--max-vus", "1", "-u", "1", "-i", "60")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// The Aggregated rows of the two percentile tables: 50% 66% 75% 80% 90% ...
	var rows [][]string
	for _, line := range strings.Split(r.stdout, "\n") {
		f := strings.Fields(line)
		if len(f) == 13 && f[0] == "Aggregated" {
			rows = append(rows, f)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("want two percentile tables, got %d:\n%s", len(rows), r.stdout)
	}
	sent, _ := strconv.Atoi(rows[0][5])
	sched, _ := strconv.Atoi(rows[1][5])
	// The 1 s stall delays the starts after it: at least 35 of the 60 start
	// 300 ms or more late (computed from the rate), which the scheduled
	// percentiles show and the send-based ones do not, whatever the
	// machine's own speed adds to both.
	if sched < 300 || sched-sent < 250 {
		t.Errorf("90%%: %d ms from the send, %d ms from the scheduled start; want the stall only in the latter\n%s", sent, sched, r.stdout)
	}
}

func TestOutputFiles(t *testing.T) {
	t.Parallel()
	srv := target(t)
	dir := t.TempDir()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	promAddr := l.Addr().String()
	l.Close()
	src := `import { task, http, check, constant } from "jsload";
export const options = { waitTime: constant(0.05), thresholds: { "GET /fast": "p95 < 5000" } };
export const a = task(() => check(http.get("/fast"), { ok: (r) => r.ok }));
export const b = task(() => http.get("/missing"));
`
	sig := make(chan os.Signal, 1)
	scraped := make(chan string, 1)
	go func() {
		last := ""
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			// The endpoint may answer before the first request is
			// recorded (no rows yet): scrape until one is there.
			resp, err := http.Get("http://" + promAddr + "/metrics")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				last = string(b)
				if strings.Contains(last, "jsload_requests_total") {
					break
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		scraped <- last
	}()
	prefix := filepath.Join(dir, "run")
	jsonPath, htmlPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	// Ctrl-C once the history has two rows, however long they take.
	p := start(t, nil, sig, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "2", "-r", "100", "-t", "1h",
		"--csv", prefix, "--json", jsonPath, "--html", htmlPath, "--prometheus", promAddr)
	p.waitUntil(t, "two rows of history", func() bool {
		b, _ := os.ReadFile(prefix + "_stats_history.csv")
		return strings.Count(string(b), ",Aggregated,") >= 2
	})
	sig <- os.Interrupt
	r := p.wait(t)
	if r.code != ExitInterrupted {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	stats, err := os.ReadFile(prefix + "_stats.csv")
	if err != nil || !strings.HasPrefix(string(stats), "Type,Name,Request Count,Failure Count,Median Response Time") || !strings.Contains(string(stats), "GET,/fast,") {
		t.Errorf("stats.csv: %v\n%s", err, stats)
	}
	hist, _ := os.ReadFile(prefix + "_stats_history.csv")
	if n := strings.Count(string(hist), ",Aggregated,"); n < 2 {
		t.Errorf("history has %d Aggregated rows:\n%s", n, hist)
	}
	fails, _ := os.ReadFile(prefix + "_failures.csv")
	if !strings.Contains(string(fails), "GET,/missing,404 Client Error: Not Found,") {
		t.Errorf("failures.csv:\n%s", fails)
	}
	f, err := os.Open(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := report.ReadJSON(f)
	f.Close()
	if err != nil || len(sum.Stats) != 2 || len(sum.Checks) != 1 || len(sum.Thresholds) != 1 || !sum.Thresholds[0].Passed || len(sum.History) < 2 {
		t.Errorf("summary: %v %+v", err, sum)
	}
	html, _ := os.ReadFile(htmlPath)
	if !strings.Contains(string(html), "<svg") || !strings.Contains(string(html), "/missing") {
		t.Errorf("the HTML report lacks charts or rows")
	}
	if m := <-scraped; !strings.Contains(m, "jsload_requests_total") {
		t.Errorf("Prometheus scrape:\n%s", m)
	}
	// jsload report renders the same report from the JSON later.
	again := filepath.Join(dir, "again.html")
	if r := run(t, nil, nil, "report", jsonPath, "--html", again); r.code != 0 {
		t.Errorf("report: exit %d %s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(again); !strings.Contains(string(b), "/missing") {
		t.Errorf("jsload report wrote no report")
	}
	notSummary := filepath.Join(dir, "x.json")
	os.WriteFile(notSummary, []byte(`{"hello": 1}`), 0o644)
	if r := run(t, nil, nil, "report", notSummary, "--html", again); r.code == 0 || !strings.Contains(r.stderr, "not a jsload summary") {
		t.Errorf("report of a non-summary: exit %d %s", r.code, r.stderr)
	}
	// --json - puts the summary alone on standard output.
	r = run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-i", "3", "--json", "-")
	if _, err := report.ReadJSON(strings.NewReader(r.stdout)); err != nil {
		t.Errorf("--json -: stdout is not the summary: %v\n%s", err, r.stdout)
	}
}

// The web panel: autostart, Locust's REST API, stop, autoquit.
func TestWebPanel(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http, constant } from "jsload";
export const options = { waitTime: constant(0.05) };
export const a = task(() => http.get("/fast"));
`
	var out, errb syncBuffer
	sig := make(chan os.Signal, 2)
	done := make(chan int, 1)
	go func() {
		done <- Run(&State{Args: []string{"run", script(t, src), "-H", srv.URL, "--web-port", "0", "-u", "2", "-r", "100", "--csv-full-history"}, Stdout: &out, Stderr: &errb, Signals: sig, Getenv: func(string) string { return "" }})
	}()
	re := regexp.MustCompile(`Starting web interface at (http://\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			base = strings.TrimSuffix(m[1], "/")
			break
		}
	}
	if base == "" {
		t.Fatalf("no web interface:\n%s", errb.String())
	}
	post := func(path string, form url.Values) map[string]any {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	get := func(path string) map[string]any {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	if m := get("/stats/requests"); m["state"] != "ready" {
		t.Errorf("state before a test: %v", m["state"])
	}
	if m := post("/swarm", url.Values{"user_count": {"3"}, "spawn_rate": {"100"}}); m["success"] != true {
		t.Fatalf("swarm: %v", m)
	}
	var reqs map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		reqs = get("/stats/requests")
		if n, _ := reqs["user_count"].(float64); n == 3 && reqs["state"] == "running" {
			if rows, _ := reqs["stats"].([]any); len(rows) >= 2 {
				break
			}
		}
	}
	rows, _ := reqs["stats"].([]any)
	if len(rows) < 2 || rows[0].(map[string]any)["name"] != "/fast" || rows[len(rows)-1].(map[string]any)["name"] != "Aggregated" {
		t.Fatalf("stats/requests: %v", reqs)
	}
	// Locust's /tasks: the classes' shares of the running users.
	if m := get("/tasks"); m["per_class"] == nil || m["total"] == nil {
		t.Errorf("/tasks: %v", m)
	} else {
		n, share := 0.0, 0.0
		for _, v := range m["user_counts"].(map[string]any) {
			n += v.(float64)
		}
		for _, c := range m["per_class"].(map[string]any) {
			share += c.(map[string]any)["ratio"].(float64)
		}
		if n != 3 || share != 1 {
			t.Errorf("/tasks during a run of 3 users: %v users, shares adding up to %v: %v", n, share, m)
		}
	}
	// --csv-full-history: Locust's full history download has the test's
	// rows, per second.
	if resp, err := http.Get(base + "/stats/requests_full_history/csv"); err != nil {
		t.Error(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "Timestamp,User Count,Type,Name,") {
			t.Errorf("full history: %d %q", resp.StatusCode, b)
		}
	}
	// Locust's /logs: the panel's log lines, the test's start among them.
	if m := get("/logs"); !strings.Contains(fmt.Sprint(m["master"]), "INFO: Starting a test: 3 users") {
		t.Errorf("/logs: %v", m)
	}
	// Another host during the run is refused, saying why; the same host
	// is not a change.
	if m := post("/swarm", url.Values{"user_count": {"3"}, "spawn_rate": {"100"}, "host": {"http://127.0.0.1:1"}}); m["success"] != false ||
		!strings.Contains(fmt.Sprint(m["message"]), "the host cannot change during a run") {
		t.Errorf("swarm with another host during the run: %v", m)
	}
	if m := post("/swarm", url.Values{"user_count": {"3"}, "spawn_rate": {"100"}, "host": {srv.URL + "/"}}); m["success"] != true || m["host"] != srv.URL {
		t.Errorf("swarm with the same host during the run: %v", m)
	}
	// Edit: fewer users, live.
	post("/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"100"}})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if n, _ := get("/stats/requests")["user_count"].(float64); n == 1 {
			break
		}
	}
	if n, _ := get("/stats/requests")["user_count"].(float64); n != 1 {
		t.Errorf("edit to 1 user: %v users", n)
	}
	if m := post("/stop", nil); m["success"] != true {
		t.Errorf("stop: %v", m)
	}
	if s := get("/stats/requests")["state"]; s != "stopped" {
		t.Errorf("state after stop: %v", s)
	}
	sig <- os.Interrupt
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the panel did not quit on Ctrl-C")
	}

	// --autostart with a run time and --autoquit 0 runs one test and quits.
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--web-port", "0", "--autostart", "-u", "1", "-t", "1s", "--autoquit", "0")
	if r.code != ExitOK || !strings.Contains(r.stderr, "--autoquit: quitting") || !strings.Contains(r.stdout, "Response time percentiles") ||
		!strings.Contains(r.stderr, "Shutting down (exit code 0)") {
		t.Errorf("autostart/autoquit: exit %d\n%s", r.code, r.stderr)
	}
}

func TestClusterFlagErrors(t *testing.T) {
	t.Parallel()
	s := script(t, "import { task, http } from \"jsload\";\nexport const a = task(() => http.get(\"/\"));\n")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--worker", "-u", "5"}, "--users is the master's to set"},
		{[]string{"run", "--worker", "a.js", "b.js"}, "a worker takes at most one script"},
		{[]string{"run", s, "--master", "--worker"}, "exclude each other"},
		{[]string{"run", s, "--master", "--headless", "-i", "5"}, "--iterations does not work with --master"},
		{[]string{"run", s, "--master", "--run-id", "a.b"}, `run id "a.b"`},
		{[]string{"run", s, "--processes", "-2"}, "--processes must be"},
		{[]string{"run", s, "--master", "--expect-workers", "0"}, "--expect-workers must be 1 or more"},
		{[]string{"run", s, "--master", "--nats", "http://x"}, "--nats"},
		{[]string{"run", s, "--master", "--watch"}, "--watch restarts a local test"},
		{[]string{"run", "--worker", "--run-id", "*"}, `run id "*"`},
	} {
		r := run(t, nil, nil, c.args...)
		if r.code != ExitInvalid || !strings.Contains(r.stderr, c.want) {
			t.Errorf("jsload %v: exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, ExitInvalid, c.want)
		}
	}
}

// A worker with no master retries and says so; Ctrl-C ends it.
func TestWorkerWithoutMaster(t *testing.T) {
	t.Parallel()
	sig := make(chan os.Signal, 1)
	p := start(t, nil, sig, "run", "--worker", "--master-port", "1")
	p.waitStderr(t, "(attempt 2")
	sig <- os.Interrupt
	r := p.wait(t)
	if r.code != ExitOnError || !strings.Contains(r.stderr, "cannot reach the master at nats://127.0.0.1:1 (attempt 2") || !strings.Contains(r.stderr, "stopped before a master answered") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
}

// A master waiting for workers that never come gives up with a countdown.
func TestMasterGivesUpWaiting(t *testing.T) {
	t.Parallel()
	s := script(t, "import { task, http } from \"jsload\";\nexport const a = task(() => http.get(\"/\"));\n")
	r := run(t, nil, nil, "run", s, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0", "--headless",
		"--expect-workers", "2", "--expect-workers-max-wait", "2s", "-t", "1s")
	if r.code != ExitOnError || !strings.Contains(r.stderr, "0 of 2 workers connected; giving up in 1s") || !strings.Contains(r.stderr, "only 0 of 2 workers connected within 2s") {
		t.Errorf("exit %d:\n%s", r.code, r.stderr)
	}
}

func TestOutputFolderRemovedDuringTheRun(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The one iteration waits at the server until the folder is gone.
	entered, removed := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-removed
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	src := `import { task, http } from "jsload";
export const a = task(() => http.get("/wait"));
`
	jsonPath, htmlPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	p := start(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "1", "-i", "1", "--json", jsonPath, "--html", htmlPath)
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the iteration never reached the server")
	}
	// Until the end, the folder holds no report, only the files being prepared.
	if _, err := os.Stat(jsonPath); !os.IsNotExist(err) {
		t.Errorf("%s exists before the end: %v", jsonPath, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	close(removed)
	r := p.wait(t)
	if r.code != ExitOutput {
		t.Errorf("exit %d, want %d (an output file could not be written)\n%s", r.code, ExitOutput, r.stderr)
	}
	for _, want := range []string{jsonPath + " was not written: no such file or directory", htmlPath + " was not written: no such file or directory"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "report written") || strings.Contains(r.stderr, "summary written") {
		t.Errorf("a file that was not written is said to be:\n%s", r.stderr)
	}
}

func TestReportsAreWrittenWholeAtTheEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := `import { task, events } from "jsload";
export const a = task(() => events.fire({ type: "t", name: "x", responseTime: 1 }));
`
	jsonPath, htmlPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "1", "-i", "3", "--json", jsonPath, "--html", htmlPath)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"JSON summary written to " + jsonPath, "HTML report written to " + htmlPath} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the folder holds %v, want only the two reports (no temporary file left)", names)
	}
}

// A run an interrupt stops before its planned end exits with 128 plus the
// signal's number; in the web panel only the --autostart test does.
func TestInterruptExitCodes(t *testing.T) {
	t.Parallel()
	src := `import { task, events, constant } from "jsload";
export const options = { waitTime: constant(0.05) };
export const a = task(() => events.fire({ type: "t", name: "x", responseTime: 1 }));
`
	for _, c := range []struct {
		name string
		args []string
		wait string // on stderr before the signal
		sig  os.Signal
		want int
	}{
		{"SIGINT headless", []string{"--headless", "-u", "1", "-t", "1h"}, "All users spawned", os.Interrupt, 130},
		{"SIGTERM headless", []string{"--headless", "-u", "1", "-t", "1h"}, "All users spawned", syscall.SIGTERM, 143},
		{"SIGINT in the --autostart test", []string{"--web-port", "0", "--autostart", "-u", "1", "-t", "1h"}, "All users spawned", os.Interrupt, 130},
		{"SIGINT in the panel without a test", []string{"--web-port", "0"}, "Starting web interface", os.Interrupt, ExitOK},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sig := make(chan os.Signal, 1)
			p := start(t, nil, sig, append([]string{"run", script(t, src)}, c.args...)...)
			p.waitStderr(t, c.wait)
			sig <- c.sig
			if r := p.wait(t); r.code != c.want {
				t.Errorf("exit %d, want %d\n%s", r.code, c.want, r.stderr)
			}
		})
	}
	// Stopped in setup(): no user ran, and the exit code says the run was cut.
	entered := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	}))
	defer srv.Close()
	setup := `import { task, http } from "jsload";
export function setup() { http.get("/hang"); }
export const a = task(() => {});
`
	sig := make(chan os.Signal, 1)
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	p := start(t, nil, sig, "run", script(t, setup), "-H", srv.URL, "--headless", "-u", "1", "-t", "1h", "--json", jsonPath)
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("setup() never reached the server")
	}
	sig <- os.Interrupt
	if r := p.wait(t); r.code != ExitInterrupted || !strings.Contains(r.stderr, "stopped during setup()") {
		t.Errorf("stopped in setup(): exit %d\n%s", r.code, r.stderr)
	}
	// The files say so too.
	var sum struct {
		Meta struct {
			Stopped string `json:"stopped"`
		} `json:"meta"`
	}
	if b, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("the JSON summary: %v\n%s", err, b)
	}
	if want := "interrupted by SIGINT (Ctrl-C) before its planned end"; sum.Meta.Stopped != want {
		t.Errorf("meta.stopped = %q, want %q", sum.Meta.Stopped, want)
	}
}

// Ids in request names: a warning naming the busiest pattern, a cap past
// which names share one row, and --group-ids.
func TestRequestNamesAreBounded(t *testing.T) {
	t.Parallel()
	src := `import { task, events } from "jsload";
export const a = task(() => events.fire({ type: "GET", name: "/items/" + (__ITER * 10 + __VU), responseTime: 1 }));
`
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "2", "-i", "300", "--max-names", "150")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		`distinct request names so far, 150 of them GET /items/{id}`, `{ name: "/items/{id}" }`, `run with --group-ids`,
		`more than 150 request names (--max-names)`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !regexp.MustCompile(`(?m)^GET +\(other names, over --max-names\) +150 `).MatchString(r.stdout) {
		t.Errorf("no overflow row with the 150 requests past the limit:\n%s", r.stdout)
	}
	// --group-ids: one row.
	r = run(t, nil, nil, "run", script(t, src), "--headless", "-u", "2", "-i", "300", "--group-ids")
	if r.code != ExitOK || !regexp.MustCompile(`(?m)^GET +/items/\{id\} +300 `).MatchString(r.stdout) || strings.Contains(r.stderr, "distinct request names") {
		t.Errorf("--group-ids: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, nil, nil, "run", script(t, src), "--headless", "--max-names", "0"); r.code != ExitInvalid || !strings.Contains(r.stderr, "--max-names must be at least 1") {
		t.Errorf("--max-names 0: exit %d %s", r.code, r.stderr)
	}
}

// More users than open files: said before the test starts.
func TestTooManyUsersForTheOpenFileLimit(t *testing.T) {
	t.Parallel()
	now, _, ok := raiseOpenFileLimit()
	if !ok || now > 1<<24 {
		t.Skipf("open-file limit unknown or huge (%d)", now)
	}
	src := `import { task, events } from "jsload";
export const a = task(() => events.fire({ type: "t", name: "x", responseTime: 1 }));
`
	sig := make(chan os.Signal, 1)
	users := fmt.Sprint(now + 1)
	p := start(t, nil, sig, "run", script(t, src), "--headless", "-u", users, "-r", "1", "-t", "1h")
	p.waitStderr(t, "too many open files")
	sig <- os.Interrupt
	r := p.wait(t)
	if !strings.Contains(r.stderr, users+" users need at least") || strings.Index(r.stderr, "too many open files") > strings.Index(r.stderr, "Ramping to") {
		t.Errorf("the warning must come before the test starts:\n%s", r.stderr)
	}
}

// A server that accepts connections and never answers: the requests cut
// off at the stop are counted apart, and a run in which none completed
// says so and fails.
func TestSilentServerIsNotAHealthyRun(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	var conns []net.Conn
	arrived := make(chan struct{}, 100)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // read nothing, answer nothing
			mu.Unlock()
			arrived <- struct{}{}
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	src := `import { task, http } from "jsload";
export const a = task(() => http.get("/never"));
`
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "run.json")
	sig := make(chan os.Signal, 1)
	p := start(t, nil, sig, "run", script(t, src), "-H", "http://"+ln.Addr().String(), "--headless", "-u", "3", "-r", "100", "-t", "1h", "--json", jsonPath)
	for i := 0; i < 3; i++ {
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			t.Fatal("the users never connected")
		}
	}
	sig <- os.Interrupt
	r := p.wait(t)
	if r.code != ExitInterrupted {
		t.Errorf("exit %d, want %d (stopped by Ctrl-C)", r.code, ExitInterrupted)
	}
	if !strings.Contains(r.stderr, "no request completed; requests cut off by the stop (in flight when it came): 3") {
		t.Errorf("no message about the requests cut off:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "Requests cut off by the stop: 3") {
		t.Errorf("the summary lacks the cut-off count:\n%s", r.stdout)
	}
	b, _ := os.ReadFile(jsonPath)
	if !strings.Contains(string(b), `"cut_off_requests": 3`) {
		t.Errorf("the JSON lacks the cut-off count:\n%s", b)
	}
	// Ended by its run time, the run fails: nothing completed.
	r = run(t, nil, nil, "run", script(t, src), "-H", "http://"+ln.Addr().String(), "--headless", "-u", "1", "-t", "1s")
	if r.code != ExitOnError || !strings.Contains(r.stderr, "no request completed; requests cut off by the stop (in flight when it came): 1") {
		t.Errorf("run time over with nothing completed: exit %d, want %d\n%s", r.code, ExitOnError, r.stderr)
	}
}

// The web panel runs a script's shape() with thresholds: POST /swarm needs
// no users, the users follow the shape, the thresholds are checked live,
// a change during the run is refused, and the shape's end stops the test;
// a failed threshold gives exit code 4 when the panel quits.
func TestWebPanelRunsShapeWithThresholds(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http, constant } from "jsload";
export const options = { waitTime: constant(0.05), thresholds: { "GET /fast": "p95 < 5000", "Aggregated": "max < 0" } };
export const a = task(() => http.get("/fast"));
export function shape({ elapsed }) {
  if (elapsed < 3) return { users: 3, spawnRate: 100 };
  return null;
}
`
	pn := startPanel(t, "run", script(t, src), "-H", srv.URL, "--web-port", "0")
	get, post, sig, done, errb := pn.get, pn.swarm, pn.sig, pn.done, pn.errb
	info := get("/api/info")
	if plan, _ := info["plan"].(map[string]any); plan["kind"] != "shape" || len(info["thresholds"].([]any)) != 2 {
		t.Fatalf("/api/info: %v", info)
	}
	if m := post(url.Values{}); m["success"] != true || m["message"] != "Swarming started using the script's shape()" {
		t.Fatalf("swarm: %v", m)
	}
	var reqs map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		reqs = get("/stats/requests")
		if n, _ := reqs["user_count"].(float64); n == 3 && reqs["thresholds"] != nil {
			break
		}
	}
	if n, _ := reqs["user_count"].(float64); n != 3 {
		t.Fatalf("the shape's 3 users do not run: %v", reqs)
	}
	if m := post(url.Values{"user_count": {"10"}, "spawn_rate": {"10"}}); m["success"] != false || !strings.Contains(fmt.Sprint(m["message"]), "cannot be changed while it runs") {
		t.Errorf("a change of a shape's test: %v", m)
	}
	// The shape returns null after 3 s: the test stops by itself.
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if reqs = get("/stats/requests"); reqs["state"] == "stopped" {
			break
		}
	}
	if reqs["state"] != "stopped" {
		t.Fatalf("the test did not stop at the shape's end: %v", reqs["state"])
	}
	got := map[string]bool{}
	for _, th := range reqs["thresholds"].([]any) {
		m := th.(map[string]any)
		got[m["name"].(string)+": "+m["expr"].(string)] = m["passed"].(bool)
	}
	if !got["GET /fast: p95 < 5000"] || got["Aggregated: max < 0"] || len(got) != 2 {
		t.Errorf("thresholds after the run: %v", reqs["thresholds"])
	}
	sig <- os.Interrupt
	select {
	case code := <-done:
		if code != ExitThreshold {
			t.Errorf("exit %d, want %d (a threshold failed)\n%s", code, ExitThreshold, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the panel did not quit on Ctrl-C")
	}
	for _, want := range []string{"Starting a test with the script's shape()", "shape() returned null: shutting down", `threshold "max < 0" on Aggregated failed`} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, errb.String())
		}
	}
}

// panelRun is a jsload run serving the web panel, for tests.
type panelRun struct {
	base  string
	sig   chan os.Signal
	done  chan int
	errb  *syncBuffer
	get   func(path string) map[string]any
	swarm func(form url.Values) map[string]any
}

// startPanel runs jsload with args and waits for its web panel.
func startPanel(t *testing.T, args ...string) *panelRun {
	t.Helper()
	var out syncBuffer
	p := &panelRun{sig: make(chan os.Signal, 2), done: make(chan int, 1), errb: &syncBuffer{}}
	go func() {
		p.done <- Run(&State{Args: args, Stdout: &out, Stderr: p.errb, Signals: p.sig, Getenv: func(string) string { return "" }})
	}()
	re := regexp.MustCompile(`Starting web interface at (http://\S+)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(p.errb.String()); m != nil {
			p.base = strings.TrimSuffix(m[1], "/")
			break
		}
	}
	if p.base == "" {
		t.Fatalf("no web interface:\n%s", p.errb.String())
	}
	decode := func(resp *http.Response, err error) map[string]any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return m
	}
	p.get = func(path string) map[string]any { return decode(http.Get(p.base + path)) }
	p.swarm = func(form url.Values) map[string]any { return decode(http.PostForm(p.base+"/swarm", form)) }
	return p
}

// An arrival rate with stages of rate, started and stopped from the panel.
// TestWebPanelParameters: the start form offers the script's parameters,
// a test started with new values runs with them, a bad value is refused
// naming the parameter, and a running test's values cannot change.
func TestWebPanelParameters(t *testing.T) {
	t.Parallel()
	sizes := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sizes <- r.URL.Query().Get("size"):
		default:
		}
	}))
	t.Cleanup(srv.Close)
	src := `import { task, http, params, constant } from "jsload";
export const options = { waitTime: constant(0.2) };
export const parameters = { pageSize: { type: "int", default: 20, help: "items per page" } };
export const a = task(() => http.get("/?size=" + params.pageSize, { name: "/" }));
`
	pn := startPanel(t, "run", script(t, src), "-H", srv.URL, "--web-port", "0")
	ps, _ := pn.get("/api/info")["parameters"].([]any)
	if len(ps) != 1 || fmt.Sprint(ps[0]) != "map[choices:[] flag:page-size help:items per page name:pageSize type:int value:20]" {
		t.Fatalf("parameters in /api/info: %v", ps)
	}
	if m := pn.swarm(url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "pageSize": {"many"}}); m["success"] != false || m["message"] != `parameter pageSize wants a whole number, got "many"` {
		t.Fatalf("a bad value: %v", m)
	}
	if m := pn.swarm(url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "pageSize": {"7"}}); m["success"] != true {
		t.Fatalf("swarm: %v", m)
	}
	select {
	case got := <-sizes:
		if got != "7" {
			t.Errorf("the test ran with size=%s, want 7 from the form", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the server")
	}
	if m := pn.swarm(url.Values{"user_count": {"2"}, "spawn_rate": {"1"}, "pageSize": {"8"}}); m["success"] != false || !strings.Contains(fmt.Sprint(m["message"]), "pageSize cannot change during a run") {
		t.Errorf("changing a parameter during the run: %v", m)
	}
	ps, _ = pn.get("/api/info")["parameters"].([]any)
	if v := ps[0].(map[string]any)["value"]; v != "7" {
		t.Errorf("the form's value after the start: %v, want the test's 7", v)
	}
	resp, err := http.Get(pn.base + "/stop")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	pn.sig <- os.Interrupt
	select {
	case <-pn.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the panel did not quit on Ctrl-C")
	}
}

func TestWebPanelRunsArrivalRate(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http } from "jsload";
export const options = { stages: [{ duration: "1m", rate: 20 }, { duration: "1m", rate: 5 }] };
export const a = task(() => http.get("/fast"));
`
	pn := startPanel(t, "run", script(t, src), "-H", srv.URL, "--web-port", "0", "--max-vus", "4")
	plan, _ := pn.get("/api/info")["plan"].(map[string]any)
	if plan["kind"] != "arrival" || plan["title"] != "options.stages of rate: 2 stages, 2m0s in all" ||
		fmt.Sprint(plan["steps"]) != "[1. 20 iterations per second for 1m0s 2. 5 iterations per second for 1m0s users: 1 to start with, at most 4]" {
		t.Errorf("plan %v", plan)
	}
	if m := pn.swarm(url.Values{}); m["success"] != true || m["message"] != "Swarming started using the script's arrival rate" {
		t.Fatalf("swarm: %v", m)
	}
	var reqs map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		reqs = pn.get("/stats/requests")
		if rows, _ := reqs["stats"].([]any); len(rows) == 2 && reqs["state"] == "running" {
			break
		}
	}
	if rows, _ := reqs["stats"].([]any); len(rows) != 2 || reqs["state"] != "running" {
		t.Fatalf("the arrival rate does not run: %v", reqs)
	}
	resp, err := http.Get(pn.base + "/stop")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s := pn.get("/stats/requests")["state"]; s != "stopped" {
		t.Errorf("state after stop: %v", s)
	}
	pn.sig <- os.Interrupt
	select {
	case code := <-pn.done:
		if code != ExitOK {
			t.Errorf("exit %d\n%s", code, pn.errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the panel did not quit on Ctrl-C")
	}
	if !strings.Contains(pn.errb.String(), "Starting a test with the script's arrival rate") {
		t.Errorf("log:\n%s", pn.errb.String())
	}
}

// A run cut short says so in its files, not only in its exit code; one
// that ran to its end says nothing of the kind.
func TestStoppedRunSaysSoInTheFiles(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http } from "jsload";
export const t = task(() => http.get("/fast"));
`
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html")
	sig := make(chan os.Signal, 1)
	p := start(t, nil, sig, "run", script(t, src), "--host", srv.URL, "--headless", "-t", "1h", "--json", jsonPath, "--html", htmlPath, "--print-stats", "100ms")
	p.waitTable(t, 0, `(?m)^GET +/fast +[1-9]`)
	sig <- os.Interrupt
	if r := p.wait(t); r.code != ExitInterrupted {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var sum struct {
		Meta struct {
			Stopped string `json:"stopped"`
		} `json:"meta"`
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if want := "interrupted by SIGINT (Ctrl-C) before its planned end"; sum.Meta.Stopped != want {
		t.Errorf("meta.stopped = %q, want %q", sum.Meta.Stopped, want)
	}
	html, err := os.ReadFile(htmlPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Stopped before its planned end", "interrupted by SIGINT"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}

	// An iteration budget is the planned end: nothing to say.
	res := run(t, nil, nil, "run", script(t, src), "--host", srv.URL, "--headless", "-i", "3", "--json", jsonPath)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	b, _ = os.ReadFile(jsonPath)
	if strings.Contains(string(b), `"stopped"`) {
		t.Errorf("a run that reached its end says it stopped: %s", b)
	}
}
