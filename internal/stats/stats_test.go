package stats_test

import (
	"fmt"
	"github.com/jsload/jsload/internal/golden"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// t0 is a whole second, so that offsets from it fall in known seconds.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func findRow(t *testing.T, s *stats.Snapshot, typ, name string) *stats.Row {
	t.Helper()
	for _, r := range s.Rows {
		if r.Type == typ && r.Name == name {
			return r
		}
	}
	t.Fatalf("no row for (%q, %q)", typ, name)
	return nil
}

// want accumulates what a row must show, computed independently.
type want struct {
	requests, failures int64
	total              time.Duration
	min, max           time.Duration
	size               int64
	first, last        time.Time
	durations          []time.Duration
}

func (w *want) add(s stats.Sample) {
	d := max(s.Duration, 0)
	if w.requests == 0 || d < w.min {
		w.min = d
	}
	if w.requests == 0 || d > w.max {
		w.max = d
	}
	if w.requests == 0 || s.At.Before(w.first) {
		w.first = s.At
	}
	if w.requests == 0 || s.At.After(w.last) {
		w.last = s.At
	}
	w.requests++
	if s.Err != "" {
		w.failures++
	}
	w.total += d
	w.size += s.Size
	w.durations = append(w.durations, d)
}

func checkRow(t *testing.T, label string, r *stats.Row, w *want) {
	t.Helper()
	if r.Requests != w.requests || r.Failures != w.failures {
		t.Errorf("%s: requests/failures = %d/%d, want %d/%d", label, r.Requests, r.Failures, w.requests, w.failures)
	}
	if r.TotalTime != w.total || r.Min != w.min || r.Max != w.max || r.TotalSize != w.size {
		t.Errorf("%s: total %v min %v max %v size %d, want total %v min %v max %v size %d",
			label, r.TotalTime, r.Min, r.Max, r.TotalSize, w.total, w.min, w.max, w.size)
	}
	if !r.First.Equal(w.first) || !r.Last.Equal(w.last) {
		t.Errorf("%s: first/last = %v/%v, want %v/%v", label, r.First, r.Last, w.first, w.last)
	}
	if got, exp := r.Avg(), w.total/time.Duration(w.requests); got != exp {
		t.Errorf("%s: Avg() = %v, want %v", label, got, exp)
	}
	if got, exp := r.AvgMS(), float64(w.total)/1e6/float64(w.requests); math.Abs(got-exp) > 1e-9*exp {
		t.Errorf("%s: AvgMS() = %v, want %v", label, got, exp)
	}
	if got, exp := r.AvgSize(), float64(w.size)/float64(w.requests); got != exp {
		t.Errorf("%s: AvgSize() = %v, want %v", label, got, exp)
	}
	if got, exp := r.FailRatio(), float64(w.failures)/float64(w.requests); got != exp {
		t.Errorf("%s: FailRatio() = %v, want %v", label, got, exp)
	}
	if r.Hist == nil || r.Hist.Count() != uint64(w.requests) {
		t.Fatalf("%s: histogram does not hold %d values", label, w.requests)
	}
	sorted := slices.Clone(w.durations)
	slices.Sort(sorted)
	for _, q := range stats.Percentiles {
		exact := nearestRank(sorted, q)
		got := r.Percentile(q)
		if got != exact && !withinBound(got, exact) {
			t.Errorf("%s: Percentile(%v) = %v, exact %v", label, q, got, exact)
		}
		if got < r.Min || got > r.Max {
			t.Errorf("%s: Percentile(%v) = %v outside [%v, %v]", label, q, got, r.Min, r.Max)
		}
	}
	if r.Percentile(1) != w.max {
		t.Errorf("%s: Percentile(1) = %v, want the exact max %v", label, r.Percentile(1), w.max)
	}
	if r.Median() != r.Percentile(0.5) {
		t.Errorf("%s: Median() = %v, Percentile(0.5) = %v", label, r.Median(), r.Percentile(0.5))
	}
}

