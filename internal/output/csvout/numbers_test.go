package csvout

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// timeColumns checks one record's response-time columns: median and
// average within [min, max], and round(min) <= p50 <= ... <= p100 ==
// round(max) (the percentiles are whole ms; min and max keep decimals, as
// Locust's). minCol,
// maxCol, medCol and avgCol index the record; the percentiles are the
// columns from pctCol on.
func timeColumns(t *testing.T, what string, rec []string, minCol, maxCol, medCol, avgCol, pctCol int) {
	t.Helper()
	num := func(i int) float64 {
		v, err := strconv.ParseFloat(rec[i], 64)
		if err != nil {
			t.Fatalf("%s: column %d is %q in %q", what, i, rec[i], rec)
		}
		return v
	}
	lo, hi := num(minCol), num(maxCol)
	if m, a := num(medCol), num(avgCol); m < lo || m > hi || a < lo || a > hi {
		t.Fatalf("%s: median %v, average %v outside [%v, %v]: %q", what, m, a, lo, hi, rec)
	}
	lo, hi = math.RoundToEven(lo), math.RoundToEven(hi)
	prev := lo
	for i := pctCol; i < pctCol+len(percentLabels()); i++ {
		v := num(i)
		if v < prev || v > hi {
			t.Fatalf("%s: %s = %v after %v (min %v, max %v): %q", what, percentLabels()[i-pctCol], v, prev, lo, hi, rec)
		}
		prev = v
	}
	if prev != hi {
		t.Fatalf("%s: 100%% = %v, max = %v: %q", what, prev, hi, rec)
	}
}

// TestTimeColumnsAgree writes the stats and history files of many random
// sample sets (a fixed seed) and checks every row with requests:
// min <= p50 <= ... <= p100 == max, median and average within [min, max].
func TestTimeColumnsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2))
	for set := 0; set < 300; set++ {
		var samples []sample
		n := 1 + r.IntN(200)
		for i := 0; i < n; i++ {
			v := r.Float64() * 2000
			switch r.IntN(3) {
			case 0:
				v = 400 + r.Float64() // Max 400.x, which Locust's files write beside a 100% of 401
			case 1:
				v = float64(r.IntN(20)) + 0.5
			}
			samples = append(samples, sample{Type: "GET", Name: "/r" + strconv.Itoa(r.IntN(3)), MS: v, At: 0.1 + r.Float64()*4})
		}
		s := snapshot(samples, nil, 5*time.Second, 1)
		for i, rec := range parseCSV(t, StatsCSV(s))[1:] {
			timeColumns(t, "set "+strconv.Itoa(set)+" stats row "+strconv.Itoa(i), rec, 6, 7, 4, 5, 11)
		}
		for i, rec := range parseCSV(t, historyRows(s, s.Time.Unix(), false, nil)) {
			timeColumns(t, "set "+strconv.Itoa(set)+" history row "+strconv.Itoa(i), rec, 21, 22, 19, 20, 6)
		}
	}
}

// TestRateUnderASecondIsZero: a --single-user run of one 1 ms request
// would be 1000 req/s; the stats file writes 0.0, which keeps the column
// numeric (the console shows "-"), and so does the history in the run's
// first moments.
func TestRateUnderASecondIsZero(t *testing.T) {
	s := snapshot([]sample{{Type: "GET", Name: "/", MS: 1.09, At: 0.0001}}, nil, 1090*time.Microsecond, 1)
	recs := parseCSV(t, StatsCSV(s))
	for _, rec := range recs[1:] {
		if rec[9] != "0.0" || rec[10] != "0.0" {
			t.Errorf("row %q: Requests/s %s, Failures/s %s, want 0.0", rec[1], rec[9], rec[10])
		}
	}
	for _, rec := range parseCSV(t, historyRows(s, s.Time.Unix(), false, nil)) {
		if rec[4] != "0.000000" || rec[5] != "0.000000" {
			t.Errorf("history: %s/%s, want 0.000000", rec[4], rec[5])
		}
	}
	// Two seconds are a rate.
	s = snapshot([]sample{{Type: "GET", Name: "/", MS: 1.09, At: 0.0001}}, nil, 2*time.Second, 1)
	if rec := parseCSV(t, StatsCSV(s))[1]; rec[9] != "0.5" {
		t.Errorf("over 2 s: Requests/s %s, want 0.5", rec[9])
	}
}

// TestHistoryNoRepeatedRow: the final snapshot, taken in the second of the
// last tick, replaces that tick's rows instead of adding a second set with
// the same timestamp (the history repeated its last row), with and
// without full history; timestamps strictly increase from set to set.
func TestHistoryNoRepeatedRow(t *testing.T) {
	for _, full := range []bool{false, true} {
		prefix := filepath.Join(t.TempDir(), "h")
		w, err := New(prefix, full)
		if err != nil {
			t.Fatal(err)
		}
		var samples []sample
		for i := 0; i < 60; i++ {
			samples = append(samples, sample{Type: "GET", Name: "/" + strconv.Itoa(i%2), MS: float64(i), At: 0.05 + float64(i)*0.05})
		}
		snaps := ticks(samples, 3) // at 1.2, 2.2 and 3.2 s
		for _, s := range snaps {
			if err := w.Tick(s); err != nil {
				t.Fatal(err)
			}
		}
		// The run stops 0.3 s after the last tick: same second, same
		// counts (the row that was repeated).
		last := *snaps[2]
		last.Time = last.Time.Add(300 * time.Millisecond)
		if err := w.Final(&last); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		recs := parseCSV(t, readFile(t, prefix+"_stats_history.csv"))[1:]
		var aggs [][]string
		for i, rec := range recs {
			if i > 0 && slices.Equal(rec, recs[i-1]) {
				t.Errorf("full=%v: row %d repeats row %d: %q", full, i, i-1, rec)
			}
			if rec[3] == "Aggregated" {
				aggs = append(aggs, rec)
			}
		}
		if len(aggs) != 3 {
			t.Errorf("full=%v: %d Aggregated rows, want one per second (3):\n%q", full, len(aggs), recs)
		}
		for i := 1; i < len(aggs); i++ {
			a, _ := strconv.ParseInt(aggs[i-1][0], 10, 64)
			b, _ := strconv.ParseInt(aggs[i][0], 10, 64)
			if b <= a {
				t.Errorf("full=%v: timestamp %d after %d", full, b, a)
			}
		}
		if want := 2 + 1; full && len(recs) != 3*want {
			t.Errorf("full=%v: %d rows, want %d", full, len(recs), 3*want)
		}
		if got := strings.Count(readFile(t, prefix+"_stats_history.csv"), "\r\n"); got != len(recs)+1 {
			t.Errorf("full=%v: %d lines for %d records and the header", full, got, len(recs))
		}
	}
}
