package k6summary

import (
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// TextOptions are textSummary's options.
type TextOptions struct {
	// Indent is put before every line (textSummary's indent; default
	// one space as k6's jslib).
	Indent string
	// Color marks passes green and failures red (ANSI), as k6 on a
	// terminal and textSummary's enableColors.
	Color bool
}

// Text renders d in k6's compact end-of-test layout: a THRESHOLDS block
// (each metric with thresholds, a ✓ or ✗ line per expression with the
// measured value), then TOTAL RESULTS: checks_total, checks_succeeded,
// checks_failed and a line per check, then the metrics by section (CUSTOM,
// HTTP, EXECUTION, NETWORK, GRPC, WEBSOCKETS), sorted by name, with
// dotted names and k6's value formats (times humanized, bytes 1000-based,
// rates as percentages "N out of M"). Submetrics follow their metric,
// indented. With o.Color the marks are green and red.
func Text(d *Data, o TextOptions) string {
	var b strings.Builder
	in := o.Indent
	pass, fail := "✓", "✗"
	if o.Color {
		pass, fail = "\x1b[32m✓\x1b[0m", "\x1b[31m✗\x1b[0m"
	}
	line := func(format string, a ...any) {
		fmt.Fprintf(&b, in+format+"\n", a...)
	}
	names := make([]string, 0, len(d.Metrics))
	for n := range d.Metrics {
		names = append(names, n)
	}
	sort.Strings(names)

	var withTh []string
	for _, n := range names {
		if len(d.Metrics[n].Thresholds) > 0 {
			withTh = append(withTh, n)
		}
	}
	if len(withTh) > 0 {
		line("")
		line("  █ THRESHOLDS ")
		line("")
		for _, n := range withTh {
			m := d.Metrics[n]
			line("    %s", n)
			srcs := make([]string, 0, len(m.Thresholds))
			for s := range m.Thresholds {
				srcs = append(srcs, s)
			}
			sort.Strings(srcs)
			for _, s := range srcs {
				mark := pass
				if !m.Thresholds[s].OK {
					mark = fail
				}
				line("    %s '%s' %s", mark, s, measured(m, s, d.Options.SummaryTimeUnit))
			}
			line("")
		}
		line("")
	}

	line("")
	line("  █ TOTAL RESULTS ")
	line("")
	var rows [][]string // name, values...; nil for a blank line; a single cell for a text line
	var checks []Check
	collectChecks(d.RootGroup, &checks)
	if c, ok := d.Metrics["checks"]; ok {
		passes, fails := c.Values["passes"], c.Values["fails"]
		total := passes + fails
		rate := 0.0
		if secs := d.State.TestRunDurationMs / 1000; secs > 0 {
			rate = total / secs
		}
		rows = append(rows,
			[]string{"checks_total", num(total), strconv.FormatFloat(rate, 'f', 6, 64) + "/s"},
			[]string{"checks_succeeded", percent(passes, total), fmt.Sprintf("%s out of %s", num(passes), num(total))},
			[]string{"checks_failed", percent(fails, total), fmt.Sprintf("%s out of %s", num(fails), num(total))},
			nil)
		for _, ch := range checks {
			if ch.Fails == 0 {
				rows = append(rows, []string{pass + " " + ch.Name})
				continue
			}
			n := ch.Passes + ch.Fails
			rows = append(rows, []string{fail + " " + ch.Name},
				[]string{fmt.Sprintf("  ↳  %d%% — %s %d / %s %d", int64(math.Floor(float64(ch.Passes)*100/float64(n))), pass, ch.Passes, fail, ch.Fails)})
		}
		rows = append(rows, nil)
	}
	for _, sec := range sections {
		var ms []string
		for _, n := range names {
			base, _, sub := strings.Cut(n, "{")
			if sub || base == "checks" || len(d.Metrics[n].Values) == 0 || section(base) != sec {
				continue
			}
			ms = append(ms, n)
		}
		if len(ms) == 0 {
			continue
		}
		rows = append(rows, []string{sec})
		for _, n := range ms {
			rows = append(rows, append([]string{n}, values(d.Metrics[n], d.Options.SummaryTimeUnit, d.Options.SummaryTrendStats)...))
			for _, sn := range names {
				if f, ok := strings.CutPrefix(sn, n+"{"); ok && len(d.Metrics[sn].Values) > 0 {
					rows = append(rows, append([]string{"  { " + strings.TrimSuffix(f, "}") + " }"}, values(d.Metrics[sn], d.Options.SummaryTimeUnit, d.Options.SummaryTrendStats)...))
				}
			}
		}
		rows = append(rows, nil)
	}
	writeRows(&b, in, rows)
	return b.String()
}

// sections are the metric sections of the TOTAL RESULTS block, in order.
var sections = []string{"CUSTOM", "HTTP", "EXECUTION", "NETWORK", "GRPC", "WEBSOCKETS"}

// section is the section of a metric by name; "" for those the compact
// layout leaves out (group_duration, the HTTP phase trends).
func section(name string) string {
	switch name {
	case "http_req_duration", "http_req_failed", "http_reqs":
		return "HTTP"
	case "iteration_duration", "iterations", "vus", "vus_max", "dropped_iterations":
		return "EXECUTION"
	case "data_received", "data_sent":
		return "NETWORK"
	case "group_duration":
		return ""
	}
	switch {
	case strings.HasPrefix(name, "http_req_"):
		return ""
	case strings.HasPrefix(name, "grpc_"):
		return "GRPC"
	case strings.HasPrefix(name, "ws_"):
		return "WEBSOCKETS"
	}
	return "CUSTOM"
}

// writeRows writes the metric rows: names padded with dots to one width,
// then the value columns padded to the widest of each column.
func writeRows(b *strings.Builder, indent string, rows [][]string) {
	// Trends ("avg=...") and the other metrics align their columns
	// apart.
	isTrend := func(r []string) int {
		if strings.Contains(r[1], "=") {
			return 1
		}
		return 0
	}
	nameW := 0
	var colW [2][]int
	for _, r := range rows {
		if len(r) < 2 {
			continue
		}
		nameW = max(nameW, len([]rune(r[0])))
		k := isTrend(r)
		for i, c := range r[1:] {
			if i >= len(colW[k]) {
				colW[k] = append(colW[k], 0)
			}
			colW[k][i] = max(colW[k][i], len([]rune(c)))
		}
	}
	nameW += 3
	for _, r := range rows {
		switch len(r) {
		case 0:
			b.WriteString(indent + "\n")
			continue
		case 1:
			b.WriteString(indent + "    " + r[0] + "\n")
			continue
		}
		b.WriteString(indent + "    " + r[0] + strings.Repeat(".", nameW-len([]rune(r[0]))) + ": ")
		cells := r[1:]
		for i, c := range cells {
			if i == len(cells)-1 {
				b.WriteString(c)
				break
			}
			b.WriteString(c + strings.Repeat(" ", colW[isTrend(r)][i]-len([]rune(c))+1))
		}
		b.WriteString("\n")
	}
}

// values are a metric's value cells in k6's formats.
func values(m Metric, unit string, order []string) []string {
	v := m.Values
	switch m.Type {
	case "counter":
		if m.Contains == "data" {
			return []string{bytesText(v["count"]), bytesText(v["rate"]) + "/s"}
		}
		return []string{num(v["count"]), strconv.FormatFloat(v["rate"], 'f', 6, 64) + "/s"}
	case "gauge":
		return []string{format(m, v["value"], unit), "min=" + format(m, v["min"], unit), "max=" + format(m, v["max"], unit)}
	case "rate":
		n := v["passes"] + v["fails"]
		return []string{percent(v["passes"], n), fmt.Sprintf("%s out of %s", num(v["passes"]), num(n))}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return trendOrder(keys[i], order) < trendOrder(keys[j], order) })
	out := make([]string, len(keys))
	for i, k := range keys {
		if k == "count" {
			out[i] = k + "=" + num(v[k])
			continue
		}
		out[i] = k + "=" + format(m, v[k], unit)
	}
	return out
}