func TestRegistryRowsAndTotals(t *testing.T) {
	reg := stats.NewRegistry(4)
	reg.SetStart(t0)
	r := rand.New(rand.NewPCG(1, 2))
	keys := []stats.Key{
		{Type: "GET", Name: "/b"}, {Type: "POST", Name: "/a"}, {Type: "GET", Name: "/a"},
		{Type: "DELETE", Name: "/b"}, {Type: "grpc", Name: "Echo"}, {Type: "GET", Name: "/a?x"},
		{Type: "", Name: "no type"}, {Type: "GET", Name: ""},
	}
	wants := map[stats.Key]*want{}
	var total want
	for i := 0; i < 5000; i++ {
		k := keys[r.IntN(len(keys))]
		s := stats.Sample{
			Type:     k.Type,
			Name:     k.Name,
			Duration: logUniform(r, 50*time.Microsecond, 5*time.Second),
			Size:     r.Int64N(100_000),
			At:       at(time.Duration(r.Int64N(int64(30 * time.Second)))),
		}
		if r.IntN(7) == 0 {
			s.Err = fmt.Sprintf("HTTP %d", 500+r.IntN(3))
		}
		if r.IntN(50) == 0 {
			s.Duration = -time.Duration(r.IntN(1000)) // counts as zero
		}
		reg.Recorder(r.IntN(16)).Record(s) // the same key through many shards
		if wants[k] == nil {
			wants[k] = &want{}
		}
		wants[k].add(s)
		total.add(s)
	}
	snap := reg.Snapshot(at(30 * time.Second))

	if len(snap.Rows) != len(keys) {
		t.Fatalf("%d rows, want one per key: %d", len(snap.Rows), len(keys))
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b stats.Key) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
	for i, row := range snap.Rows {
		if row.Key != sorted[i] {
			t.Errorf("row %d is %+v, want %+v (sorted by name, then type)", i, row.Key, sorted[i])
		}
		checkRow(t, fmt.Sprintf("row %+v", row.Key), row, wants[row.Key])
	}

	if snap.Total == nil || snap.Total.Key != (stats.Key{Name: "Aggregated"}) {
		t.Fatalf("Total = %+v, want the Aggregated row", snap.Total)
	}
	checkRow(t, "Aggregated", snap.Total, &total)
	var agg stats.Histogram
	for _, row := range snap.Rows {
		agg.Merge(row.Hist)
	}
	if !slices.Equal(bucketsOf(snap.Total.Hist), bucketsOf(&agg)) {
		t.Error("Aggregated histogram is not the merge of the rows' histograms")
	}
	if !snap.Start.Equal(t0) || snap.Elapsed() != 30*time.Second {
		t.Errorf("Start %v, Elapsed %v; want %v, 30s", snap.Start, snap.Elapsed(), t0)
	}
}

func TestRecordExactValues(t *testing.T) {
	reg := stats.NewRegistry(2)
	rec := reg.Recorder(0)
	rec.Record(stats.Sample{Type: "GET", Name: "/", Duration: 10 * time.Millisecond, Size: 100, At: at(time.Second)})
	rec.Record(stats.Sample{Type: "GET", Name: "/", Duration: 20*time.Millisecond + 123, Size: 301, At: at(3 * time.Second)})
	reg.Recorder(1).Record(stats.Sample{Type: "GET", Name: "/", Duration: 1500 * time.Nanosecond, Size: 0, Err: "boom", At: at(2 * time.Second)})
	reg.Recorder(1).Record(stats.Sample{Type: "GET", Name: "/", Duration: -time.Second, At: at(500 * time.Millisecond)})
	row := reg.Snapshot(at(4 * time.Second)).Rows[0]

	if row.Requests != 4 || row.Failures != 1 {
		t.Errorf("requests/failures = %d/%d, want 4/1", row.Requests, row.Failures)
	}
	if row.Min != 0 || row.Max != 20*time.Millisecond+123 {
		t.Errorf("min/max = %v/%v, want 0/20.000123ms (negative durations count as 0)", row.Min, row.Max)
	}
	if want := 30*time.Millisecond + 1623; row.TotalTime != want || row.Avg() != want/4 {
		t.Errorf("total/avg = %v/%v, want %v/%v", row.TotalTime, row.Avg(), want, want/4)
	}
	if row.AvgSize() != 100.25 {
		t.Errorf("AvgSize() = %v, want 100.25", row.AvgSize())
	}
	if !row.First.Equal(at(500*time.Millisecond)) || !row.Last.Equal(at(3*time.Second)) {
		t.Errorf("first/last = %v/%v", row.First, row.Last)
	}
	if row.FailRatio() != 0.25 {
		t.Errorf("FailRatio() = %v, want 0.25", row.FailRatio())
	}

	// A zero At means now.
	before := time.Now()
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/now"})
	after := time.Now()
	now := reg.Snapshot(after)
	r := findRow(t, now, "GET", "/now")
	if r.First.Before(before) || r.Last.After(after) {
		t.Errorf("sample without At recorded at %v, not between %v and %v", r.First, before, after)
	}
}

