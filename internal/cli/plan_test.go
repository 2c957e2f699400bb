package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

// fakeSwarm records how a plan drives it.
type fakeSwarm struct {
	calls []string
	iters int64
	done  chan struct{}
}

func (f *fakeSwarm) Start(users int, rate float64) { f.StartClasses(users, rate, nil) }
func (f *fakeSwarm) StartClasses(users int, rate float64, names []string) {
	f.calls = append(f.calls, fmt.Sprintf("users %d at %g %v", users, rate, names))
}
func (f *fakeSwarm) StartArrival(rate float64, initial, maxVUs int) {
	f.calls = append(f.calls, fmt.Sprintf("arrival %g from %d to %d", rate, initial, maxVUs))
}
func (f *fakeSwarm) SetRate(rate float64)     { f.calls = append(f.calls, fmt.Sprintf("rate %g", rate)) }
func (f *fakeSwarm) Users() int               { return 0 }
func (f *fakeSwarm) State() engine.State      { return engine.Running }
func (f *fakeSwarm) Done() <-chan struct{}    { return f.done }
func (f *fakeSwarm) Stop(context.Context)     {}
func (f *fakeSwarm) IterationsStarted() int64 { return f.iters }

var _ swarm = (*fakeSwarm)(nil)

// drive begins p and adjusts it at each of the given seconds, returning
// the swarm's calls, the second the plan ended at (-1 if it did not) and
// what it logged.
func drive(t *testing.T, p loadPlan, log *bytes.Buffer, secs ...float64) ([]string, float64) {
	t.Helper()
	sw := &fakeSwarm{}
	if ended, err := p.begin(context.Background(), sw, nil); ended || err != nil {
		t.Fatalf("begin: ended %v, %v", ended, err)
	}
	for _, s := range secs {
		ended, err := p.adjust(context.Background(), time.Duration(s*float64(time.Second)), sw)
		if err != nil {
			t.Fatalf("adjust at %gs: %v", s, err)
		}
		if ended {
			return sw.calls, s
		}
	}
	return sw.calls, -1
}

func TestStagesPlanFollowsTheStagesAndEndsAfterTheLast(t *testing.T) {
	var out bytes.Buffer
	p := &stagesPlan{log: &logger{w: &out}, stageTracker: stageTracker{stages: []stage{
		{Duration: 2 * time.Second, Users: 5, SpawnRate: 5},
		{Duration: 3 * time.Second, Users: 10, SpawnRate: 1},
		{Duration: time.Second, Users: 0, SpawnRate: 10},
	}}}
	calls, end := drive(t, p, &out, 1, 1.999, 2, 3, 4.999, 5, 5.5, 6, 7)
	want := []string{"users 5 at 5 []", "users 10 at 1 []", "users 0 at 10 []"}
	if strings.Join(calls, "; ") != strings.Join(want, "; ") || end != 6 {
		t.Errorf("calls %q, ended at %gs; want %q, ended at 6s", calls, end, want)
	}
	for _, line := range []string{"Stage 1 of 3: 5 users", "Stage 2 of 3: 10 users", "Stage 3 of 3: 0 users", "the last stage is over"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("log lacks %q:\n%s", line, out.String())
		}
	}
}

func TestArrivalPlanChangesTheRateAtEachStage(t *testing.T) {
	var out bytes.Buffer
	p := &arrivalPlan{initial: 2, maxVUs: 50, log: &logger{w: &out}, stageTracker: stageTracker{stages: []stage{
		{Duration: time.Second, Rate: 10},
		{Duration: time.Second, Rate: 20},
	}}}
	calls, end := drive(t, p, &out, 0.5, 1, 1.5, 2)
	want := []string{"arrival 10 from 2 to 50", "rate 20"}
	if strings.Join(calls, "; ") != strings.Join(want, "; ") || end != 2 {
		t.Errorf("calls %q, ended at %gs; want %q, ended at 2s", calls, end, want)
	}
	// Without stages, a constant rate runs until the test is stopped.
	p = &arrivalPlan{rate: 5, initial: 1, maxVUs: 100, log: &logger{w: &out}}
	calls, end = drive(t, p, &out, 1, 100, 1e6)
	if strings.Join(calls, "; ") != "arrival 5 from 1 to 100" || end != -1 {
		t.Errorf("constant rate: calls %q, ended at %gs", calls, end)
	}
}

func TestIterationsPlanSaysWhyTheUsersStopped(t *testing.T) {
	var out bytes.Buffer
	log := &logger{w: &out}
	p := &iterationsPlan{loadPlan: &usersPlan{users: 3, rate: 1, log: log}, n: 10, log: log}
	sw := &fakeSwarm{iters: 4}
	if got := p.finished(sw); got != "every user has stopped, shutting down" {
		t.Errorf("with 4 of 10 iterations started: %q", got)
	}
	sw.iters = 10
	if got := p.finished(sw); got != "all 10 iterations done, shutting down" {
		t.Errorf("with all 10 started: %q", got)
	}
	if _, err := p.begin(context.Background(), sw, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Iteration limit set to 10 tasks") || strings.Join(sw.calls, "") != "users 3 at 1 []" {
		t.Errorf("begin: calls %q, log:\n%s", sw.calls, out.String())
	}
}

func TestOpenFileLimitWarning(t *testing.T) {
	if w := fdWarning(1000, 20000, 20000); w != "" {
		t.Errorf("1,000 users fit in 20,000 files: %q", w)
	}
	if w := fdWarning(0, 10, 10); w != "" {
		t.Errorf("an unknown number of users: %q", w)
	}
	w := fdWarning(50000, 20000, 1024)
	for _, want := range []string{"50000 users need at least 50100 open files", "may open 20000 (jsload raised it from 1024 to the hard limit)", "too many open files", "ulimit -Hn"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning lacks %q: %s", want, w)
		}
	}
	if w := fdWarning(19950, 20000, 20000); w == "" || strings.Contains(w, "raised") {
		t.Errorf("19,950 users and the process's own files do not fit in 20,000: %q", w)
	}
	peaks := map[string]loadPlan{
		"users":   &usersPlan{users: 7},
		"stages":  &stagesPlan{stageTracker: stageTracker{stages: []stage{{Users: 3}, {Users: 9}, {Users: 1}}}},
		"arrival": &arrivalPlan{maxVUs: 40},
		"budget":  &iterationsPlan{loadPlan: &usersPlan{users: 5}},
	}
	for name, want := range map[string]int{"users": 7, "stages": 9, "arrival": 40, "budget": 5} {
		if got := peaks[name].peakUsers(); got != want {
			t.Errorf("%s plan: peak %d users, want %d", name, got, want)
		}
	}
}
