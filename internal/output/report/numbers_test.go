package report

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// TestTimeColumnsAgree builds the JSON summary of many random sample sets
// (a fixed seed), writes and reads it back, and checks every row:
// min_ms <= "50" <= ... <= "100" == max_ms, median_ms == "50", and avg_ms
// within [min_ms, max_ms].
func TestTimeColumnsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 3))
	t0 := time.Unix(1_700_000_000, 0)
	for set := 0; set < 200; set++ {
		reg := stats.NewRegistry(3)
		reg.SetStart(t0)
		n := 1 + r.IntN(200)
		for i := 0; i < n; i++ {
			d := time.Duration(r.Int64N(int64(2 * time.Second)))
			if r.IntN(2) == 0 {
				d = 400*time.Millisecond + time.Duration(r.Int64N(int64(time.Millisecond)))
			}
			reg.Recorder(i).Record(stats.Sample{Type: "GET", Name: "/r" + strconv.Itoa(r.IntN(3)), Duration: d, At: t0.Add(time.Second)})
		}
		var b bytes.Buffer
		if err := WriteJSON(&b, Build(Meta{}, reg.Snapshot(t0.Add(5*time.Second)), nil, nil)); err != nil {
			t.Fatal(err)
		}
		s, err := ReadJSON(&b)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range append(s.Stats, s.Aggregated) {
			what := "set " + strconv.Itoa(set) + " " + st.Name
			if st.AvgMS < st.MinMS || st.AvgMS > st.MaxMS || st.MedianMS != st.Percentiles["50"] {
				t.Fatalf("%s: avg %v, median %v, p50 %v, min %v, max %v", what, st.AvgMS, st.MedianMS, st.Percentiles["50"], st.MinMS, st.MaxMS)
			}
			prev := st.MinMS
			for _, q := range stats.Percentiles {
				v, ok := st.Percentiles[PercentileKey(q)]
				if !ok || v < prev || v > st.MaxMS {
					t.Fatalf("%s: %s%% = %v after %v (min %v, max %v)", what, PercentileKey(q), v, prev, st.MinMS, st.MaxMS)
				}
				prev = v
			}
			if prev != st.MaxMS {
				t.Fatalf("%s: 100%% = %v, max = %v", what, prev, st.MaxMS)
			}
		}
	}
}

// TestRateUnderASecond: a run of one 1 ms request writes rates of 0 with
// rates_over_s under 1, and the HTML report shows "–" for them.
func TestRateUnderASecond(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, At: t0.Add(time.Millisecond)})
	end := t0.Add(1090 * time.Microsecond)
	s := Build(Meta{Start: t0, End: end}, reg.Snapshot(end), nil, nil)
	if s.Aggregated.RPS != 0 || s.Stats[0].RPS != 0 || s.RatesOver >= 1 {
		t.Errorf("rps %v / %v over %v s, want 0 over under 1 s", s.Aggregated.RPS, s.Stats[0].RPS, s.RatesOver)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if strings.Contains(html, ">0.00<") || strings.Contains(html, "917") || !strings.Contains(html, "– req/s") {
		t.Errorf("the HTML report shows a rate over 1 ms:\n%s", html)
	}
	// Over two seconds, the same request is a rate.
	end = t0.Add(2 * time.Second)
	s = Build(Meta{Start: t0, End: end}, reg.Snapshot(end), nil, nil)
	b.Reset()
	if err := WriteHTML(&b, s); err != nil {
		t.Fatal(err)
	}
	if s.Aggregated.RPS != 0.5 || !strings.Contains(b.String(), ">0.50<") {
		t.Errorf("over 2 s: rps %v", s.Aggregated.RPS)
	}
}
