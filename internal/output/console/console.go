// Package console prints a stats.Snapshot as the tables Locust prints in
// headless mode: the request statistics, the response time percentiles, the
// error report, and jsload's exception report in the same style.
//
// The layout follows Locust 2.x character for character, so that a Locust
// user can read the output at a glance: the same column widths and order,
// the same separators, the empty-type "Aggregated" row last. Every
// response-time column (average, min, max, median, percentiles) is rounded
// to whole milliseconds by one rule, stats.RoundMS (half to even, as
// Python's round()), so that one row never shows Max 400 beside 100% 401:
// Locust truncates average, min and max with %d but rounds percentiles,
// and coarsens times above 100 ms to two significant digits before it
// computes them (147 ms counts as 150), so its 100% can exceed its max.
// jsload's percentiles come from histograms accurate to 0.2%, clamped to
// the exact min and max, and the 100% percentile is the max. A rate
// computed over less than a second (stats.Rate.Known) is shown as "-".
// Like Locust, a name longer than its column is not cut: it pushes the rest
// of its row to the right.
//
// Every call writes its whole table with one Write, so that log lines
// printed concurrently do not land in the middle of a table. Write errors are
// ignored: the console is best effort.
package console

import (
	"bytes"
	"fmt"
	"github.com/fatih/color"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/jsload/jsload/internal/stats"
)

// Locust's widths (locust/stats.py).
const (
	typeWidth        = 8  // STATS_TYPE_WIDTH
	defaultNameWidth = 80 // STATS_NAME_WIDTH when the output is not a terminal
	maxNameWidth     = 80 // STATS_NAME_WIDTH's cap on a wide terminal
	fixedColumns     = 80 // what a terminal needs besides the name column
	countWidth       = 18 // the "# occurrences" column of the reports
	reportTextWidth  = 100
)

// Titles and headers, as Locust prints them.
const (
	percentilesTitle = "Response time percentiles (approximated)"
	errorsTitle      = "Error report"
	exceptionsTitle  = "Exception report"
	countHeader      = "# occurrences"
)

// Printer prints the tables with one configuration. The zero value prints
// exactly as Locust does by default.
type Printer struct {
	// NameWidth is Locust's STATS_NAME_WIDTH: the width of the name column
	// of the percentile table; the stats table's name column is 4 narrower,
	// and the reports' separators are 80 + NameWidth wide. 0 picks Locust's
	// default: the width of the terminal minus 80, between 0 and 80, when w
	// is a terminal, otherwise 80. A negative value means 0, the narrowest
	// table.
	NameWidth int

	// Color shows failure cells of the stats table in red (for a
	// terminal); the layout is the same either way.
	Color bool
}

// PrintStats prints the request statistics table of s followed by a blank
// line. With current set, req/s and failures/s are the recent rates
// (Row.CurrentRPS), as in the table Locust prints every 2 seconds;
// otherwise they are averaged over the whole run (Row.RPS), as in the
// final table.
func (p Printer) PrintStats(w io.Writer, s *stats.Snapshot, current bool) {
	var b bytes.Buffer
	p.statsTable(&b, p.nameWidth(w), s, current)
	w.Write(b.Bytes())
}

// PrintPercentiles prints the response time percentile table of s followed
// by a blank line.
func (p Printer) PrintPercentiles(w io.Writer, s *stats.Snapshot) {
	var b bytes.Buffer
	p.percentileTable(&b, p.nameWidth(w), s)
	w.Write(b.Bytes())
}

// PrintErrors prints the error report of s, one row per failure group, or
// nothing when no request failed.
func (p Printer) PrintErrors(w io.Writer, s *stats.Snapshot) {
	var b bytes.Buffer
	p.errorReport(&b, p.nameWidth(w), s)
	w.Write(b.Bytes())
}

// PrintExceptions prints the exception report of s, one row per exception
// group, or nothing when the script raised no exception.
func (p Printer) PrintExceptions(w io.Writer, s *stats.Snapshot) {
	var b bytes.Buffer
	p.exceptionReport(&b, p.nameWidth(w), s)
	w.Write(b.Bytes())
}