func TestEmptyRowAndSnapshot(t *testing.T) {
	reg := stats.NewRegistry(0) // at least one shard
	reg.Recorder(-7).Record(stats.Sample{Type: "GET", Name: "/neg"})
	reg.Reset()
	s := reg.Snapshot(time.Now())
	if len(s.Rows) != 0 || len(s.Failures) != 0 || len(s.Exceptions) != 0 || s.HasErrors() {
		t.Fatalf("empty snapshot: %d rows, %d failures, %d exceptions", len(s.Rows), len(s.Failures), len(s.Exceptions))
	}
	tot := s.Total
	if tot == nil || tot.Requests != 0 || tot.Avg() != 0 || tot.AvgMS() != 0 || tot.AvgSize() != 0 ||
		tot.FailRatio() != 0 || tot.Percentile(0.5) != 0 || tot.Percentile(1) != 0 {
		t.Errorf("empty Aggregated row: %+v", tot)
	}
	if rq, fl := tot.RPS(time.Second); rq != 0 || fl != 0 {
		t.Errorf("empty RPS = %v/%v", rq, fl)
	}
	if rq, fl := tot.CurrentRPS(time.Now(), s.Start); rq != 0 || fl != 0 {
		t.Errorf("empty CurrentRPS = %v/%v", rq, fl)
	}
}

func TestRecorderAnyID(t *testing.T) {
	reg := stats.NewRegistry(3)
	ids := []int{0, 1, 2, 3, 1 << 40, -1, -4, math.MaxInt, math.MinInt}
	for _, id := range ids {
		reg.Recorder(id).Record(stats.Sample{Type: "GET", Name: "/", At: t0})
	}
	if got := reg.Snapshot(t0).Total.Requests; got != int64(len(ids)) {
		t.Errorf("recorded %d samples through recorders %v, got %d", len(ids), ids, got)
	}
}

func TestFailuresGrouped(t *testing.T) {
	reg := stats.NewRegistry(3)
	rec := func(i int, typ, name, err string, n int) {
		for j := 0; j < n; j++ {
			reg.Recorder(i + j).Record(stats.Sample{Type: typ, Name: name, Err: err, Duration: time.Millisecond, At: t0})
		}
	}
	rec(0, "GET", "/a", "HTTP 500", 5)
	rec(1, "GET", "/a", "HTTP 503", 2)
	rec(2, "POST", "/a", "HTTP 500", 2)
	rec(3, "GET", "/b", "HTTP 500", 2)
	rec(4, "GET", "/a", "", 10) // successes are not failures
	rec(5, "GET", "/c", "connection refused", 7)
	rec(6, "GET", "/a", "HTTP 500", 1)
	rec(7, "GET", "/b", "HTTP 404", 2)

	s := reg.Snapshot(t0)
	want := []stats.Failure{
		{Type: "GET", Name: "/c", Error: "connection refused", Count: 7},
		{Type: "GET", Name: "/a", Error: "HTTP 500", Count: 6},
		// ties: by name, then type, then error
		{Type: "GET", Name: "/a", Error: "HTTP 503", Count: 2},
		{Type: "POST", Name: "/a", Error: "HTTP 500", Count: 2},
		{Type: "GET", Name: "/b", Error: "HTTP 404", Count: 2},
		{Type: "GET", Name: "/b", Error: "HTTP 500", Count: 2},
	}
	if !slices.Equal(s.Failures, want) {
		t.Errorf("Failures =\n%v\nwant\n%v", s.Failures, want)
	}
	if s.Total.Failures != 21 || s.Total.Requests != 31 || !s.HasErrors() {
		t.Errorf("Aggregated failures/requests = %d/%d, HasErrors %v; want 21/31, true",
			s.Total.Failures, s.Total.Requests, s.HasErrors())
	}
	if r := findRow(t, s, "GET", "/a"); r.Failures != 8 || r.Requests != 18 {
		t.Errorf("GET /a failures/requests = %d/%d, want 8/18", r.Failures, r.Requests)
	}
}

