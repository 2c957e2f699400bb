package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fatih/color"
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

// printChecks lists every check with its pass rate.
func printChecks(w io.Writer, s *stats.Snapshot) {
	if len(s.Checks) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("Checks\n")
	fmt.Fprintf(&b, "%-60s %10s %10s %9s\n", "Name", "passes", "fails", "rate")
	for _, c := range s.Checks {
		fmt.Fprintf(&b, "%-60s %10d %10d %8.2f%%\n", c.Name, c.Passes, c.Fails, 100*c.Rate())
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

// printThresholds lists every threshold with its measured value and
// whether it passed.
func printThresholds(w io.Writer, rs []threshold.Result, colored bool) {
	var b strings.Builder
	b.WriteString("Thresholds\n")
	green, red := fmt.Sprint, fmt.Sprint
	if colored {
		green, red = color.New(color.FgGreen).Sprint, color.New(color.FgRed).Sprint
	}
	for _, r := range rs {
		mark := green("PASS")
		if !r.Passed {
			mark = red("FAIL")
		}
		fmt.Fprintf(&b, "%s  %-40s %-20s measured %s\n", mark, r.Name, r.Expr, formatMeasured(r))
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

func classList(cs []string) string {
	if len(cs) == 0 {
		return ""
	}
	return " (classes " + strings.Join(cs, ", ") + ")"
}

// printScheduled prints, for arrival-rate tests, the response-time
// percentiles counted from each iteration's scheduled start, which show
// the delays a late start hides (coordinated omission), and the dropped
// starts.
func printScheduled(w io.Writer, s *stats.Snapshot) {
	any := false
	for _, r := range s.Rows {
		any = any || r.Sched != nil
	}
	if !any && s.Dropped == 0 {
		return
	}
	var b strings.Builder
	if any {
		b.WriteString("Response time percentiles from the scheduled start (arrival rate: includes the time an iteration waited to start)\n")
		fmt.Fprintf(&b, "%-8s %-80s", "Type", "Name")
		for _, q := range stats.Percentiles {
			fmt.Fprintf(&b, " %6s", strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", q*100), "0"), ".0")+"%")
		}
		fmt.Fprintf(&b, " %6s\n", "# reqs")
		total := &stats.Row{Hist: &stats.Histogram{}}
		for _, r := range s.Rows {
			if r.Sched == nil {
				continue
			}
			schedRow(&b, r.Type, r.Name, r.Sched)
			if total.Sched == nil {
				total.Sched = &stats.Histogram{}
			}
			total.Sched.Merge(r.Sched)
		}
		schedRow(&b, "", "Aggregated", total.Sched)
		b.WriteString("\n")
	}
	if s.Dropped > 0 {
		fmt.Fprintf(&b, "Dropped iterations: %d (no user was free to start them within the allowed delay; raise --max-vus)\n\n", s.Dropped)
	}
	io.WriteString(w, b.String())
}

func schedRow(b *strings.Builder, typ, name string, h *stats.Histogram) {
	fmt.Fprintf(b, "%-8s %-80s", typ, name)
	for _, q := range stats.Percentiles {
		fmt.Fprintf(b, " %6d", (h.ValueAtQuantile(q)+time.Millisecond/2)/time.Millisecond)
	}
	fmt.Fprintf(b, " %6d\n", h.Count())
}