// PrintSummary prints the block shown when a test ends: the stats table
// with whole-run rates, the percentiles, the error report and the
// exception report.
func (p Printer) PrintSummary(w io.Writer, s *stats.Snapshot) {
	var b bytes.Buffer
	nw := p.nameWidth(w)
	p.statsTable(&b, nw, s, false)
	p.percentileTable(&b, nw, s)
	p.errorReport(&b, nw, s)
	p.exceptionReport(&b, nw, s)
	w.Write(b.Bytes())
}

// nameWidth resolves STATS_NAME_WIDTH for output to w.
func (p Printer) nameWidth(w io.Writer) int {
	switch {
	case p.NameWidth > 0:
		return p.NameWidth
	case p.NameWidth < 0:
		return 0
	}
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		if cols, ok := terminalWidth(f.Fd()); ok {
			return max(min(cols-fixedColumns, maxNameWidth), 0)
		}
	}
	return defaultNameWidth
}

// rows returns the snapshot's rows and its Aggregated row, coping with a nil
// or hand-made snapshot.
func rows(s *stats.Snapshot) ([]*stats.Row, *stats.Row) {
	if s == nil {
		return nil, &stats.Row{Key: stats.Key{Name: "Aggregated"}}
	}
	total := s.Total
	if total == nil {
		total = &stats.Row{Key: stats.Key{Name: "Aggregated"}}
	}
	return s.Rows, total
}

func (p Printer) statsTable(b *bytes.Buffer, nw int, s *stats.Snapshot, current bool) {
	// Locust gives the name column 4 fewer characters than STATS_NAME_WIDTH
	// here, to make room for its compact columns. On a narrow terminal the
	// difference is negative, and Python's "%--4s" pads to 4 all the same
	// while the separator gets no dashes at all; both are kept.
	col := nw - typeWidth + 4
	pad := col
	if pad < 0 {
		pad = -pad
	}
	fmt.Fprintf(b, "%-*s %-*s %7s %12s |%7s %7s %7s%7s | %7s %11s\n",
		typeWidth, "Type", pad, "Name", "# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s")
	sep := separator(typeWidth, max(col, 0), 7, 13, 7, 7, 7, 7, 8, 11)
	b.WriteString(sep)
	list, total := rows(s)
	for _, r := range list {
		statsRow(b, pad, s, r, current, p.Color)
	}
	b.WriteString(sep)
	statsRow(b, pad, s, total, current, p.Color)
	b.WriteByte('\n')
}

// failColor marks failure cells on a terminal.
var failColor = func() *color.Color { c := color.New(color.FgRed); c.EnableColor(); return c }()

func statsRow(b *bytes.Buffer, pad int, s *stats.Snapshot, r *stats.Row, current, colored bool) {
	rate := stats.Rate{Over: stats.MinRateSpan} // a hand-made table without a snapshot: 0.00
	if s != nil {
		if current {
			rate = r.CurrentRate(s.Time, s.Start)
		} else {
			rate = r.RunRate(s.Elapsed())
		}
	}
	rps, fps := RateCells(rate)
	typ := r.Type
	if typ != "" {
		typ += " "
	}
	fails := fmt.Sprintf("%12s", fmt.Sprintf("%d(%.2f%%)", r.Failures, r.FailRatio()*100))
	if colored && r.Failures > 0 {
		fails = failColor.Sprint(fails) // padded first, so the columns stay aligned
	}
	minMS, maxMS := stats.RoundMS(r.Min), stats.RoundMS(r.Max)
	med := min(max(stats.RoundMS(r.Median()), minMS), maxMS)
	fmt.Fprintf(b, "%-*s %-*s %7d %s |%7d %7d %7d%7d | %7s %11s\n",
		typeWidth, typ, pad, r.Name, r.Requests, fails,
		stats.RoundMS(r.Avg()), minMS, maxMS, med, rps, fps)
}

// RateCells formats a rate as the stats table shows it: requests and
// failures per second with two decimals, or "-" for both when the rate is
// over less than stats.MinRateSpan. The live status line uses it too, so
// the two never disagree.
func RateCells(r stats.Rate) (reqs, fails string) {
	if !r.Known() {
		return "-", "-"
	}
	return strconv.FormatFloat(r.Reqs, 'f', 2, 64), strconv.FormatFloat(r.Fails, 'f', 2, 64)
}

