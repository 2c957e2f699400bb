package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// abortingThresholds evaluates the abortOnFail thresholds whose statistic
// has data, and returns those that failed.
func abortingThresholds(ts []threshold.Threshold, reg *stats.Registry) []threshold.Result {
	var abort []threshold.Threshold
	for _, t := range ts {
		if t.AbortOnFail {
			abort = append(abort, t)
		}
	}
	if len(abort) == 0 {
		return nil
	}
	s := reg.Snapshot(time.Now())
	var failed []threshold.Result
	for _, r := range threshold.EvaluateAll(abort, s) {
		if !r.Passed && !r.NoData {
			failed = append(failed, r)
		}
	}
	return failed
}

func formatMeasured(r threshold.Result) string {
	if r.NoData {
		return "no data: no such statistic in this run"
	}
	switch u := threshold.Unit(r.Metric); u {
	case "ratio":
		return fmt.Sprintf("%.4f", r.Measured)
	case "":
		return fmt.Sprintf("%.0f", r.Measured)
	default:
		return fmt.Sprintf("%.2f%s", r.Measured, u)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd()) && os.Getenv("NO_COLOR") == ""
}

func classList(cs []string) string {
	if len(cs) == 0 {
		return ""
	}
	return " (classes " + strings.Join(cs, ", ") + ")"
}

// statusLine is the live status: elapsed (of the run time), users, current
// req/s and failures.
func statusLine(s *stats.Snapshot, elapsed, runTime time.Duration) string {
	el := elapsed.Truncate(time.Second).String()
	if runTime > 0 {
		el += " of " + runTime.String()
	}
	rps, fps := s.Total.CurrentRPS(s.Time, s.Start)
	return fmt.Sprintf("%s  |  %d users  |  %.1f req/s  |  %d failures (%.1f/s)  |  %d requests", el, s.Users, rps, s.Total.Failures, fps, s.Total.Requests)
}
