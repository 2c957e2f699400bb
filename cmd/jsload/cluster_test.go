package main

// Process-level tests of distributed runs: the real jsload binary as a
// master and three workers, on loopback, against a server that counts what
// it receives.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// jsloadBinary builds jsload once for the tests of this package.
func jsloadBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs jsload processes")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jsload-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "jsload")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// byPath is a target server that counts the requests it answers by path.
type byPath struct {
	mu sync.Mutex
	n  map[string]int64
}

func (b *byPath) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.n[r.URL.Path]++
	b.mu.Unlock()
	w.Write([]byte("ok\n"))
}

func (b *byPath) counts() map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.n)
}

// counting is a target server that counts the requests it answers.
func counting(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte("ok\n"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeScript(t *testing.T) string {
	dir := t.TempDir()
	p := filepath.Join(dir, "cluster.js")
	src := `import { HttpUser, task, constant } from "jsload";
export class Reader extends HttpUser {
  static weight = 3;
  waitTime = constant(0.02);
  @task read() { this.client.get("/read"); }
}
export class Writer extends HttpUser {
  static weight = 1;
  waitTime = constant(0.02);
  @task write() { this.client.post("/write", { body: "x" }); }
}
`
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// proc is a running jsload process with its output.
type proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, args...)
}

// startInEnv starts jsload in dir ("": the test's) with env added to
// its environment.
func startInEnv(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(jsloadBinary(t), args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// startEnv starts jsload with env added to its environment.
func startEnv(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	return startInEnv(t, "", env, args...)
}

// wait waits for the process to exit (at most d) and returns its exit code.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not exit within %v; output:\n%s", p.cmd.Args, d, p.output())
	}
	if p.err == nil {
		return 0
	}
	var ee *exec.ExitError
	if ok := asExit(p.err, &ee); ok {
		return ee.ExitCode()
	}
	t.Fatalf("%v: %v", p.cmd.Args, p.err)
	return -1
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

func waitFor(t *testing.T, p *proc, re *regexp.Regexp, d time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(p.output()); m != nil {
			return m
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %q in the output within %v:\n%s", re, d, p.output())
	return nil
}

type summary struct {
	Aggregated struct {
		Requests int64 `json:"requests"`
		Failures int64 `json:"failures"`
	} `json:"aggregated"`
	Stats []struct {
		Name     string `json:"name"`
		Requests int64  `json:"requests"`
	} `json:"stats"`
	LostWorkers []struct {
		ID  string `json:"id"`
		Why string `json:"why"`
	} `json:"lost_workers"`
	CutOff int64 `json:"cut_off_requests"`
}

func readSummary(t *testing.T, path string) summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

var perWorker = regexp.MustCompile(`Users per worker: (.*)`)

// startCluster starts three worker processes and a master for script on a
// free port (run id runID), the master with the given extra arguments.
// Worker i has WORKER_TAG=i in its environment.
func startCluster(t *testing.T, script, runID string, extra ...string) (master *proc, workers []*proc) {
	t.Helper()
	port := strconv.Itoa(freePort(t))
	for i := 0; i < 3; i++ {
		workers = append(workers, startEnv(t, []string{fmt.Sprintf("WORKER_TAG=%d", i)}, "run", "--worker", "--master-port", port, "--run-id", runID))
	}
	args := append([]string{"run", script, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--run-id", runID,
		"--expect-workers", "3"}, extra...)
	return start(t, args...), workers
}

// A master and three worker processes: the users are split evenly, the
// master counts exactly the requests the server answered, and the stop
// reaches every worker, which then exits.
func TestClusterProcesses(t *testing.T) {
	t.Parallel()
	srv, served := counting(t)
	script := writeScript(t)
	out := filepath.Join(t.TempDir(), "summary.json")
	master, workers := startCluster(t, script, "ptest", "--expect-workers-max-wait", "60s", "--headless", "-u", "12", "-r", "100", "-t", "6s",
		"--stop-timeout", "10s", "--host", srv.URL, "--json", out, "--only-summary")
	m := waitFor(t, master, perWorker, 60*time.Second)
	shares := strings.Split(m[1], ", ")
	if len(shares) != 3 {
		t.Fatalf("users per worker %q, want 3 workers", m[1])
	}
	for _, s := range shares {
		if !strings.HasSuffix(s, " 4") {
			t.Errorf("users per worker %q: want 4 each (12 over 3)", m[1])
		}
	}
	if !strings.Contains(master.output(), `All users spawned: {"Reader": 9, "Writer": 3} (12 total users)`) {
		t.Errorf("master did not report the class split:\n%s", master.output())
	}
	if code := master.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("master exit code %d:\n%s", code, master.output())
	}
	for i, w := range workers {
		if code := w.wait(t, 15*time.Second); code != 0 {
			t.Errorf("worker %d exit code %d:\n%s", i, code, w.output())
		}
		if !strings.Contains(w.output(), "the master said quit") {
			t.Errorf("worker %d never heard quit:\n%s", i, w.output())
		}
	}
	s := readSummary(t, out)
	if s.Aggregated.Requests == 0 || s.Aggregated.Requests != served.Load() {
		t.Errorf("master counted %d requests, the server answered %d", s.Aggregated.Requests, served.Load())
	}
	if s.Aggregated.Failures != 0 {
		t.Errorf("%d failures", s.Aggregated.Failures)
	}
}

// A worker killed with SIGKILL mid-run is noticed, its users go to the
// others, and the test ends normally with the statistics the killed worker
// had sent. Each worker's requests have paths of their own (/w0/..,
// /w1/.., /w2/..), so that the server's counts and the master's can be
// compared worker by worker.
func TestClusterWorkerKilled(t *testing.T) {
	t.Parallel()
	counts := &byPath{n: map[string]int64{}}
	srv := httptest.NewServer(counts)
	t.Cleanup(srv.Close)
	script := filepath.Join(t.TempDir(), "cluster.js")
	src := `import { HttpUser, task, constant } from "jsload";
export class Reader extends HttpUser {
  static weight = 3;
  waitTime = constant(0.02);
  @task read() { this.client.get("/w" + __ENV.WORKER_TAG + "/read"); }
}
export class Writer extends HttpUser {
  static weight = 1;
  waitTime = constant(0.02);
  @task write() { this.client.post("/w" + __ENV.WORKER_TAG + "/write", { body: "x" }); }
}
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "summary.json")
	// No run time: the test ends with Ctrl-C once the survivors have
	// taken over, however long that takes.
	master, workers := startCluster(t, script, "ktest", "--headless", "-u", "12", "-r", "100", "--print-stats", "200ms",
		"--stop-timeout", "10s", "--host", srv.URL, "--json", out)
	waitFor(t, master, perWorker, 60*time.Second)
	// The kill comes once the master has counted requests of worker 0.
	waitFor(t, master, regexp.MustCompile(`(?m)^GET +/w0/read +[1-9]`), 30*time.Second)
	if err := workers[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, master, regexp.MustCompile(`is missing \(no report for 4s\): its \d+ users go to the other workers`), 30*time.Second)
	// The survivors take over: a new split over two workers.
	waitFor(t, master, regexp.MustCompile(`Users per worker: \S+ 6, \S+ 6`), 30*time.Second)
	master.cmd.Process.Signal(os.Interrupt)
	if code := master.wait(t, 60*time.Second); code != 130 { // stopped by Ctrl-C before its end
		t.Fatalf("master exit code %d, want 130:\n%s", code, master.output())
	}
	for _, w := range workers[1:] {
		if code := w.wait(t, 15*time.Second); code != 0 {
			t.Errorf("worker exit code %d:\n%s", code, w.output())
		}
	}
	s := readSummary(t, out)
	counted := map[string]int64{}
	var sum int64
	for _, st := range s.Stats {
		counted[st.Name] = st.Requests
		sum += st.Requests
	}
	served := counts.counts()
	if sum != s.Aggregated.Requests {
		t.Errorf("the rows add up to %d requests, the aggregate says %d", sum, s.Aggregated.Requests)
	}
	// The survivors stopped gracefully: the master counted every request
	// they made, exactly.
	for _, name := range []string{"/w1/read", "/w1/write", "/w2/read", "/w2/write"} {
		if counted[name] != served[name] || served[name] == 0 {
			t.Errorf("%s: master counted %d requests, the server answered %d", name, counted[name], served[name])
		}
	}
	// What the killed worker had not sent is lost, what it had sent is
	// in (the master had shown some before the kill), nothing twice.
	got0, served0 := counted["/w0/read"]+counted["/w0/write"], served["/w0/read"]+served["/w0/write"]
	if counted["/w0/read"] == 0 || got0 > served0 {
		t.Errorf("killed worker: master counted %d requests (%d reads), the server answered %d", got0, counted["/w0/read"], served0)
	}
	for name := range counted {
		if _, ok := served[name]; !ok {
			t.Errorf("the master counted requests to %s, which the server never saw", name)
		}
	}
	// The loss is said, in the summary and on the console.
	if len(s.LostWorkers) != 1 || s.LostWorkers[0].Why != "missing" {
		t.Errorf("lost workers in the summary: %+v, want the killed one", s.LostWorkers)
	}
	if !strings.Contains(master.output(), "Lost workers: 1 (their statistics count up to their last report") {
		t.Errorf("the console does not say a worker was lost:\n%s", master.output())
	}
}

// A worker given a script that differs from the master's is refused with a
// message naming both.
func TestClusterWorkerScriptMismatch(t *testing.T) {
	t.Parallel()
	srv, _ := counting(t)
	script := writeScript(t)
	other := filepath.Join(t.TempDir(), "other.js")
	os.WriteFile(other, []byte("import { task, http } from \"jsload\";\nexport const a = task(() => http.get(\"/\"));\n"), 0o644)
	port := strconv.Itoa(freePort(t))
	master := start(t, "run", script, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
		"--expect-workers", "1", "--expect-workers-max-wait", "20s", "--headless", "-u", "1", "-t", "2s", "--host", srv.URL)
	w := start(t, "run", other, "--worker", "--master-port", port)
	if code := w.wait(t, 30*time.Second); code != 2 {
		t.Errorf("worker exit code %d, want 2:\n%s", code, w.output())
	}
	if !strings.Contains(w.output(), "differs from the master's") {
		t.Errorf("no mismatch message:\n%s", w.output())
	}
	// The master says why the worker left; then Ctrl-C ends it.
	waitFor(t, master, regexp.MustCompile(`cannot run the test`), 30*time.Second)
	master.cmd.Process.Signal(os.Interrupt)
	master.wait(t, 30*time.Second)
}

// The workers a master started with --processes quit when the master is
// killed: no orphans keep loading the target.
func TestProcessesDoNotOutliveTheMaster(t *testing.T) {
	t.Parallel()
	srv, _ := counting(t)
	script := writeScript(t)
	port := strconv.Itoa(freePort(t))
	master := start(t, "run", script, "--processes", "1", "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
		"--headless", "-u", "2", "-t", "60s", "--host", srv.URL)
	m := waitFor(t, master, regexp.MustCompile(`\(pid (\d+), \d+ cores\) is ready`), 60*time.Second)
	pid, _ := strconv.Atoi(m[1])
	waitFor(t, master, perWorker, 30*time.Second)
	master.cmd.Process.Signal(syscall.SIGKILL)
	master.wait(t, 10*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("worker %d still runs 15 s after its master was killed:\n%s", pid, master.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(master.output(), "is gone: quitting") {
		t.Errorf("the worker did not say why it quit:\n%s", master.output())
	}
}
