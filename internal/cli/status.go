package cli

import (
	"fmt"
	"time"

	"github.com/jsload/jsload/internal/output"
	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/stats"
)

// statusOutput is the live status line on a terminal: one line between
// the periodic tables that every tick rewrites.
type statusOutput struct {
	output.Base
	log     *logger
	runTime time.Duration
}

var _ output.Output = (*statusOutput)(nil)

// Tick shows the status of s.
func (o *statusOutput) Tick(s *stats.Snapshot) error {
	o.log.setStatus(statusLine(s, s.Time.Sub(s.Start), o.runTime))
	return nil
}

// Final clears the line.
func (o *statusOutput) Final(*output.End) error {
	o.log.setStatus("")
	return nil
}

// statusLine is the live status: elapsed (of the run time), users, current
// req/s and failures. Its rates are the Aggregated row's of the periodic
// table taken from the same snapshot, with the same formula and format
// (console.RateCells: two decimals, "-" under a second).
func statusLine(s *stats.Snapshot, elapsed, runTime time.Duration) string {
	el := elapsed.Truncate(time.Second).String()
	if runTime > 0 {
		el += " of " + runTime.String()
	}
	rps, fps := console.RateCells(s.Total.CurrentRate(s.Time, s.Start))
	return fmt.Sprintf("%s  |  %d users  |  %s req/s  |  %d failures (%s/s)  |  %d requests", el, s.Users, rps, s.Total.Failures, fps, s.Total.Requests)
}
