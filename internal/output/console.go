package output

import (
	"io"
	"time"

	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/stats"
)

// Console prints Locust's tables: the request statistics every Every while
// the test runs (unless OnlySummary), and at the end the summary, the
// scheduled-start percentiles, dropped iterations, checks and thresholds.
type Console struct {
	Base
	W           io.Writer
	Every       time.Duration // how often the running table is printed; rounded to the tick
	OnlySummary bool          // print only the final tables
	Color       bool          // failure cells in red (a terminal)
	// ThresholdColor shows PASS and FAIL in colour.
	ThresholdColor bool
	// BeforePrint, if set, is called before each table is printed (to
	// clear a live status line).
	BeforePrint func()

	next time.Time
}

var _ Output = (*Console)(nil)

// Start counts the printing interval from at.
func (c *Console) Start(at time.Time) error {
	c.next = at.Add(c.Every)
	return nil
}

// Tick prints the running table when its interval is up.
func (c *Console) Tick(s *stats.Snapshot) error {
	if c.OnlySummary || c.Every <= 0 || s.Time.Before(c.next) {
		return nil
	}
	for !s.Time.Before(c.next) {
		c.next = c.next.Add(c.Every)
	}
	c.clear()
	c.printer().PrintStats(c.W, s, true)
	return nil
}

func (c *Console) printer() console.Printer { return console.Printer{Color: c.Color} }

func (c *Console) clear() {
	if c.BeforePrint != nil {
		c.BeforePrint()
	}
}

// Final prints the final tables.
func (c *Console) Final(e *End) error {
	c.clear()
	p := c.printer()
	p.PrintSummary(c.W, e.Snapshot)
	p.PrintScheduled(c.W, e.Snapshot)
	p.PrintDropped(c.W, e.Snapshot)
	p.PrintCutOff(c.W, e.Snapshot)
	p.PrintLostWorkers(c.W, e.Snapshot)
	p.PrintChecks(c.W, e.Snapshot)
	p.PrintMetrics(c.W, e.Snapshot)
	if len(e.Thresholds) > 0 {
		p.PrintThresholds(c.W, e.Thresholds, c.ThresholdColor)
	}
	return nil
}
