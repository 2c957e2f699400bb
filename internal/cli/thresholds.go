package cli

import (
	"fmt"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// abortingThresholds evaluates the abortOnFail thresholds whose statistic
// has data in s, and returns those that failed. A threshold with a
// delayAbortEval is not evaluated before the run is that old.
func abortingThresholds(ts []threshold.Threshold, s *stats.Snapshot) []threshold.Result {
	var abort []threshold.Threshold
	for _, t := range ts {
		if t.AbortOnFail && s.Elapsed() >= t.DelayAbortEval {
			abort = append(abort, t)
		}
	}
	if len(abort) == 0 {
		return nil
	}
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
	switch u := threshold.UnitOf(r.Threshold); u {
	case "ratio":
		return fmt.Sprintf("%.4f", r.Measured)
	case "":
		return fmt.Sprintf("%.0f", r.Measured)
	default:
		return fmt.Sprintf("%.2f%s", r.Measured, u)
	}
}
