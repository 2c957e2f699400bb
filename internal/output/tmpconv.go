package output

import (
	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/threshold"
)

// TEMPORARY until the cleanup branch lands (one threshold result type).
func consoleRows(rs []threshold.Result) []console.ThresholdRow {
	out := make([]console.ThresholdRow, len(rs))
	for i, r := range rs {
		out[i] = console.ThresholdRow{Name: r.Name, Expr: r.Expr, Value: r.Measured, Passed: r.Passed, NoData: r.NoData}
	}
	return out
}

func reportRows(rs []threshold.Result) []report.ThresholdResult {
	out := make([]report.ThresholdResult, len(rs))
	for i, r := range rs {
		out[i] = report.ThresholdResult{Name: r.Name, Expr: r.Expr, Value: r.Measured, Passed: r.Passed, NoData: r.NoData}
	}
	return out
}
