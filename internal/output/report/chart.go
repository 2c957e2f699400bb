package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Chart geometry, in SVG user units (the SVG scales to its container).
const (
	chartW      = 1000
	chartH      = 230
	chartLeft   = 58
	chartRight  = 14
	chartTop    = 12
	chartBottom = 28
	maxDrawn    = 1200 // points per line at most; more are reduced per pixel column
	yCap        = 1e12 // larger values are drawn at the top
)

// series is one line of a chart.
type series struct {
	Name  string
	Class string // CSS class giving its colour: s-rps, s-fail, s-p50, ...
	Y     []float64
	Area  bool // filled down to zero
}

// chart is one chart of the report, ready for the template.
type chart struct {
	Title  string
	Unit   string
	Series []series
	SVG    template.HTML
}

// svgChart draws the series over xs (seconds) as an inline SVG: axes with
// round ticks, a grid, and one line (or area) per series. Everything in it
// is numbers and fixed labels, so it is safe to insert as HTML.
func svgChart(label string, xs []float64, ss []series, unit string) template.HTML {
	pw, ph := float64(chartW-chartLeft-chartRight), float64(chartH-chartTop-chartBottom)
	x0, x1 := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		if finite(x) {
			x = clampX(x)
			x0, x1 = min(x0, x), max(x1, x)
		}
	}
	if !finite(x0) {
		x0, x1 = 0, 1
	}
	if x0 > 0 && x0 <= (x1-x0)/5 {
		x0 = 0 // the axis starts with the run
	}
	if x1-x0 < 1 {
		x1 = x0 + 1
	}
	ymax := 0.0
	for _, s := range ss {
		for _, y := range s.Y {
			if finite(y) {
				ymax = max(ymax, min(y, yCap))
			}
		}
	}
	step, top := yScale(ymax)
	px := func(x float64) float64 { return chartLeft + (clampX(x)-x0)/(x1-x0)*pw }
	py := func(y float64) float64 {
		if !finite(y) || y < 0 {
			y = 0
		}
		y = min(y, top)
		return chartTop + ph - y/top*ph
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		chartW, chartH, template.HTMLEscapeString(label))
	// Horizontal grid and y labels.
	for i := 0; ; i++ {
		v := float64(i) * step
		if v > top*(1+1e-9) || i > 20 {
			break
		}
		y := py(v)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%s" y2="%s"/>`, chartLeft, chartW-chartRight, f1(y), f1(y))
		fmt.Fprintf(&b, `<text class="ylab" x="%d" y="%s">%s</text>`, chartLeft-8, f1(y+4), template.HTMLEscapeString(tickLabel(v, step)+unit))
	}
	// Vertical ticks and time labels.
	xstep := timeStep(x1 - x0)
	long := x1 >= 3600
	for i, t := 0, math.Ceil(x0/xstep)*xstep; t <= x1+1e-9 && i < 30; i, t = i+1, t+xstep {
		x := px(t)
		fmt.Fprintf(&b, `<line class="xtick" x1="%s" x2="%s" y1="%d" y2="%d"/>`, f1(x), f1(x), chartTop, chartH-chartBottom+4)
		fmt.Fprintf(&b, `<text class="xlab" x="%s" y="%d">%s</text>`, f1(x), chartH-8, template.HTMLEscapeString(clock(t, long)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%s" y2="%s"/>`, chartLeft, chartW-chartRight, f1(chartTop+ph), f1(chartTop+ph))
	// The lines.
	for _, s := range ss {
		idx := reduce(xs, s.Y, int(pw))
		if len(idx) == 0 {
			continue
		}
		var pts strings.Builder
		for j, i := range idx {
			if j > 0 {
				pts.WriteByte(' ')
			}
			pts.WriteString(f1(px(xs[i])) + "," + f1(py(s.Y[i])))
		}
		if s.Area && len(idx) > 1 {
			base := f1(py(0))
			fmt.Fprintf(&b, `<polygon class="area %s" points="%s,%s %s %s,%s"/>`, s.Class,
				f1(px(xs[idx[0]])), base, pts.String(), f1(px(xs[idx[len(idx)-1]])), base)
		}
		fmt.Fprintf(&b, `<polyline class="line %s" points="%s"/>`, s.Class, pts.String())
		if len(idx) == 1 {
			fmt.Fprintf(&b, `<circle class="dot %s" cx="%s" cy="%s" r="3"/>`, s.Class, f1(px(xs[idx[0]])), f1(py(s.Y[idx[0]])))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// reduce returns the indexes of the points to draw: all of them when there
// are few, else for each of about cols columns the lowest and the highest
// point, in order, so that spikes survive.
func reduce(xs, ys []float64, cols int) []int {
	n := min(len(xs), len(ys))
	var out []int
	if n <= maxDrawn {
		for i := 0; i < n; i++ {
			if finite(xs[i]) {
				out = append(out, i)
			}
		}
		return out
	}
	per := float64(n) / float64(max(cols, 1))
	for c := 0; c < cols; c++ {
		lo, hi := int(float64(c)*per), min(int(float64(c+1)*per), n)
		lowest, highest := -1, -1
		for i := lo; i < hi; i++ {
			if !finite(xs[i]) {
				continue
			}
			if lowest < 0 || ys[i] < ys[lowest] {
				lowest = i
			}
			if highest < 0 || ys[i] > ys[highest] {
				highest = i
			}
		}
		switch {
		case lowest < 0:
		case lowest == highest:
			out = append(out, lowest)
		case lowest < highest:
			out = append(out, lowest, highest)
		default:
			out = append(out, highest, lowest)
		}
	}
	return out
}

// yScale returns a round tick step and the axis top (a multiple of it) for
// values up to ymax: about four to six gridlines.
func yScale(ymax float64) (step, top float64) {
	if !finite(ymax) || ymax <= 0 {
		return 0.25, 1
	}
	step = niceStep(ymax / 4)
	top = math.Ceil(ymax/step-1e-9) * step
	if top <= 0 {
		top = step
	}
	return step, top
}

// niceStep rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*e >= v*(1-1e-9) {
			return m * e
		}
	}
	return 10 * e
}

// timeStep picks a round step in seconds for a time axis of span seconds:
// at most about eight ticks.
func timeStep(span float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if span/s <= 8 {
			return s
		}
	}
	return niceStep(span / 8)
}

// clock formats seconds as m:ss, or h:mm:ss when long.
func clock(sec float64, long bool) string {
	if !finite(sec) || math.Abs(sec) > 1e9 {
		return strconv.FormatFloat(sec, 'g', 3, 64) + "s"
	}
	neg := ""
	if sec < 0 {
		neg, sec = "-", -sec
	}
	s := int64(math.Round(sec))
	if long {
		return fmt.Sprintf("%s%d:%02d:%02d", neg, s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%s%d:%02d", neg, s/60, s%60)
}

// tickLabel formats an axis value with as few digits as the step needs,
// thousands as "k", millions as "M" and billions as "G".
func tickLabel(v, step float64) string {
	if v == 0 {
		return "0"
	}
	suffix := ""
	for _, u := range []struct {
		div float64
		s   string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if top := max(math.Abs(v), step); top >= u.div {
			v, step, suffix = v/u.div, step/u.div, u.s
			break
		}
	}
	dec := 0
	for d := step; d < 1-1e-9 && dec < 6; d *= 10 {
		dec++
	}
	if scaled := step * math.Pow(10, float64(dec)); math.Abs(scaled-math.Round(scaled)) > 1e-6 {
		dec++ // 2.5, 0.25
	}
	if suffix != "" {
		// 1k, 1.5k: no trailing zeros next to a unit.
		p := math.Pow(10, float64(dec))
		return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64) + suffix
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// clampX keeps times within what the axis can handle.
func clampX(x float64) float64 { return min(max(x, -1e12), 1e12) }

func f1(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
