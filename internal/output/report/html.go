package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

//go:embed templates/report.html.tmpl templates/report.css
var templateFS embed.FS

var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"count": fmtCount,
	"ms":    fmtMS,
	"rate":  fmtRate,
	"pct":   fmtPct,
	"bytes": fmtBytes,
	"value": fmtValue,
	"add":   func(a, b int64) int64 { return a + b },
	"barWidth": func(rate float64) string {
		if !finite(rate) {
			rate = 0
		}
		return strconv.FormatFloat(math.Round(min(max(rate, 0), 1)*1000)/10, 'f', -1, 64)
	},
}).ParseFS(templateFS, "templates/report.html.tmpl"))

var reportCSS = func() template.CSS {
	b, err := templateFS.ReadFile("templates/report.css")
	if err != nil {
		panic(err)
	}
	return template.CSS(b)
}()

// view is what the template shows, computed from a Summary.
type view struct {
	S           *Summary
	CSS         template.CSS
	Title       string
	Start, End  string
	Duration    string
	Verdict     string // "pass", "warn" or "fail"
	VerdictText string
	Reasons     []string
	Cards       []card
	Charts      []chart
	Labels      []string // percentile column headers
	Rows        []rowView
	Total       rowView
	Scheduled   bool
	ThPassed    int
	ThFailed    int
}

type card struct {
	Label, Value, Note string
	Class              string
}

type rowView struct {
	Stat
	Pcts  []string
	Sched []string
	// RateKnown is false when the rates are over less than a second:
	// they show as "–".
	RateKnown bool
}

