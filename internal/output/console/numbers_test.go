package console

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// tableCells returns, by row name, the Avg Min Max Med cells of the stats
// table and the percentile cells of the percentile table in text.
func tableCells(t *testing.T, text string) (times, pcts map[string][]int64) {
	t.Helper()
	times, pcts = map[string][]int64{}, map[string][]int64{}
	nums := func(fields []string) []int64 {
		var out []int64
		for _, f := range fields {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatalf("cell %q is not a whole number in\n%s", f, text)
			}
			out = append(out, v)
		}
		return out
	}
	inPct := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, percentilesTitle):
			inPct = true
		case l == "" || strings.HasPrefix(l, "Type") || strings.HasPrefix(l, "---"):
		case !inPct:
			head, rest, ok := strings.Cut(l, "%) |")
			if !ok {
				t.Fatalf("stats row %q", l)
			}
			name := strings.Fields(head)[len(strings.Fields(head))-3]
			cells, _, _ := strings.Cut(rest, "|")
			times[name] = nums(strings.Fields(cells))
		default:
			f := strings.Fields(l)
			pcts[f[len(f)-len(stats.Percentiles)-2]] = nums(f[len(f)-len(stats.Percentiles)-1 : len(f)-1])
		}
	}
	return times, pcts
}

// TestTimeColumnsAgree prints the summary of many random sample sets (a
// fixed seed) and checks every row: min <= p50 <= ... <= p100 == max, and
// average and median within [min, max].
func TestTimeColumnsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 1))
	for set := 0; set < 300; set++ {
		var samples []sample
		n := 1 + r.IntN(200)
		for i := 0; i < n; i++ {
			v := r.Float64() * 1000
			switch r.IntN(3) {
			case 0:
				v = 400 + r.Float64() // 400.x: Locust prints Max 400 and 100% 401
			case 1:
				v = float64(r.IntN(20)) + 0.5 // halves
			}
			samples = append(samples, sample{typ: "GET", name: "/r" + strconv.Itoa(r.IntN(3)), ms: v, at: r.Float64() * 5})
		}
		var b bytes.Buffer
		Printer{NameWidth: 20}.PrintSummary(&b, snapshot(samples, nil, 5*time.Second))
		times, pcts := tableCells(t, b.String())
		if len(times) == 0 || len(times) != len(pcts) {
			t.Fatalf("set %d: rows %v and %v in\n%s", set, times, pcts, b.String())
		}
		for name, c := range times {
			avg, lo, hi, med := c[0], c[1], c[2], c[3]
			p := pcts[name]
			if avg < lo || avg > hi || med < lo || med > hi || med != p[0] {
				t.Fatalf("set %d, %s: avg %d, min %d, max %d, median %d, p50 %d\n%s", set, name, avg, lo, hi, med, p[0], b.String())
			}
			prev := lo
			for i, v := range p {
				if v < prev || v > hi {
					t.Fatalf("set %d, %s: %s = %d after %d (min %d, max %d)\n%s", set, name, percentLabel(stats.Percentiles[i]), v, prev, lo, hi, b.String())
				}
				prev = v
			}
			if prev != hi {
				t.Fatalf("set %d, %s: 100%% = %d, max = %d\n%s", set, name, prev, hi, b.String())
			}
		}
	}
}

// TestRateUnderASecondIsADash: a --single-user run of one quick request
// (1 ms of elapsed time) would be 1000 req/s; it shows "-", in the final
// table and the periodic one.
func TestRateUnderASecondIsADash(t *testing.T) {
	one := []sample{{typ: "GET", name: "/", ms: 1.09, at: 0.0011}}
	for _, current := range []bool{false, true} {
		var b bytes.Buffer
		Printer{NameWidth: 20}.PrintStats(&b, snapshot(one, nil, 1090*time.Microsecond), current)
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.Contains(l, "%) |") && !strings.HasSuffix(l, "|       -           -") {
				t.Errorf("current=%v: row %q shows a rate over 1 ms", current, l)
			}
		}
	}
	// A second or more is a rate.
	var b bytes.Buffer
	Printer{NameWidth: 20}.PrintStats(&b, snapshot(one, nil, 2*time.Second), false)
	if !strings.Contains(b.String(), "|    0.50        0.00") {
		t.Errorf("over 2 s:\n%s", b.String())
	}
}

func TestRateCells(t *testing.T) {
	for _, tt := range []struct {
		r          stats.Rate
		reqs, fail string
	}{
		{stats.Rate{Reqs: 917.4, Fails: 0, Over: time.Millisecond}, "-", "-"},
		{stats.Rate{Reqs: 8.255, Fails: 0.125, Over: 999 * time.Millisecond}, "-", "-"},
		{stats.Rate{Reqs: 8.255, Fails: 0.125, Over: time.Second}, "8.26", "0.12"},
		{stats.Rate{}, "-", "-"},
	} {
		if q, f := RateCells(tt.r); q != tt.reqs || f != tt.fail {
			t.Errorf("RateCells(%+v) = %q, %q; want %q, %q", tt.r, q, f, tt.reqs, tt.fail)
		}
	}
}