func TestExceptionsGrouped(t *testing.T) {
	reg := stats.NewRegistry(4)
	a, b := reg.Recorder(0), reg.Recorder(1)
	a.RecordException("TypeError: x is undefined", "main.js:10:3", "first traceback")
	a.RecordException("TypeError: x is undefined", "main.js:10:3", "second traceback")
	b.RecordException("TypeError: x is undefined", "main.js:10:3", "other shard")
	a.RecordException("TypeError: x is undefined", "main.js:20:1", "tb at 20")
	a.RecordException("ReferenceError: y", "main.js:10:3", "tb y")
	a.RecordException("ReferenceError: y", "main.js:10:3", "tb y 2")
	b.RecordException("no position", "", "")

	s := reg.Snapshot(t0)
	if len(s.Rows) != 0 || s.Total.Requests != 0 {
		t.Errorf("exceptions created rows: %d", len(s.Rows))
	}
	if !s.HasErrors() {
		t.Error("HasErrors() = false with exceptions")
	}
	type ex struct {
		msg, pos string
		n        int64
	}
	var got []ex
	for _, x := range s.Exceptions {
		got = append(got, ex{x.Message, x.Position, x.Count})
	}
	want := []ex{ // most frequent first, then by position, then message
		{"TypeError: x is undefined", "main.js:10:3", 3},
		{"ReferenceError: y", "main.js:10:3", 2},
		{"no position", "", 1},
		{"TypeError: x is undefined", "main.js:20:1", 1},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Exceptions =\n%v\nwant\n%v", got, want)
	}
	// The first traceback recorded is kept, whichever shard has it.
	if tb := s.Exceptions[0].Traceback; tb != "first traceback" {
		t.Errorf("traceback %q, want the first one %q", tb, "first traceback")
	}
	if tb := s.Exceptions[1].Traceback; tb != "tb y" {
		t.Errorf("traceback %q, want the first one %q", tb, "tb y")
	}
	if tb := s.Exceptions[3].Traceback; tb != "tb at 20" {
		t.Errorf("traceback %q, want %q", tb, "tb at 20")
	}
}

func TestHasErrors(t *testing.T) {
	reg := stats.NewRegistry(1)
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/", At: t0})
	if reg.Snapshot(t0).HasErrors() {
		t.Error("HasErrors() with only successes")
	}
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/", Err: "x", At: t0})
	if !reg.Snapshot(t0).HasErrors() {
		t.Error("!HasErrors() with a failure")
	}
}