// WriteHTML writes the report of s: one self-contained HTML page with its
// styles and charts inline, which makes no network request when opened.
func WriteHTML(w io.Writer, s *Summary) error {
	if s == nil {
		s = &Summary{Format: Format, Version: Version}
	}
	v := buildView(s)
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, v); err != nil {
		return fmt.Errorf("rendering report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func buildView(s *Summary) *view {
	v := &view{S: s, CSS: reportCSS}
	name := s.Meta.Script
	if name == "" {
		name = "load test"
	}
	v.Title = name
	v.Start, v.End = fmtTime(s.Meta.Start), fmtTime(s.Meta.End)
	v.Duration = fmtDuration(s.Meta.Duration)

	for _, q := range stats.Percentiles {
		v.Labels = append(v.Labels, PercentileKey(q)+"%")
	}
	for _, st := range s.Stats {
		v.Rows = append(v.Rows, v.row(st))
	}
	v.Total = v.row(s.Aggregated)
	for _, t := range s.Thresholds {
		if t.Passed {
			v.ThPassed++
		} else {
			v.ThFailed++
		}
	}

	a := s.Aggregated
	var excs int64
	for _, x := range s.Exceptions {
		excs += x.Count
	}
	switch {
	case s.Meta.Running && (v.ThFailed > 0 || len(s.LostWorkers) > 0 || a.Failures > 0 || excs > 0):
		v.Verdict, v.VerdictText = "warn", "Running, with errors so far"
	case s.Meta.Running:
		v.Verdict, v.VerdictText = "running", "Running"
	case v.ThFailed > 0:
		v.Verdict, v.VerdictText = "fail", "Thresholds failed"
	case s.Meta.Stopped != "":
		v.Verdict, v.VerdictText = "warn", "Stopped before its planned end"
	case len(s.LostWorkers) > 0:
		v.Verdict, v.VerdictText = "warn", "Workers were lost"
	case a.Failures > 0 || excs > 0:
		v.Verdict, v.VerdictText = "warn", "Finished with errors"
	case a.Requests == 0:
		v.Verdict, v.VerdictText = "warn", "No requests were made"
	default:
		v.Verdict, v.VerdictText = "pass", "Passed"
	}
	if s.Meta.Stopped != "" {
		v.Reasons = append(v.Reasons, s.Meta.Stopped)
	}
	if v.ThFailed > 0 {
		v.Reasons = append(v.Reasons, plural(int64(v.ThFailed), "threshold", "thresholds")+" failed")
	}
	if a.Failures > 0 {
		v.Reasons = append(v.Reasons, plural(a.Failures, "failed request", "failed requests"))
	}
	if excs > 0 {
		v.Reasons = append(v.Reasons, plural(excs, "exception", "exceptions"))
	}
	for _, l := range s.LostWorkers {
		v.Reasons = append(v.Reasons, fmt.Sprintf("worker %s on %s lost (last report %s; its statistics up to then are included)", l.ID, l.Host, fmtTime(l.LastReport)))
	}
	if s.CutOff > 0 {
		v.Reasons = append(v.Reasons, plural(s.CutOff, "request", "requests")+" cut off by the stop")
	}
	if s.Dropped > 0 {
		v.Reasons = append(v.Reasons, plural(s.Dropped, "dropped iteration", "dropped iterations"))
	}
	if sat := s.Meta.Saturation; sat != nil {
		v.Reasons = append(v.Reasons, fmt.Sprintf("the load generator was saturated for %s (worst: CPU %.0f%% of %s, goroutines waited %.0f ms for a core): tasks started late and response times may include its own queueing",
			plural(int64(sat.Seconds), "second", "seconds"), sat.CPUPercent/float64(max(sat.Cores, 1)), plural(int64(sat.Cores), "core", "cores"), sat.WaitP90Ms))
	}

	failClass := ""
	if a.Failures > 0 {
		failClass = "bad"
	}
	v.Cards = []card{
		{Label: "Requests", Value: fmtCount(a.Requests), Note: rateNote(s, a.RPS) + " req/s"},
		{Label: "Failures", Value: fmtCount(a.Failures), Note: fmtPct(a.Failures, a.Requests), Class: failClass},
		{Label: "Median", Value: pctCell(Percentiles{"50": a.MedianMS}, 0.5, a.Requests), Note: "ms"},
		{Label: "95%ile", Value: pctCell(a.Percentiles, 0.95, a.Requests), Note: "ms"},
		{Label: "99%ile", Value: pctCell(a.Percentiles, 0.99, a.Requests), Note: "ms"},
		{Label: "Peak users", Value: fmtCount(int64(peakUsers(s)))},
	}
	if s.Meta.Users > 0 {
		v.Cards[len(v.Cards)-1].Note = "of " + fmtCount(int64(s.Meta.Users)) + " asked"
	}
	if len(s.Checks) > 0 {
		var pass, all int64
		for _, c := range s.Checks {
			pass += c.Passes
			all += c.Passes + c.Fails
		}
		cl := "good"
		if pass < all {
			cl = "bad"
		}
		v.Cards = append(v.Cards, card{Label: "Checks", Value: fmtPct(pass, all), Note: fmtCount(pass) + " of " + fmtCount(all) + " passed", Class: cl})
	}
	if len(s.Thresholds) > 0 {
		cl := "good"
		if v.ThFailed > 0 {
			cl = "bad"
		}
		v.Cards = append(v.Cards, card{Label: "Thresholds", Value: fmt.Sprintf("%d/%d", v.ThPassed, len(s.Thresholds)), Note: "passed", Class: cl})
	}

	if len(s.History) > 0 {
		xs := make([]float64, len(s.History))
		col := func(f func(p Point) float64) []float64 {
			out := make([]float64, len(s.History))
			for i, p := range s.History {
				out[i] = f(p)
			}
			return out
		}
		for i, p := range s.History {
			xs[i] = p.Elapsed
		}
		mk := func(title, unit string, ss ...series) chart {
			return chart{Title: title, Unit: unit, Series: ss, SVG: svgChart(title, xs, ss, "")}
		}
		v.Charts = []chart{
			mk("Throughput", "per second",
				series{Name: "Requests/s", Class: "s-rps", Y: col(func(p Point) float64 { return p.RPS })},
				series{Name: "Failures/s", Class: "s-fail", Y: col(func(p Point) float64 { return p.FailRate })}),
			mk("Response times", "ms, last 10 s",
				series{Name: "99th percentile", Class: "s-p99", Y: col(func(p Point) float64 { return p.P99 })},
				series{Name: "95th percentile", Class: "s-p95", Y: col(func(p Point) float64 { return p.P95 })},
				series{Name: "Median", Class: "s-p50", Y: col(func(p Point) float64 { return p.P50 })}),
			mk("Users", "running",
				series{Name: "Users", Class: "s-users", Area: true, Y: col(func(p Point) float64 { return float64(p.Users) })}),
		}
	}
	return v
}

func (v *view) row(st Stat) rowView {
	r := rowView{Stat: st, RateKnown: rateKnown(v.S)}
	for _, q := range stats.Percentiles {
		r.Pcts = append(r.Pcts, pctCell(st.Percentiles, q, st.Requests))
	}
	if len(st.Scheduled) > 0 {
		v.Scheduled = true
		for _, q := range stats.Percentiles {
			r.Sched = append(r.Sched, pctCell(st.Scheduled, q, 1))
		}
	}
	return r
}

func pctCell(p Percentiles, q float64, n int64) string {
	val, ok := p[PercentileKey(q)]
	if !ok || n == 0 {
		return "–"
	}
	return fmtMS(val)
}

func peakUsers(s *Summary) int {
	peak := 0
	for _, p := range s.History {
		peak = max(peak, p.Users)
	}
	return peak
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmtCount(n) + " " + many
}

// fmtCount groups digits by thousands: 12,345.
func fmtCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtMS shows a time in ms with the digits that matter: 0.42, 4.3, 42, 1,234.
func fmtMS(v float64) string {
	switch {
	case !finite(v):
		return "–"
	case math.Abs(v) < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case math.Abs(v) < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) < 9e15:
		return fmtCount(int64(math.Round(v)))
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// rateKnown reports whether the rates of s's stats are over at least a
// second (stats.MinRateSpan). A summary without the figure (older JSON)
// goes by its duration; one without either (made by hand) counts as known.
func rateKnown(s *Summary) bool {
	over := s.RatesOver
	if over == 0 {
		over = s.Meta.Duration
	}
	return over == 0 || over >= stats.MinRateSpan.Seconds()
}

// rateNote is fmtRate, or "–" when the rates of s are not known.
func rateNote(s *Summary, v float64) string {
	if !rateKnown(s) {
		return "–"
	}
	return fmtRate(v)
}

// fmtRate shows a rate with two decimals.
func fmtRate(v float64) string {
	if !finite(v) {
		return "–"
	}
	if math.Abs(v) >= 1e5 && math.Abs(v) < 9e15 {
		return fmtCount(int64(math.Round(v)))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// fmtPct shows part/all as a percentage with two decimals.
func fmtPct(part, all int64) string {
	if all == 0 {
		return "0.00%"
	}
	return strconv.FormatFloat(float64(part)/float64(all)*100, 'f', 2, 64) + "%"
}

func fmtBytes(v float64) string {
	if !finite(v) || math.Abs(v) >= 9e15 {
		return "–"
	}
	return fmtCount(int64(math.Round(v)))
}

// fmtValue shows a threshold's measured value: up to three decimals.
func fmtValue(v float64) string {
	if !finite(v) {
		return "–"
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.Format("2006-01-02 15:04:05 MST")
}

// fmtDuration shows seconds as "12.4 s", "5 min 3 s", "2 h 5 min 3 s".
func fmtDuration(sec float64) string {
	if !finite(sec) || sec < 0 || sec > 1e12 {
		return "–"
	}
	if sec < 60 {
		return strconv.FormatFloat(sec, 'f', 1, 64) + " s"
	}
	s := int64(math.Round(sec))
	h, m := s/3600, s/60%60
	s %= 60
	if h > 0 {
		return fmt.Sprintf("%d h %d min %d s", h, m, s)
	}
	return fmt.Sprintf("%d min %d s", m, s)
}