// trendOrder sorts trend stats in the order of summaryTrendStats, then
// the others as k6's default list does: avg min med max, then count, then
// percentiles by N.
func trendOrder(k string, order []string) float64 {
	if i := slices.Index(order, k); i >= 0 {
		return float64(i) - 1000
	}
	switch k {
	case "avg":
		return -5
	case "min":
		return -4
	case "med":
		return -3
	case "max":
		return -2
	case "count":
		return -1
	}
	q, _ := ParsePercentile(k)
	return q
}

// measured is a threshold line's "agg=value", the value of the threshold's
// aggregation in m.
func measured(m Metric, src, unit string) string {
	agg := src
	for i, c := range src {
		if strings.ContainsRune("<>=!", c) {
			agg = src[:i]
			break
		}
	}
	agg = strings.TrimSpace(agg)
	v, ok := m.Values[agg]
	if !ok {
		return ""
	}
	switch {
	case m.Type == "rate":
		return agg + "=" + strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
	case m.Type == "counter" && agg == "rate":
		return agg + "=" + strconv.FormatFloat(v, 'f', 6, 64) + "/s"
	case m.Type == "counter" && m.Contains == "data":
		return agg + "=" + bytesText(v)
	case m.Type == "counter" || agg == "count":
		return agg + "=" + num(v)
	}
	return agg + "=" + format(m, v, unit)
}

