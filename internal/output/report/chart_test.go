package report

import (
	"math"
	"strings"
	"testing"
)

func TestYScale(t *testing.T) {
	tests := []struct {
		max       float64
		step, top float64
	}{
		{0, 0.25, 1},
		{-3, 0.25, 1},
		{math.NaN(), 0.25, 1},
		{1, 0.25, 1},
		{7, 2, 8},
		{10, 2.5, 10},
		{37.2, 10, 40},
		{99, 25, 100},
		{412, 200, 600},
		{1234, 500, 1500},
		{0.03, 0.01, 0.03},
	}
	for _, tt := range tests {
		step, top := yScale(tt.max)
		if math.Abs(step-tt.step) > 1e-12 || math.Abs(top-tt.top) > 1e-12 {
			t.Errorf("yScale(%v) = %v, %v; want %v, %v", tt.max, step, top, tt.step, tt.top)
		}
		if n := top / step; n > 6.01 || n < 1 {
			t.Errorf("yScale(%v): %v gridlines", tt.max, n)
		}
	}
}

func TestTimeStep(t *testing.T) {
	tests := []struct{ span, want float64 }{
		{1, 1}, {8, 1}, {9, 2}, {60, 10}, {180, 30}, {600, 120}, {3600, 600}, {86400, 10800}, {1e7, 2e6},
	}
	for _, tt := range tests {
		if got := timeStep(tt.span); got != tt.want {
			t.Errorf("timeStep(%v) = %v, want %v", tt.span, got, tt.want)
		}
	}
}

func TestLabels(t *testing.T) {
	for _, tt := range []struct {
		v, step float64
		want    string
	}{
		{0, 1, "0"}, {40, 10, "40"}, {2.5, 2.5, "2.5"}, {0.5, 0.25, "0.50"}, {0.75, 0.25, "0.75"},
		{1500, 500, "1.5k"}, {2000, 1000, "2k"}, {500, 500, "500"}, {3e6, 1e6, "3M"}, {0, 1e6, "0"}, {2e12, 1e12, "2000G"}, {0.03, 0.01, "0.03"},
	} {
		if got := tickLabel(tt.v, tt.step); got != tt.want {
			t.Errorf("tickLabel(%v, %v) = %q, want %q", tt.v, tt.step, got, tt.want)
		}
	}
	for _, tt := range []struct {
		sec  float64
		long bool
		want string
	}{
		{0, false, "0:00"}, {75, false, "1:15"}, {3725, true, "1:02:05"}, {-5, false, "-0:05"}, {1e300, true, "1e+300s"},
	} {
		if got := clock(tt.sec, tt.long); got != tt.want {
			t.Errorf("clock(%v) = %q, want %q", tt.sec, got, tt.want)
		}
	}
}

func TestReduceKeepsSpikes(t *testing.T) {
	n := 50_000
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = float64(i)
		ys[i] = 1
	}
	ys[31_337] = 99
	idx := reduce(xs, ys, 900)
	if len(idx) > 2*900 {
		t.Errorf("%d points drawn", len(idx))
	}
	found := false
	for i, j := range idx {
		if i > 0 && j <= idx[i-1] {
			t.Fatalf("indexes out of order at %d", i)
		}
		found = found || j == 31_337
	}
	if !found {
		t.Error("the spike was dropped")
	}
}

func TestSVGChartEdgeCases(t *testing.T) {
	inf := math.Inf(1)
	for _, tt := range []struct {
		name string
		xs   []float64
		ys   []float64
	}{
		{"empty", nil, nil},
		{"one point", []float64{3}, []float64{5}},
		{"same x", []float64{3, 3}, []float64{1, 2}},
		{"huge", []float64{-1e308, 1e308}, []float64{1e308, -1e308}},
		{"non-finite", []float64{0, math.NaN(), 2}, []float64{inf, 1, math.NaN()}},
		{"fewer ys", []float64{0, 1, 2}, []float64{1}},
	} {
		svg := string(svgChart(tt.name, tt.xs, []series{{Name: "a", Class: "s-rps", Y: tt.ys, Area: true}}, ""))
		if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>") {
			t.Errorf("%s: not an SVG: %.100s", tt.name, svg)
		}
		if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
			t.Errorf("%s: non-finite coordinates in %s", tt.name, svg)
		}
		if strings.Count(svg, "<text") > 60 {
			t.Errorf("%s: %d labels", tt.name, strings.Count(svg, "<text"))
		}
	}
	// The label is escaped.
	if svg := string(svgChart(`"><b>`, nil, nil, "")); strings.Contains(svg, "<b>") {
		t.Errorf("label not escaped: %s", svg)
	}
}

func TestFormatters(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{fmtCount(0), "0"}, {fmtCount(999), "999"}, {fmtCount(1000), "1,000"}, {fmtCount(-1234567), "-1,234,567"},
		{fmtMS(0.4242), "0.42"}, {fmtMS(4.26), "4.26"}, {fmtMS(42.26), "42.3"}, {fmtMS(1234.4), "1,234"}, {fmtMS(math.Inf(1)), "–"}, {fmtMS(1e300), "1e+300"},
		{fmtRate(3.14159), "3.14"}, {fmtRate(123456.7), "123,457"},
		{fmtPct(1, 3), "33.33%"}, {fmtPct(0, 0), "0.00%"},
		{fmtDuration(12.44), "12.4 s"}, {fmtDuration(303), "5 min 3 s"}, {fmtDuration(7503), "2 h 5 min 3 s"}, {fmtDuration(-1), "–"},
		{fmtValue(212.43219), "212.432"}, {fmtValue(0.05), "0.05"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