func TestRegistryReset(t *testing.T) {
	reg := stats.NewRegistry(4)
	reg.SetStart(t0)
	if !reg.Start().Equal(t0) {
		t.Fatalf("Start() = %v after SetStart(%v)", reg.Start(), t0)
	}
	old := reg.Recorder(2)
	for i := 0; i < 100; i++ {
		reg.Recorder(i).Record(stats.Sample{Type: "GET", Name: fmt.Sprint("/", i%5), Err: "e", Duration: time.Second, At: t0})
		reg.Recorder(i).RecordException("m", "p", "t")
	}
	before := time.Now()
	reg.Reset()
	after := time.Now()
	if st := reg.Start(); st.Before(before) || st.After(after) {
		t.Errorf("Start() = %v after Reset, want between %v and %v", st, before, after)
	}
	s := reg.Snapshot(after)
	if len(s.Rows) != 0 || len(s.Failures) != 0 || len(s.Exceptions) != 0 || s.Total.Requests != 0 || s.HasErrors() {
		t.Fatalf("after Reset: %d rows, %d failures, %d exceptions, %d requests",
			len(s.Rows), len(s.Failures), len(s.Exceptions), s.Total.Requests)
	}
	// Recorders obtained before Reset still record into the registry, and
	// counts start from zero.
	old.Record(stats.Sample{Type: "GET", Name: "/0", Duration: 3 * time.Millisecond, At: t0})
	old.RecordException("m", "p", "new")
	s = reg.Snapshot(after)
	if len(s.Rows) != 1 || s.Rows[0].Requests != 1 || s.Rows[0].Max != 3*time.Millisecond || s.Rows[0].Hist.Count() != 1 {
		t.Errorf("after Reset and one sample: %d rows, row %+v", len(s.Rows), s.Rows[0])
	}
	if len(s.Exceptions) != 1 || s.Exceptions[0].Count != 1 || s.Exceptions[0].Traceback != "new" {
		t.Errorf("after Reset and one exception: %+v", s.Exceptions)
	}
}

func TestPercentileClamps(t *testing.T) {
	reg := stats.NewRegistry(1)
	rec := reg.Recorder(0)
	// One sample: every percentile is that sample, exactly.
	one := 1234567891 * time.Nanosecond
	rec.Record(stats.Sample{Type: "T", Name: "one", Duration: one, At: t0})
	// Few samples in one bucket, off the bucket's middle.
	for _, d := range []time.Duration{100_000_001, 100_000_002, 100_000_003} {
		rec.Record(stats.Sample{Type: "T", Name: "tight", Duration: d, At: t0})
	}
	// Sub-microsecond precision below 512µs.
	for _, d := range []time.Duration{100_700, 200_300, 300_900} {
		rec.Record(stats.Sample{Type: "T", Name: "small", Duration: d, At: t0})
	}
	s := reg.Snapshot(t0)
	qs := append(quantiles(), 0, -1, 1.5)

	r := findRow(t, s, "T", "one")
	for _, q := range qs {
		if got := r.Percentile(q); got != one {
			t.Errorf("one sample: Percentile(%v) = %v, want %v", q, got, one)
		}
	}
	r = findRow(t, s, "T", "tight")
	for _, q := range qs {
		if got := r.Percentile(q); got < 100_000_001 || got > 100_000_003 {
			t.Errorf("tight: Percentile(%v) = %v outside [min, max]", q, got)
		}
	}
	if got := r.Percentile(1); got != 100_000_003 {
		t.Errorf("tight: Percentile(1) = %v, want the exact max", got)
	}
	r = findRow(t, s, "T", "small")
	for q, want := range map[float64]time.Duration{0.1: 100_700, 0.33: 100_700, 0.5: 200_000, 0.66: 200_000, 0.67: 300_900, 1: 300_900, 2: 300_900} {
		if got := r.Percentile(q); got != want {
			t.Errorf("small: Percentile(%v) = %v, want %v", q, got, want)
		}
	}
	prev := time.Duration(0)
	for i := 0; i <= 100; i++ {
		got := r.Percentile(float64(i) / 100)
		if got < prev {
			t.Errorf("Percentile(%v) = %v < Percentile at a lower q %v", float64(i)/100, got, prev)
		}
		prev = got
	}
}

func TestRPS(t *testing.T) {
	reg := stats.NewRegistry(2)
	for i := 0; i < 50; i++ {
		s := stats.Sample{Type: "GET", Name: "/", At: t0}
		if i%5 == 0 {
			s.Err = "x"
		}
		reg.Recorder(i).Record(s)
	}
	r := reg.Snapshot(t0).Rows[0]
	if rq, fl := r.RPS(20 * time.Second); rq != 2.5 || fl != 0.5 {
		t.Errorf("RPS(20s) = %v/%v, want 2.5/0.5", rq, fl)
	}
	if rq, fl := r.RPS(500 * time.Millisecond); rq != 100 || fl != 20 {
		t.Errorf("RPS(0.5s) = %v/%v, want 100/20", rq, fl)
	}
	for _, el := range []time.Duration{0, -time.Second} {
		if rq, fl := r.RPS(el); rq != 0 || fl != 0 {
			t.Errorf("RPS(%v) = %v/%v, want 0/0", el, rq, fl)
		}
	}
}

