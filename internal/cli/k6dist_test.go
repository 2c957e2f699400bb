package cli

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/js"
)

// k6DistScript gives each of its 4 vus a budget of 5 iterations (after
// which a vu sleeps until the test stops, an iteration that never
// completes), so that the totals do not depend on timing: 20 iterations,
// 40 requests (20 named okreq), hits 40, sizes 1..5 four times each.
// The thresholds check those totals on the master, exactly; one fails.
const k6DistScript = `// expect: exit 4
// expect: threshold PASS iterations count==20 20
// expect: threshold PASS http_reqs count==40 40
// expect: threshold PASS http_reqs{name:okreq} count==20 20
// expect: threshold PASS hits count==40 40
// expect: threshold PASS sizes avg==3 3
// expect: threshold PASS sizes med==3 3
// expect: threshold PASS sizes "p(90)==5" 5
// expect: threshold PASS sizes min==1 1
// expect: threshold PASS http_req_duration "p(95)<10000"
// expect: threshold PASS http_req_duration{name:okreq} max<10000
// expect: threshold FAIL http_req_duration{name:okreq} min<0
// expect: row GET okreq 20 0
// expect: served /ok 20
// expect: served /echo 20
import http from "k6/http";
import { sleep } from "k6";
import { Counter, Trend } from "k6/metrics";

const hits = new Counter("hits");
const sizes = new Trend("sizes");
let done = 0;

export const options = {
  vus: 4,
  duration: "2s",
  thresholds: {
    iterations: ["count==20"],
    http_reqs: ["count==40"],
    "http_reqs{name:okreq}": ["count==20"],
    hits: ["count==40"],
    sizes: ["avg==3", "med==3", "p(90)==5", "min==1"],
    http_req_duration: ["p(95)<10000"],
    "http_req_duration{name:okreq}": ["max<10000", "min<0"],
  },
};

export default function () {
  if (done >= 5) {
    sleep(60);
    return;
  }
  done++;
  http.get(` + "`${__ENV.BASE_URL}/ok`" + `, { tags: { name: "okreq" } });
  http.get(` + "`${__ENV.BASE_URL}/echo`" + `);
  hits.add(2);
  sizes.add(done);
}
`

// A k6 script's custom metrics and thresholds (iterations, a Counter, a
// Trend, http_req_duration unfiltered and filtered) in a distributed run:
// a master and two workers, the totals exact across the workers.
func TestK6MetricsAndThresholdsDistributed(t *testing.T) {
	t.Parallel()
	exp, err := parseK6Expectations(k6DistScript)
	if err != nil {
		t.Fatal(err)
	}
	srv, served := k6SuiteServer(t)
	s := script(t, k6DistScript)
	master := start(t, nil, nil, "run", s, "--headless", "-e", "BASE_URL="+srv.URL, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0",
		"--expect-workers", "2")
	master.waitStderr(t, "Master listening for workers on ")
	port := regexp.MustCompile(`Master listening for workers on 127\.0\.0\.1:(\d+)`).FindStringSubmatch(master.errb.String())
	if port == nil {
		t.Fatalf("no port in:\n%s", master.errb.String())
	}
	workers := []*running{
		start(t, nil, nil, "run", "--worker", "--master-host", "127.0.0.1", "--master-port", port[1]),
		start(t, nil, nil, "run", "--worker", "--master-host", "127.0.0.1", "--master-port", port[1]),
	}
	mr := master.wait(t)
	exp.check(t, mr, served)
	for i, w := range workers {
		if wr := w.wait(t); wr.code != ExitOK {
			t.Errorf("worker %d exit %d\n%s", i, wr.code, wr.stderr)
		}
	}
	if strings.Contains(mr.stderr, "not carried") {
		t.Errorf("refused:\n%s", mr.stderr)
	}
}

// A worker's job records the sub-metrics the master's thresholds judge,
// read from the same script: the same Wants as the master's.
func TestWorkerWantsTheMastersSubMetrics(t *testing.T) {
	t.Parallel()
	p := script(t, k6DistScript)
	s, err := js.Load(context.Background(), p, js.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	runFlags(fs, &cfg)
	st := &State{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	if err := resolveConfig(fs, st, s, &cfg); err != nil {
		t.Fatal(err)
	}
	ts, err := readThresholds(&cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	master := k6Wants(ts)
	b, err := json.Marshal(clusterJob{Bundle: s.Bundle(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	j, err := prepareJob(context.Background(), st, b, nil, newLogger(io.Discard, "info"), &atomic.Bool{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	worker, err := k6WorkerWants(j.script)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(master, worker) || len(master.HTTP) != 2 || master.Metrics["iterations"] == nil {
		t.Errorf("worker wants %+v, master %+v", worker, master)
	}
	rec := j.Registry().Recorder(0)
	if !rec.WantsIterations() || !rec.WantsTags("http") {
		t.Errorf("the worker's registry records iterations %v, HTTP sub-metrics %v", rec.WantsIterations(), rec.WantsTags("http"))
	}
	// A script without k6 thresholds wants nothing.
	plain, err := js.Load(context.Background(), script(t, "import http from \"k6/http\";\nexport default function () {}\n"), js.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w, err := k6WorkerWants(plain); err != nil || len(w.HTTP)+len(w.Metrics) != 0 {
		t.Errorf("plain script wants %+v, %v", w, err)
	}
}
