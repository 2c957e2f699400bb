package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jsload/jsload/internal/output/report"
)

// Locust's examples/semaphore_wait.py, ported: users wait in onStart until
// every user is spawned, so no task runs before the ramp-up ends. The
// server sees the process runtime's spawningComplete request before any
// user's request.
func TestSemaphoreWaitPort(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.Path)
		mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	src := `import { HttpUser, TaskSet, task, between, events, http, waitForSpawningComplete } from "jsload";
events.spawningComplete.addListener((e) => { http.get("/spawned?users=" + e.userCount, { name: "/spawned" }); });
class UserTasks extends TaskSet {
  onStart() { waitForSpawningComplete(); }
  @task index() { this.client.get("/"); }
}
export class WebsiteUser extends HttpUser {
  waitTime = between(0.01, 0.02);
  static tasks = [UserTasks];
}
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "5", "-r", "10", "-t", "1500ms")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hits) < 2 || hits[0] != "/spawned" {
		t.Fatalf("the first request is not the spawning complete listener's: %v", hits[:min(len(hits), 5)])
	}
	for _, h := range hits[1:] {
		if h != "/" {
			t.Fatalf("unexpected request %s", h)
		}
	}
}

// Locust's examples/events.py, ported: a request listener sums the
// response lengths of the successful requests. In jsload each user has
// its own runtime, so each user reports its sum when it stops as a custom
// sample; the statistics add them up (across workers too), which is what
// the example's report_to_master/worker_report pair does.
func TestEventsExamplePort(t *testing.T) {
	t.Parallel()
	srv := target(t)
	dir := t.TempDir()
	src := `import { HttpUser, TaskSet, task, constant, events } from "jsload";