// recordPerSecond records i+1 requests in second i (at i.5 s) for i in
// [from, to), one of them failed when i is even. It returns the registry.
func recordPerSecond(shards, from, to int) *stats.Registry {
	reg := stats.NewRegistry(shards)
	reg.SetStart(t0)
	for i := from; i < to; i++ {
		for j := 0; j <= i; j++ {
			s := stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond,
				At: at(time.Duration(i)*time.Second + 500*time.Millisecond)}
			if i%2 == 0 && j == 0 {
				s.Err = "x"
			}
			reg.Recorder(j).Record(s)
		}
	}
	return reg
}

// expectedRate sums recordPerSecond's counts over seconds [from, to).
func expectedRate(from, to int) (reqs, fails float64) {
	for i := from; i < to; i++ {
		reqs += float64(i + 1)
		if i%2 == 0 {
			fails++
		}
	}
	n := float64(to - from)
	return reqs / n, fails / n
}

func TestCurrentRPS(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name     string
		now      time.Duration
		start    time.Duration
		from, to int // complete seconds averaged
	}{
		{"last 10 complete seconds", 30*sec + 200*time.Millisecond, 0, 20, 30},
		{"at a second's start", 30 * sec, 0, 20, 30},
		{"current second left out", 25*sec + 900*time.Millisecond, 0, 15, 25},
		{"recent start", 20*sec + 400*time.Millisecond, 17 * sec, 17, 20},
		{"start mid-second", 20*sec + 400*time.Millisecond, 17*sec + 600*time.Millisecond, 17, 20},
		{"start 10s ago", 20*sec + 400*time.Millisecond, 10 * sec, 10, 20},
		{"one second", 13*sec + 100*time.Millisecond, 12 * sec, 12, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Samples up to and including the current second, as a
			// live run would have them.
			reg := recordPerSecond(4, 0, int(tt.now/sec)+1)
			reg.SetStart(at(tt.start))
			s := reg.Snapshot(at(tt.now))
			rq, fl := s.Rows[0].CurrentRPS(s.Time, s.Start)
			wrq, wfl := expectedRate(tt.from, tt.to)
			if tt.start%sec != 0 {
				// The first second counts only from the start: the
				// window is shorter than its whole seconds.
				whole := float64(tt.to - tt.from)
				span := whole - float64(tt.start%sec)/float64(sec)
				wrq, wfl = wrq*whole/span, wfl*whole/span
			}
			if math.Abs(rq-wrq) > 1e-6 || math.Abs(fl-wfl) > 1e-6 {
				t.Errorf("CurrentRPS = %v/%v, want %v/%v (seconds %d-%d)", rq, fl, wrq, wfl, tt.from, tt.to-1)
			}
		})
	}

	// Less than one complete second since the start: all requests over
	// the elapsed time.
	reg := recordPerSecond(2, 5, 6) // 6 requests, 0 failures at 5.5 s
	row := reg.Snapshot(at(6 * time.Second)).Rows[0]
	rq, fl := row.CurrentRPS(at(5*time.Second+750*time.Millisecond), at(5*time.Second+250*time.Millisecond))
	if rq != 12 || fl != 0 {
		t.Errorf("half a second in: CurrentRPS = %v/%v, want 12/0", rq, fl)
	}
	if rq, fl := row.CurrentRPS(at(5*time.Second), at(5*time.Second)); rq != 0 || fl != 0 {
		t.Errorf("no time elapsed: CurrentRPS = %v/%v, want 0/0", rq, fl)
	}

	// Nothing in the window: zero, though older requests exist.
	reg = recordPerSecond(2, 0, 3)
	row = reg.Snapshot(at(100 * time.Second)).Rows[0]
	if rq, fl := row.CurrentRPS(at(100*time.Second), t0); rq != 0 || fl != 0 {
		t.Errorf("idle for a long time: CurrentRPS = %v/%v, want 0/0", rq, fl)
	}
}

// TestCurrentRPSLateSample records a sample whose time is long past (as a
// late or replayed sample would be) after a busy second: it must not erase
// that second from the current rate.
func TestCurrentRPSLateSample(t *testing.T) {
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	rec := reg.Recorder(0)
	for i := 0; i < 100; i++ {
		rec.Record(stats.Sample{Type: "GET", Name: "/", At: at(20*time.Second + 500*time.Millisecond)})
	}
	// 16 seconds earlier: the same slot of a 16-second ring.
	rec.Record(stats.Sample{Type: "GET", Name: "/", At: at(4*time.Second + 500*time.Millisecond)})
	rq, _ := reg.Snapshot(at(21 * time.Second)).Rows[0].CurrentRPS(at(21*time.Second), t0)
	if rq != 10 {
		t.Errorf("CurrentRPS = %v, want 10 (100 requests in the last 10 s)", rq)
	}
}

func TestAggregatedCurrentRPS(t *testing.T) {
	reg := stats.NewRegistry(3)
	reg.SetStart(t0)
	for i := 0; i < 10; i++ {
		for j, name := range []string{"/a", "/b", "/c"} {
			for k := 0; k <= j; k++ {
				reg.Recorder(k).Record(stats.Sample{Type: "GET", Name: name, At: at(time.Duration(i)*time.Second + 1)})
			}
		}
	}
	s := reg.Snapshot(at(10 * time.Second))
	if rq, _ := s.Total.CurrentRPS(s.Time, s.Start); rq != 6 {
		t.Errorf("Aggregated CurrentRPS = %v, want 6", rq)
	}
	if rq, _ := findRow(t, s, "GET", "/c").CurrentRPS(s.Time, s.Start); rq != 3 {
		t.Errorf("/c CurrentRPS = %v, want 3", rq)
	}
}

func TestSnapshotIsACopy(t *testing.T) {
	reg := stats.NewRegistry(2)
	rec := reg.Recorder(0)
	rec.Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, Err: "e", At: t0})
	rec.RecordException("m", "p", "t")
	s := reg.Snapshot(t0)
	buckets := bucketsOf(s.Rows[0].Hist)

	for i := 0; i < 10; i++ {
		rec.Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Hour, Err: "e", At: t0})
		rec.RecordException("m", "p", "t")
	}
	if r := s.Rows[0]; r.Requests != 1 || r.Max != time.Millisecond || r.Hist.Count() != 1 ||
		!slices.Equal(bucketsOf(r.Hist), buckets) || s.Failures[0].Count != 1 || s.Exceptions[0].Count != 1 {
		t.Error("recording changed an earlier snapshot")
	}
	// Changing a snapshot does not change the registry.
	s.Rows[0].Hist.Record(time.Minute)
	s.Merge(reg.Snapshot(t0))
	if got := reg.Snapshot(t0); got.Rows[0].Requests != 11 || got.Rows[0].Hist.Count() != 11 {
		t.Errorf("changing a snapshot changed the registry: %d requests", got.Rows[0].Requests)
	}
}

// sampleSet is a reproducible mix of samples and exceptions over 12 s.
type event struct {
	sample    stats.Sample
	exception [3]string // message, position, traceback; used when sample.Name == ""
}

func sampleSet(n int) []event {
	r := rand.New(rand.NewPCG(9, 9))
	names := []string{"/", "/login", "/items", "/items/[id]", "/checkout"}
	types := []string{"GET", "POST"}
	errs := []string{"HTTP 500", "HTTP 404", "timeout"}
	var evs []event
	for i := 0; i < n; i++ {
		if r.IntN(20) == 0 {
			evs = append(evs, event{exception: [3]string{
				fmt.Sprint("Error ", r.IntN(3)), fmt.Sprintf("s.js:%d:1", r.IntN(2)), fmt.Sprint("tb", i),
			}})
			continue
		}
		s := stats.Sample{
			Type:     types[r.IntN(len(types))],
			Name:     names[r.IntN(len(names))],
			Duration: logUniform(r, 100*time.Microsecond, 10*time.Second),
			Size:     r.Int64N(10_000),
			At:       at(time.Duration(r.Int64N(int64(12 * time.Second)))), // out of order
		}
		if r.IntN(8) == 0 {
			s.Err = errs[r.IntN(len(errs))]
		}
		evs = append(evs, event{sample: s})
	}
	return evs
}

