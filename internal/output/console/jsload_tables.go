package console

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/fatih/color"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// Titles of jsload's own tables, in Locust's style.
const (
	checksTitle     = "Checks"
	thresholdsTitle = "Thresholds"
	scheduledTitle  = "Response time percentiles from the scheduled start (arrival rate: includes time waiting to start)"
)

// PrintChecks prints every check of s with its passes, fails and pass
// rate, or nothing when the script made no check.
func (p Printer) PrintChecks(w io.Writer, s *stats.Snapshot) {
	if s == nil || len(s.Checks) == 0 {
		return
	}
	nw := typeWidth + 1 + p.nameWidth(w) // as wide as type and name together
	var b bytes.Buffer
	b.WriteString(checksTitle + "\n")
	fmt.Fprintf(&b, "%-*s %10s %10s %10s\n", nw, "Name", "# passes", "# fails", "pass rate")
	sep := separator(nw, 10, 10, 10)
	b.WriteString(sep)
	for _, c := range s.Checks {
		fmt.Fprintf(&b, "%-*s %10d %10d %10s\n", nw, oneLine(c.Name), c.Passes, c.Fails, rate(c))
	}
	b.WriteString(sep)
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

func rate(c stats.Check) string {
	if c.Passes+c.Fails == 0 {
		return "-"
	}
	return strconv.FormatFloat(c.Rate()*100, 'f', 2, 64) + "%"
}

// PrintThresholds prints every threshold with its statistic's name, its
// condition as written, its measured value ("no data" when NoData is set)
// and its outcome, or nothing when there are none. With colored, PASS is
// green and FAIL red (ANSI escapes, whatever w is); otherwise the table is
// plain text.
func (p Printer) PrintThresholds(w io.Writer, th []threshold.Result, colored bool) {
	if len(th) == 0 {
		return
	}
	pass, fail := "PASS", "FAIL"
	if colored {
		green, red := color.New(color.FgGreen, color.Bold), color.New(color.FgRed, color.Bold)
		green.EnableColor() // whatever fatih/color guessed about stdout
		red.EnableColor()
		pass, fail = green.Sprint(pass), red.Sprint(fail)
	}
	nameWidth := 40
	for _, t := range th {
		nameWidth = max(nameWidth, len(oneLine(t.Name)))
	}
	var b bytes.Buffer
	b.WriteString(thresholdsTitle + "\n")
	fmt.Fprintf(&b, "%-6s %-*s %-30s %12s\n", "Result", nameWidth, "Name", "Condition", "Value")
	sep := separator(6, nameWidth, 30, 12)
	b.WriteString(sep)
	for _, t := range th {
		mark := pass
		if !t.Passed {
			mark = fail
		}
		// The mark is padded by hand: escapes must not count as width.
		fmt.Fprintf(&b, "%s%s %-*s %-30s %12s\n", mark, "  ", nameWidth, oneLine(t.Name), oneLine(t.Expr), thresholdValue(t))
	}
	b.WriteString(sep)
	var failed int
	for _, t := range th {
		if !t.Passed {
			failed++
		}
	}
	noun := "thresholds"
	if len(th) == 1 {
		noun = "threshold"
	}
	switch {
	case failed > 0:
		fmt.Fprintf(&b, "%d of %d %s failed\n", failed, len(th), noun)
	case len(th) == 1:
		b.WriteString("The threshold passed\n")
	default:
		fmt.Fprintf(&b, "All %d thresholds passed\n", len(th))
	}
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

// thresholdValue shows a measured value with up to four decimals.
func thresholdValue(t threshold.Result) string {
	switch {
	case t.NoData:
		return "no data"
	case math.IsNaN(t.Measured) || math.IsInf(t.Measured, 0):
		return strconv.FormatFloat(t.Measured, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(t.Measured*1e4)/1e4, 'f', -1, 64)
}

// PrintScheduled prints, for arrival-rate tests, the response time
// percentiles counted from each iteration's scheduled start (which include
// the time it waited to start: the delays coordinated omission hides) in
// the layout of PrintPercentiles. It prints nothing when no row has such
// times.
func (p Printer) PrintScheduled(w io.Writer, s *stats.Snapshot) {
	if s == nil {
		return
	}
	var total *stats.Histogram
	for _, r := range s.Rows {
		if r.Sched != nil && r.Sched.Count() > 0 {
			if total == nil {
				total = &stats.Histogram{}
			}
			total.Merge(r.Sched)
		}
	}
	if total == nil {
		return
	}
	nw := p.nameWidth(w)
	var b bytes.Buffer
	b.WriteString(scheduledTitle + "\n")
	// The header and separators of the percentile table.
	fmt.Fprintf(&b, "%-*s %-*s", typeWidth, "Type", nw, "Name")
	for i, q := range stats.Percentiles {
		width := 6
		if i == 0 {
			width = 8
		}
		fmt.Fprintf(&b, " %*s", width, percentLabel(q))
	}
	fmt.Fprintf(&b, " %6s\n", "# reqs")
	widths := []int{typeWidth, nw, 8}
	for range stats.Percentiles {
		widths = append(widths, 6)
	}
	sep := separator(widths...)
	b.WriteString(sep)
	for _, r := range s.Rows {
		if r.Sched != nil && r.Sched.Count() > 0 {
			schedRow(&b, nw, r.Type, r.Name, r.Sched)
		}
	}
	b.WriteString(sep)
	schedRow(&b, nw, "", "Aggregated", total)
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

func schedRow(b *bytes.Buffer, nw int, typ, name string, h *stats.Histogram) {
	fmt.Fprintf(b, "%-*s %-*s", typeWidth, typ, nw, name)
	for i, q := range stats.Percentiles {
		width := 6
		if i == 0 {
			width = 8
		}
		fmt.Fprintf(b, " %*d", width, stats.RoundMS(h.ValueAtQuantile(q)))
	}
	fmt.Fprintf(b, " %6d\n", h.Count())
}

// PrintDropped prints one line with the number of arrival-rate iteration
// starts that no user was free to serve, or nothing when there were none.
func (p Printer) PrintDropped(w io.Writer, s *stats.Snapshot) {
	if s == nil || s.Dropped <= 0 {
		return
	}
	fmt.Fprintf(w, "Dropped iterations: %d (arrival rate: no user was free to start them in time; raise --max-vus)\n\n", s.Dropped)
}

// PrintCutOff prints one line with the number of requests the test's stop
// interrupted, or nothing when there were none.
func (p Printer) PrintCutOff(w io.Writer, s *stats.Snapshot) {
	if s == nil || s.CutOff <= 0 {
		return
	}
	fmt.Fprintf(w, "Requests cut off by the stop: %d (in flight when the test stopped; not counted as requests or failures; --stop-timeout lets them finish)\n\n", s.CutOff)
}

// PrintLostWorkers prints the workers a distributed test lost, one line
// each with when it last reported, or nothing when none was lost.
func (p Printer) PrintLostWorkers(w io.Writer, s *stats.Snapshot) {
	if s == nil || len(s.LostWorkers) == 0 {
		return
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Lost workers: %d (their statistics count up to their last report; what they measured after is lost)\n", len(s.LostWorkers))
	for _, l := range s.LostWorkers {
		why := "stopped reporting"
		if l.Why == "left" {
			why = "left (stopped on its machine)"
		}
		fmt.Fprintf(&b, "  %s on %s: %s, last report %s, %d users\n", oneLine(l.ID), oneLine(l.Host), why, l.LastReport.Format("15:04:05"), l.Users)
	}
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

// metricsTitle heads the custom metrics' tables.
const metricsTitle = "Custom metrics"

// PrintMetrics prints the script's custom metrics (k6/metrics), one table
// per kind with that kind's columns, or nothing when there are none.
// Trend values made with isTime are milliseconds.
func (p Printer) PrintMetrics(w io.Writer, s *stats.Snapshot) {
	if s == nil {
		return
	}
	byKind := map[stats.MetricKind][]*stats.Metric{}
	for _, m := range s.Metrics {
		if !m.Builtin {
			byKind[m.Kind] = append(byKind[m.Kind], m)
		}
	}
	if len(byKind) == 0 {
		return
	}
	nw := typeWidth + 1 + p.nameWidth(w)
	var b bytes.Buffer
	b.WriteString(metricsTitle + "\n")
	for _, k := range []stats.MetricKind{stats.KindCounter, stats.KindGauge, stats.KindRate, stats.KindTrend} {
		ms := byKind[k]
		if len(ms) == 0 {
			continue
		}
		heads := []string{"count", "rate/s"}
		switch k {
		case stats.KindGauge:
			heads = []string{"value", "min", "max"}
		case stats.KindRate:
			heads = []string{"rate", "# passes", "# fails"}
		case stats.KindTrend:
			heads = []string{"unit", "avg", "min", "med", "max", "p(90)", "p(95)"}
		}
		title := map[stats.MetricKind]string{stats.KindCounter: "Counter", stats.KindGauge: "Gauge", stats.KindRate: "Rate", stats.KindTrend: "Trend"}[k]
		fmt.Fprintf(&b, "%-*s", nw, title)
		widths := []int{nw}
		for _, h := range heads {
			fmt.Fprintf(&b, " %10s", h)
			widths = append(widths, 10)
		}
		b.WriteByte('\n')
		sep := separator(widths...)
		b.WriteString(sep)
		for _, m := range ms {
			fmt.Fprintf(&b, "%-*s", nw, oneLine(m.Name))
			if k == stats.KindTrend {
				unit := ""
				if m.IsTime {
					unit = "ms"
				}
				fmt.Fprintf(&b, " %10s", unit)
			}
			for _, v := range m.Values(s.Elapsed()) {
				cell := metricNumber(v.Value)
				if k == stats.KindRate && v.Name == "rate" {
					cell = strconv.FormatFloat(v.Value*100, 'f', 2, 64) + "%"
				}
				fmt.Fprintf(&b, " %10s", cell)
			}
			b.WriteByte('\n')
		}
		b.WriteString(sep)
	}
	b.WriteByte('\n')
	w.Write(b.Bytes())
}

// metricNumber shows a metric's value: whole numbers as they are, others
// with up to three decimals.
func metricNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
