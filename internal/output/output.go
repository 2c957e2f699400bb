// Package output is what a test run writes its results to: one Output
// interface, implemented once per destination (the console tables, the CSV
// files, the JSON and HTML reports, the Prometheus endpoint), each in a file
// of its own that wraps the formatting package under internal/output.
//
// A run opens its outputs before the test starts (so that a bad path fails
// at once), calls Start when the load starts, Tick with the one snapshot it
// takes per tick, Final once with the end of the run, and Close. A new
// output is one new file here and the flag that asks for it.
package output

import (
	"time"

	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// Output is one destination of a run's results. Its methods are called from
// one goroutine, in this order: Start at most once, Tick any number of
// times, Final at most once, Close once (also after a run that ended before
// Final). An error is reported by the run once per output; the test goes on.
type Output interface {
	// Start is called when the load starts, with the time ticks count
	// from.
	Start(at time.Time) error
	// Tick receives the statistics of the running test, taken once per
	// tick (every second) and shared with every output: it must not be
	// modified, and may be kept.
	Tick(s *stats.Snapshot) error
	// Final receives the end of the run.
	Final(e *End) error
	// Close releases the output's files and listeners.
	Close() error
}

// End is the end of a run, as outputs receive it.
type End struct {
	// Meta describes the run; End and Users are filled from Snapshot.
	Meta report.Meta
	// Snapshot is the final statistics, with the run's users and its end
	// time.
	Snapshot *stats.Snapshot
	// Thresholds are the results of the run's thresholds, nil when it had
	// none or ended before they were evaluated.
	Thresholds []threshold.Result
	// History is the run's per-second history (nil for none).
	History *report.History

	summary *report.Summary
}

// Summary is the run's JSON summary (report.Build), built on first use and
// shared by the outputs that need it.
func (e *End) Summary() *report.Summary {
	if e.summary == nil {
		e.summary = report.Build(e.Meta, e.Snapshot, e.History, e.Thresholds)
	}
	return e.summary
}

// Base is an Output that does nothing: outputs embed it and implement the
// methods they need.
type Base struct{}

// Start does nothing.
func (Base) Start(time.Time) error { return nil }

// Tick does nothing.
func (Base) Tick(*stats.Snapshot) error { return nil }

// Final does nothing.
func (Base) Final(*End) error { return nil }

// Close does nothing.
func (Base) Close() error { return nil }

// Set is a run's outputs, in the order they were added (the order they
// print and write in). A failing output's first error is reported through
// OnError; later errors of the same output are not.
type Set struct {
	// OnError reports an output's first error; name is the one given to
	// Add. It may be nil.
	OnError func(name string, err error)

	names  []string
	outs   []Output
	failed map[string]bool
	closed bool
}

// Add appends o, known as name in error reports.
func (s *Set) Add(name string, o Output) {
	s.names = append(s.names, name)
	s.outs = append(s.outs, o)
}

// Len is the number of outputs.
func (s *Set) Len() int { return len(s.outs) }

func (s *Set) report(i int, err error) {
	if err == nil {
		return
	}
	name := s.names[i]
	if s.failed == nil {
		s.failed = map[string]bool{}
	}
	if s.failed[name] {
		return
	}
	s.failed[name] = true
	if s.OnError != nil {
		s.OnError(name, err)
	}
}

// Start starts every output.
func (s *Set) Start(at time.Time) {
	for i, o := range s.outs {
		s.report(i, o.Start(at))
	}
}

// Tick hands snap to every output.
func (s *Set) Tick(snap *stats.Snapshot) {
	for i, o := range s.outs {
		s.report(i, o.Tick(snap))
	}
}

// Final hands the end of the run to every output, then closes them all. It
// reports whether every output was written without an error, during the
// run or now.
func (s *Set) Final(e *End) bool {
	for i, o := range s.outs {
		s.report(i, o.Final(e))
	}
	s.Close()
	return len(s.failed) == 0
}

// Close closes every output; later calls do nothing.
func (s *Set) Close() {
	if s.closed {
		return
	}
	s.closed = true
	for i, o := range s.outs {
		s.report(i, o.Close())
	}
}