// format is a trend's or gauge's value: a time when the metric contains
// times (milliseconds; humanized, or in unit: "s", "ms" or "us"), bytes
// for data, else the number.
func format(m Metric, v float64, unit string) string {
	switch m.Contains {
	case "time":
		return timeIn(v, unit)
	case "data":
		return bytesText(v)
	}
	return num(v)
}

// TimeUnits are the summaryTimeUnit values ("" humanizes).
var TimeUnits = []string{"s", "ms", "us"}

// timeIn is ms in unit, with at most two decimals ("1.52s", "1520ms",
// "1520000us"), or humanized (Duration) when unit is "".
func timeIn(ms float64, unit string) string {
	r2 := func(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }
	switch unit {
	case "s":
		return r2(ms/1000) + "s"
	case "ms":
		return r2(ms) + "ms"
	case "us":
		return r2(ms*1000) + "µs"
	}
	return Duration(ms)
}

// Duration is milliseconds as k6 shows times: "0s", "812µs", "140.36ms",
// "1.52s", "1m2.5s", with at most two decimals.
func Duration(ms float64) string {
	r2 := func(f float64) string { return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64) }
	switch {
	case ms == 0:
		return "0s"
	case ms < 1:
		return r2(ms*1000) + "µs"
	case ms < 1000:
		return r2(ms) + "ms"
	case ms < 60000:
		return r2(ms/1000) + "s"
	}
	s := ms / 1000
	h := math.Floor(s / 3600)
	s -= h * 3600
	mn := math.Floor(s / 60)
	s -= mn * 60
	out := ""
	if h > 0 {
		out = strconv.FormatFloat(h, 'f', 0, 64) + "h"
	}
	return out + strconv.FormatFloat(mn, 'f', 0, 64) + "m" + r2(s) + "s"
}

// bytesText is a byte count 1000-based: "512 B", "1.2 kB", "170 kB", "3.4 MB".
func bytesText(v float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + " B"
	}
	if v >= 100 {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64) + " " + units[i]
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + " " + units[i]
}

// num is a number without trailing zeros, rounded to six decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

func percent(part, total float64) string {
	if total == 0 {
		return "0.00%"
	}
	return strconv.FormatFloat(part*100/total, 'f', 2, 64) + "%"
}

func collectChecks(g Group, out *[]Check) {
	*out = append(*out, g.Checks...)
	for _, sub := range g.Groups {
		collectChecks(sub, out)
	}
}

// JUnit renders the thresholds of d as JUnit XML, one test case per
// threshold ("METRIC - SOURCE"), failed when the threshold failed: what
// k6's jslib jUnit(data, { name, classname }) writes for CI systems.
func JUnit(d *Data, name, classname string) string {
	if name == "" {
		name = "k6 thresholds"
	}
	type failure struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr,omitempty"`
		Failure   *failure `xml:"failure,omitempty"`
	}
	type suite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	type suites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suite    suite
	}
	s := suites{Suite: suite{Name: name}}
	names := make([]string, 0, len(d.Metrics))
	for n := range d.Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := d.Metrics[n]
		srcs := make([]string, 0, len(m.Thresholds))
		for src := range m.Thresholds {
			srcs = append(srcs, src)
		}
		sort.Strings(srcs)
		for _, src := range srcs {
			tc := testcase{Name: n + " - " + src, Classname: classname}
			if !m.Thresholds[src].OK {
				tc.Failure = &failure{Message: "failed"}
				s.Suite.Failures++
			}
			s.Suite.Tests++
			s.Suite.Cases = append(s.Suite.Cases, tc)
		}
	}
	s.Tests, s.Failures = s.Suite.Tests, s.Suite.Failures
	out, _ := xml.MarshalIndent(s, "", "  ")
	return xml.Header + string(out) + "\n"
}