let contentLength = 0;
events.request.addListener(({ requestType, responseLength, exception }) => {
  if (requestType === "GET" && !exception) contentLength += responseLength;
});
class MyTaskSet extends TaskSet {
  @task(2) index() { this.client.get("/fast"); }
  @task(1) stats() { this.client.get("/missing"); }
}
export class WebsiteUser extends HttpUser {
  waitTime = constant(0.01);
  static tasks = [MyTaskSet];
  onStop() { events.fire({ type: "content-length", name: "total", responseTime: 0, responseLength: contentLength }); }
}
`
	jsonPath := filepath.Join(dir, "run.json")
	// A stop interrupts a task at once by default, possibly between the
	// request's row and its listener; --stop-timeout lets tasks finish,
	// so that every recorded request reached the listener too.
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "3", "-r", "100", "-t", "1s", "-s", "10s", "--json", jsonPath)
	if r.code != ExitOnError { // /missing fails
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var sum report.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	total := map[string]float64{}
	reqs := map[string]int64{}
	for _, s := range sum.Stats {
		total[s.Type+" "+s.Name] = math.Round(s.AvgSize * float64(s.Requests)) // the report rounds averages
		reqs[s.Type+" "+s.Name] = s.Requests
	}
	if reqs["GET /fast"] == 0 || reqs["GET /missing"] == 0 || reqs["content-length total"] != 3 {
		t.Fatalf("rows: %v", reqs)
	}
	if got, want := total["content-length total"], total["GET /fast"]; got != want {
		t.Errorf("the listeners summed %v bytes; the successful requests had %v", got, want)
	}
}

// Test start and stop run in every process that takes part, the master
// and each worker, in a runtime that is not a user's; the workers learn
// their index and count, and spawning complete reaches them from the
// master; quitting runs as each process leaves.
func TestLifecycleInACluster(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http, events, run, waitForSpawningComplete, constant } from "jsload";
export const options = { waitTime: constant(0.05) };
events.testStart.addListener(() => console.log("testStart", __VU, "worker", run.workerIndex, "of", run.workerCount));
events.spawningComplete.addListener((e) => console.log("spawningComplete", e.userCount));
events.testStop.addListener(() => console.log("testStop", __VU));
events.quitting.addListener(() => console.log("quitting"));
export function onStart() { waitForSpawningComplete(); }
export const a = task(() => http.get("/fast"));
`
	s := script(t, src)
	master := start(t, nil, nil, "run", s, "-H", srv.URL, "--headless", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0",
		"--expect-workers", "2", "-u", "4", "-r", "100", "-t", "4s")
	master.waitStderr(t, "Master listening for workers on ")
	port := regexp.MustCompile(`Master listening for workers on 127\.0\.0\.1:(\d+)`).FindStringSubmatch(master.errb.String())
	if port == nil {
		t.Fatalf("no port in:\n%s", master.errb.String())
	}
	w1 := start(t, nil, nil, "run", "--worker", "--master-host", "127.0.0.1", "--master-port", port[1])
	w2 := start(t, nil, nil, "run", "--worker", "--master-host", "127.0.0.1", "--master-port", port[1])
	mr := master.wait(t)
	if mr.code != ExitOK {
		t.Fatalf("master exit %d\n%s", mr.code, mr.stderr)
	}
	for _, want := range []string{"[VU 0] testStart 0 worker -1 of 2", "[VU 0] spawningComplete 4", "[VU 0] testStop 0", "[VU 0] quitting"} {
		if strings.Count(mr.stderr, want) != 1 {
			t.Errorf("master: %q %d times:\n%s", want, strings.Count(mr.stderr, want), mr.stderr)
		}
	}
	indexes := map[string]bool{}
	for i, w := range []*running{w1, w2} {
		wr := w.wait(t)
		if wr.code != ExitOK {
			t.Fatalf("worker %d exit %d\n%s", i, wr.code, wr.stderr)
		}
		m := regexp.MustCompile(`\[VU 0\] testStart 0 worker (\d) of 2`).FindAllStringSubmatch(wr.stderr, -1)
		if len(m) != 1 {
			t.Fatalf("worker %d: testStart %d times:\n%s", i, len(m), wr.stderr)
		}
		indexes[m[0][1]] = true
		for _, want := range []string{"[VU 0] spawningComplete 4", "[VU 0] testStop 0", "[VU 0] quitting"} {
			if strings.Count(wr.stderr, want) != 1 {
				t.Errorf("worker %d: %q %d times:\n%s", i, want, strings.Count(wr.stderr, want), wr.stderr)
			}
		}
		if strings.Index(wr.stderr, "testStart") > strings.Index(wr.stderr, "spawningComplete") || strings.Index(wr.stderr, "spawningComplete") > strings.Index(wr.stderr, "testStop") {
			t.Errorf("worker %d: events out of order:\n%s", i, wr.stderr)
		}
	}
	if !indexes["0"] || !indexes["1"] {
		t.Errorf("worker indexes: %v, want 0 and 1", indexes)
	}
	if row := tableRow(t, mr.stdout, "GET", "/fast"); row[2] == "0" {
		t.Errorf("no requests: %v", row)
	}
}

// A listener that throws is reported like a task's exception and fails the
// run; the test still runs.
func TestLifecycleListenerErrors(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http, events } from "jsload";
events.testStart.addListener(() => { throw new Error("no database"); });
export const a = task(() => http.get("/fast"));
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "1", "-t", "300ms")
	if r.code != ExitOnError || !strings.Contains(r.stderr, "Error: no database") || !strings.Contains(r.stdout, "no database") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// The web panel's tests fire testStart and testStop each; quitting fires
// once, as the panel quits.
func TestLifecycleInThePanel(t *testing.T) {
	t.Parallel()
	srv := target(t)
	src := `import { task, http, events, run } from "jsload";
events.testStart.addListener(() => console.log("testStart users", run.users));
events.testStop.addListener(() => console.log("testStop state", run.state));
events.quitting.addListener(() => console.log("quitting"));
export const a = task(() => http.get("/fast"));
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--web-port", "0", "--autostart", "-u", "2", "-r", "100", "-t", "500ms", "--autoquit", "0")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"[VU 0] testStart users 0", "[VU 0] testStop state stopped", "[VU 0] quitting"} {
		if strings.Count(r.stderr, want) != 1 {
			t.Errorf("%q %d times:\n%s", want, strings.Count(r.stderr, want), r.stderr)
		}
	}
	if strings.Index(r.stderr, "testStart") > strings.Index(r.stderr, "testStop") || strings.Index(r.stderr, "testStop") > strings.Index(r.stderr, "quitting") {
		t.Errorf("out of order:\n%s", r.stderr)
	}
}