func (p Printer) percentileTable(b *bytes.Buffer, nw int, s *stats.Snapshot) {
	b.WriteString(percentilesTitle + "\n")
	fmt.Fprintf(b, "%-*s %-*s", typeWidth, "Type", nw, "Name")
	for i, q := range stats.Percentiles {
		width := 6
		if i == 0 {
			width = 8
		}
		fmt.Fprintf(b, " %*s", width, percentLabel(q))
	}
	fmt.Fprintf(b, " %6s\n", "# reqs")
	widths := []int{typeWidth, nw, 8}
	for range stats.Percentiles {
		widths = append(widths, 6) // the last one is "# reqs"
	}
	sep := separator(widths...)
	b.WriteString(sep)
	list, total := rows(s)
	for _, r := range list {
		if r.Requests > 0 {
			percentileRow(b, nw, r)
		}
	}
	b.WriteString(sep)
	if total.Requests > 0 {
		percentileRow(b, nw, total)
	}
	b.WriteByte('\n')
}

func percentileRow(b *bytes.Buffer, nw int, r *stats.Row) {
	fmt.Fprintf(b, "%-*s %-*s", typeWidth, r.Type, nw, r.Name)
	for i, q := range stats.Percentiles {
		width := 6
		if i == 0 {
			width = 8
		}
		fmt.Fprintf(b, " %*d", width, stats.RoundMS(r.Percentile(q)))
	}
	fmt.Fprintf(b, " %6d\n", r.Requests)
}

// percentLabel spells a quantile as Locust's headers do: "50%", "99.9%".
func percentLabel(q float64) string {
	// Round away the binary noise of q*100 (0.999*100 = 99.9000000001)
	// the way Locust does, to 6 decimals.
	v := math.Round(q*100*1e6) / 1e6
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

func (p Printer) errorReport(b *bytes.Buffer, nw int, s *stats.Snapshot) {
	if s == nil || len(s.Failures) == 0 {
		return
	}
	lines := make([]report, len(s.Failures))
	for i, f := range s.Failures {
		lines[i] = report{f.Count, fmt.Sprintf("%s %s: %s", f.Type, f.Name, oneLine(f.Error))}
	}
	writeReport(b, nw, errorsTitle, "Error", lines)
}

func (p Printer) exceptionReport(b *bytes.Buffer, nw int, s *stats.Snapshot) {
	if s == nil || len(s.Exceptions) == 0 {
		return
	}
	lines := make([]report, len(s.Exceptions))
	for i, x := range s.Exceptions {
		text := oneLine(x.Message)
		if x.Position != "" {
			// Like a compiler's diagnostics: editors and terminals turn
			// "file:line:column: message" into a link.
			text = x.Position + ": " + text
		}
		lines[i] = report{x.Count, text}
	}
	writeReport(b, nw, exceptionsTitle, "Exception", lines)
}

type report struct {
	count int64
	text  string
}

// writeReport prints Locust's error report layout: a title, a count column
// 18 wide, a text column padded to 100, separators 80 + nw wide, and a
// closing blank line.
func writeReport(b *bytes.Buffer, nw int, title, header string, lines []report) {
	b.WriteString(title + "\n")
	fmt.Fprintf(b, "%-*s %-*s\n", countWidth, countHeader, reportTextWidth, header)
	sep := separator(countWidth, fixedColumns+nw-countWidth-1)
	b.WriteString(sep)
	for _, l := range lines {
		fmt.Fprintf(b, "%-*d %-*s\n", countWidth, l.count, reportTextWidth, l.text)
	}
	b.WriteString(sep)
	b.WriteByte('\n')
}

// separator returns a line of dashes, one group per column width, joined by
// '|', and a newline.
func separator(widths ...int) string {
	var b strings.Builder
	for i, w := range widths {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(strings.Repeat("-", max(w, 0)))
	}
	b.WriteByte('\n')
	return b.String()
}

// oneLine keeps a message on its row: line breaks are shown escaped, as
// Locust's repr() of an exception shows them.
var oneLine = strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace
