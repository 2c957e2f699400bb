package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// lostSwarm is a master's swarm that lost workers.
type lostSwarm struct {
	fakeSwarm
	lost []stats.LostWorker
}

func (s *lostSwarm) LostWorkers() []stats.LostWorker { return s.lost }

// finishedRun is a run with one request (failed or not) on sw, finished.
func finishedRun(t *testing.T, sw swarm, failed bool, ts []threshold.Threshold) (int, *stats.Snapshot) {
	t.Helper()
	reg := stats.NewRegistry(1)
	start := time.Now()
	reg.SetStart(start)
	s := stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, At: start}
	if failed {
		s.Err = "boom"
	}
	reg.Recorder(0).Record(s)
	r := &testRun{cfg: &config.Run{ExitCodeOnError: ExitOnError}, log: &logger{w: &bytes.Buffer{}}, reg: reg, hist: report.NewHistory(), sw: sw}
	code := r.finish(1, time.Now(), ts, false)
	return code, r.finalSnapshot(1, time.Now())
}

func TestExitCodesOfAFinishedRun(t *testing.T) {
	lost := &lostSwarm{lost: []stats.LostWorker{{ID: "w1", Host: "h", Why: "missing"}}}
	failing, err := threshold.ParseFlag("GET /: max < 0")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		sw     swarm
		failed bool
		ts     []threshold.Threshold
		want   int
	}{
		{"clean", &fakeSwarm{}, false, nil, ExitOK},
		{"a failed request", &fakeSwarm{}, true, nil, ExitOnError},
		{"a lost worker wins over a failure", lost, true, nil, ExitWorkerLost},
		{"a failed threshold wins over a lost worker", lost, false, []threshold.Threshold{failing}, ExitThreshold},
	} {
		code, final := finishedRun(t, c.sw, c.failed, c.ts)
		if code != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, code, c.want)
		}
		if _, isLost := c.sw.(*lostSwarm); isLost && len(final.LostWorkers) != 1 {
			t.Errorf("%s: the final snapshot lists %d lost workers", c.name, len(final.LostWorkers))
		}
	}
}