func feed(reg *stats.Registry, evs []event) {
	for i, e := range evs {
		rec := reg.Recorder(i)
		if e.sample.Name == "" {
			rec.RecordException(e.exception[0], e.exception[1], e.exception[2])
		} else {
			rec.Record(e.sample)
		}
	}
}

// describe renders everything observable about a snapshot but tracebacks,
// which depend on which registry saw an exception first.
func describe(s *stats.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "start %v time %v users %d\n", s.Start, s.Time, s.Users)
	for _, r := range append(slices.Clone(s.Rows), s.Total) {
		fmt.Fprintf(&b, "%q %q: %d %d %v %v %v %d %v %v\n", r.Type, r.Name,
			r.Requests, r.Failures, r.TotalTime, r.Min, r.Max, r.TotalSize, r.First, r.Last)
		for _, q := range quantiles() {
			fmt.Fprintf(&b, " %v", r.Percentile(q))
		}
		for _, now := range []time.Duration{5 * time.Second, 12 * time.Second, 12*time.Second + 300*time.Millisecond, 15 * time.Second} {
			rq, fl := r.CurrentRPS(at(now), s.Start)
			fmt.Fprintf(&b, " %v/%v", rq, fl)
		}
		fmt.Fprintf(&b, "\n %v\n", bucketsOf(r.Hist))
	}
	for _, f := range s.Failures {
		fmt.Fprintf(&b, "failure %+v\n", f)
	}
	for _, x := range s.Exceptions {
		fmt.Fprintf(&b, "exception %q %q %d\n", x.Message, x.Position, x.Count)
	}
	return b.String()
}

func TestSnapshotMerge(t *testing.T) {
	evs := sampleSet(20_000)
	all := stats.NewRegistry(4)
	all.SetStart(t0)
	feed(all, evs)
	want := all.Snapshot(at(13 * time.Second))

	r := rand.New(rand.NewPCG(3, 3))
	var half1, half2 []event
	for _, e := range evs {
		if r.IntN(2) == 0 {
			half1 = append(half1, e)
		} else {
			half2 = append(half2, e)
		}
	}
	a, b := stats.NewRegistry(3), stats.NewRegistry(5)
	a.SetStart(t0)
	b.SetStart(t0.Add(2 * time.Second)) // Start becomes the earlier one
	feed(a, half1)
	feed(b, half2)
	sa := a.Snapshot(at(12 * time.Second)) // Time becomes the later one
	sb := b.Snapshot(at(13 * time.Second))
	sa.Users, sb.Users, want.Users = 3, 4, 7
	sbBefore := describe(sb)

	sa.Merge(sb)
	if got, exp := describe(sa), describe(want); got != exp {
		t.Errorf("merged snapshot differs from one registry fed all samples:\n%s", golden.FirstDiff(got, exp))
	}
	if got := describe(sb); got != sbBefore {
		t.Error("Merge changed its argument")
	}
	for _, x := range sa.Exceptions {
		if !strings.HasPrefix(x.Traceback, "tb") {
			t.Errorf("exception %q lost its traceback", x.Message)
		}
	}

	// Merging into an empty snapshot copies; the copy is independent.
	var empty stats.Snapshot
	empty.Merge(sb)
	if got := describe(&empty); got != sbBefore {
		t.Errorf("empty.Merge(s) differs from s:\n%s", golden.FirstDiff(got, sbBefore))
	}
	empty.Merge(sb)
	if got := describe(sb); got != sbBefore {
		t.Error("changing a merged copy changed its source")
	}
	if empty.Total.Requests != 2*sb.Total.Requests {
		t.Errorf("merging s twice: %d requests, want %d", empty.Total.Requests, 2*sb.Total.Requests)
	}
}
