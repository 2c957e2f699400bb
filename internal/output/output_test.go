package output_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/output"
	"github.com/jsload/jsload/internal/stats"
)

// recorder is an Output that records the calls it gets and fails as told.
type recorder struct {
	calls   []string
	tickErr error
}

func (r *recorder) Start(time.Time) error      { r.calls = append(r.calls, "start"); return nil }
func (r *recorder) Tick(*stats.Snapshot) error { r.calls = append(r.calls, "tick"); return r.tickErr }
func (r *recorder) Final(*output.End) error    { r.calls = append(r.calls, "final"); return nil }
func (r *recorder) Close() error               { r.calls = append(r.calls, "close"); return nil }
func (r *recorder) String() string             { return strings.Join(r.calls, " ") }

func TestSetCallsEveryOutputInOrderAndReportsAnErrorOnce(t *testing.T) {
	good, bad := &recorder{}, &recorder{tickErr: errors.New("disk full")}
	var reported []string
	s := output.Set{OnError: func(name string, err error) { reported = append(reported, name+": "+err.Error()) }}
	s.Add("good", good)
	s.Add("bad", bad)
	s.Start(time.Now())
	s.Tick(&stats.Snapshot{})
	s.Tick(&stats.Snapshot{})
	ok := s.Final(&output.End{Snapshot: &stats.Snapshot{}})
	s.Close() // after Final: nothing more
	if ok {
		t.Error("Final reported success after a failed tick")
	}
	if want := "start tick tick final close"; good.String() != want || bad.String() != want {
		t.Errorf("calls: good %q, bad %q, want %q", good, bad, want)
	}
	if len(reported) != 1 || reported[0] != "bad: disk full" {
		t.Errorf("reported %q, want the bad output's error once", reported)
	}
}

func TestConsolePrintsOnTheTickAtOrAfterEachInterval(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	cleared := 0
	c := &output.Console{W: &b, Every: 2 * time.Second, BeforePrint: func() { cleared++ }}
	if err := c.Start(start); err != nil {
		t.Fatal(err)
	}
	var printedAt []int
	for sec := 1; sec <= 7; sec++ {
		before := b.Len()
		snap := &stats.Snapshot{Start: start, Time: start.Add(time.Duration(sec)*time.Second + 3*time.Millisecond)}
		if err := c.Tick(snap); err != nil {
			t.Fatal(err)
		}
		if b.Len() > before {
			printedAt = append(printedAt, sec)
		}
	}
	if want := []int{2, 4, 6}; len(printedAt) != len(want) || printedAt[0] != 2 || printedAt[1] != 4 || printedAt[2] != 6 {
		t.Errorf("printed at ticks %v, want %v", printedAt, want)
	}
	if cleared != 3 {
		t.Errorf("the status line was cleared %d times, want before each of the 3 tables", cleared)
	}
	b.Reset()
	c = &output.Console{W: &b, Every: 2 * time.Second, OnlySummary: true}
	_ = c.Start(start)
	_ = c.Tick(&stats.Snapshot{Start: start, Time: start.Add(5 * time.Second)})
	if b.Len() != 0 {
		t.Errorf("--only-summary printed a running table:\n%s", b.String())
	}
}

func TestEndBuildsTheSummaryOnce(t *testing.T) {
	e := &output.End{Snapshot: &stats.Snapshot{}}
	if e.Summary() != e.Summary() {
		t.Error("the summary was built twice")
	}
}
