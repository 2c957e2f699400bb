package stats_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// randomDurations is a sample set drawn from r: a mix of shapes (narrow,
// wide, bimodal, sub-millisecond, values on .5 ms) so that rounding meets
// every case, including halves.
func randomDurations(r *rand.Rand) []time.Duration {
	n := 1 + r.IntN(400)
	out := make([]time.Duration, n)
	shape := r.IntN(5)
	for i := range out {
		var d time.Duration
		switch shape {
		case 0: // around 400 ms, to the nanosecond
			d = 395*time.Millisecond + time.Duration(r.Int64N(int64(10*time.Millisecond)))
		case 1: // 0 to 5 s
			d = time.Duration(r.Int64N(int64(5 * time.Second)))
		case 2: // bimodal
			d = time.Duration(r.Int64N(int64(2*time.Millisecond))) + time.Duration(r.IntN(2))*time.Second
		case 3: // sub-millisecond
			d = time.Duration(r.Int64N(int64(time.Millisecond)))
		default: // exact halves of a millisecond
			d = time.Duration(r.IntN(2000)) * 500 * time.Microsecond
		}
		out[i] = d
	}
	return out
}

// TestRoundedColumnsOrdered is the property behind every table and file:
// with the one rounding rule (RoundMS), min <= p50 <= ... <= p100 == max,
// and min <= average <= max, over many random sample sets.
func TestRoundedColumnsOrdered(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 10))
	for set := 0; set < 500; set++ {
		reg := stats.NewRegistry(3)
		for i, d := range randomDurations(r) {
			reg.Recorder(i).Record(stats.Sample{Type: "GET", Name: "/", Duration: d, At: t0})
		}
		row := reg.Snapshot(t0.Add(time.Second)).Total
		lo, hi := stats.RoundMS(row.Min), stats.RoundMS(row.Max)
		prev := lo
		for _, q := range stats.Percentiles {
			v := stats.RoundMS(row.Percentile(q))
			if v < prev || v > hi {
				t.Fatalf("set %d: p%g = %d ms, previous column %d, max %d (min %v, max %v)", set, q*100, v, prev, hi, row.Min, row.Max)
			}
			prev = v
		}
		if prev != hi {
			t.Fatalf("set %d: p100 = %d ms, max = %d ms", set, prev, hi)
		}
		if m := stats.RoundMS(row.Median()); m < lo || m > hi {
			t.Fatalf("set %d: median %d ms outside [%d, %d]", set, m, lo, hi)
		}
		if a := stats.RoundMS(row.Avg()); a < lo || a > hi {
			t.Fatalf("set %d: average %d ms outside [%d, %d]", set, a, lo, hi)
		}
	}
}

func TestRoundMS(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		0: 0, 400 * time.Millisecond: 400, 400_499_999: 400, 400_500_000: 400, 401_500_000: 402,
		400_500_001: 401, 400_700_000: 401, 499_999: 0, 500_000: 0, 1_500_000: 2,
	} {
		if got := stats.RoundMS(d); got != want {
			t.Errorf("RoundMS(%v) = %d, want %d", d, got, want)
		}
	}
}

// TestRatesUnderASecond: a rate computed over less than a second is not
// Known (the --single-user run of one 1 ms request would otherwise be
// 1000 req/s), over the run and in the recent window.
func TestRatesUnderASecond(t *testing.T) {
	reg := stats.NewRegistry(1)
	start := t0.Add(500 * time.Millisecond) // mid-second
	reg.SetStart(start)
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, At: start.Add(time.Millisecond)})
	row := reg.Snapshot(start.Add(time.Millisecond)).Total

	if r := row.RunRate(time.Millisecond); r.Known() || r.Reqs != 1000 {
		t.Errorf("over 1 ms: %+v, want 1000 req/s not Known", r)
	}
	if q, f := row.RunRate(time.Millisecond).Or0(); q != 0 || f != 0 {
		t.Errorf("Or0 over 1 ms = %v/%v, want 0/0", q, f)
	}
	if r := row.RunRate(2 * time.Second); !r.Known() || r.Reqs != 0.5 {
		t.Errorf("over 2 s: %+v, want 0.5 req/s Known", r)
	}
	for _, tt := range []struct {
		now   time.Duration // after start
		over  time.Duration
		known bool
	}{
		{0, 0, false},
		{time.Millisecond, time.Millisecond, false},
		{300 * time.Millisecond, 300 * time.Millisecond, false}, // same second as the start
		{700 * time.Millisecond, 500 * time.Millisecond, false}, // one complete second, half of it after the start
		{1700 * time.Millisecond, 1500 * time.Millisecond, true},
		{20 * time.Second, stats.CurrentWindow * time.Second, true},
	} {
		c := row.CurrentRate(start.Add(tt.now), start)
		if c.Over != tt.over || c.Known() != tt.known {
			t.Errorf("%v in: CurrentRate over %v (Known %v), want over %v (Known %v)", tt.now, c.Over, c.Known(), tt.over, tt.known)
		}
		q, f := row.CurrentRPS(start.Add(tt.now), start)
		if q != c.Reqs || f != c.Fails {
			t.Errorf("%v in: CurrentRPS %v/%v differs from CurrentRate %+v", tt.now, q, f, c)
		}
	}
}

// TestExceptionFirstConcurrent: VUs on different shards raise the same
// group at once; exactly one of them is told it is the first, and the
// snapshot keeps that one's message, whatever the shards' order.
func TestExceptionFirstConcurrent(t *testing.T) {
	for round := 0; round < 200; round++ {
		reg := stats.NewRegistry(8)
		const vus = 8
		var wg sync.WaitGroup
		start := make(chan struct{})
		firsts := make(chan string, vus)
		for i := 0; i < vus; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				msg := "TypeError: value " + string(rune('a'+i)) + " is undefined"
				<-start
				if reg.Recorder(i).RecordException(msg, "main.js:3:5", "at main.js:3:5 ("+msg+")") {
					firsts <- msg
				}
			}()
		}
		close(start)
		wg.Wait()
		close(firsts)
		var got []string
		for m := range firsts {
			got = append(got, m)
		}
		if len(got) != 1 {
			t.Fatalf("round %d: %d occurrences reported first, want 1: %q", round, len(got), got)
		}
		s := reg.Snapshot(time.Now())
		if len(s.Exceptions) != 1 || s.Exceptions[0].Count != vus {
			t.Fatalf("round %d: exceptions %+v, want one group of %d", round, s.Exceptions, vus)
		}
		if x := s.Exceptions[0]; x.Message != got[0] || x.Traceback != "at main.js:3:5 ("+got[0]+")" {
			t.Fatalf("round %d: the table keeps %q, the first reported (logged) was %q", round, x.Message, got[0])
		}
		// A second recording of the group is not first; Reset forgets it.
		if reg.Recorder(0).RecordException("TypeError: z", "main.js:3:5", "") {
			t.Fatalf("round %d: a later occurrence reported first", round)
		}
		reg.Reset()
		if !reg.Recorder(0).RecordException("TypeError: z", "main.js:3:5", "") {
			t.Fatalf("round %d: after Reset, the group's occurrence is not first", round)
		}
	}
}

// TestExceptionFirstAnyMergeOrder: workers' deltas and snapshots merged in
// any order keep the occurrence recorded first (ties: the smaller
// message), also through the wire form.
func TestExceptionFirstAnyMergeOrder(t *testing.T) {
	mk := func(msg string, first time.Time, n int64) *stats.Snapshot {
		return &stats.Snapshot{Exceptions: []stats.Exception{{Message: msg, Position: "a.js:1:1", Traceback: "tb " + msg, Count: n, First: first}}}
	}
	wire := func(s *stats.Snapshot) *stats.Snapshot {
		d, err := stats.DecodeSnapshot(stats.AppendSnapshot(nil, s))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	early := mk("TypeError: early", t0.Add(time.Second), 2)
	late := mk("TypeError: late", t0.Add(2*time.Second), 3)
	tieA := mk("TypeError: a", t0.Add(time.Second), 1)
	tieB := mk("TypeError: b", t0.Add(time.Second), 1)
	zero := mk("TypeError: 0", time.Time{}, 1) // from an older sender: no time
	for _, tt := range []struct {
		name string
		in   []*stats.Snapshot
		want string
	}{
		{"earlier first", []*stats.Snapshot{early, late}, "TypeError: early"},
		{"tie", []*stats.Snapshot{tieA, tieB}, "TypeError: a"},
		{"unknown time last", []*stats.Snapshot{zero, late}, "TypeError: late"},
	} {
		perms := [][]*stats.Snapshot{tt.in, {tt.in[1], tt.in[0]}}
		for i, order := range perms {
			// Snapshot.Merge.
			s := &stats.Snapshot{}
			for _, o := range order {
				s.Merge(o)
			}
			// A master absorbing its workers' deltas, decoded from the wire.
			master := stats.NewRegistry(1)
			for _, o := range order {
				master.Absorb(wire(o))
			}
			m := master.Snapshot(t0)
			for what, got := range map[string]*stats.Snapshot{"Merge": s, "Absorb": m} {
				if len(got.Exceptions) != 1 {
					t.Fatalf("%s, order %d, %s: %+v", tt.name, i, what, got.Exceptions)
				}
				x := got.Exceptions[0]
				if x.Message != tt.want || x.Traceback != "tb "+tt.want {
					t.Errorf("%s, order %d, %s: kept %q (%q), want %q", tt.name, i, what, x.Message, x.Traceback, tt.want)
				}
			}
		}
	}
	// Every delta a worker drains names the same first occurrence.
	w := stats.NewRegistry(2)
	w.Recorder(0).RecordException("TypeError: one", "a.js:1:1", "")
	d1 := w.Drain(t0)
	w.Recorder(1).RecordException("TypeError: two", "a.js:1:1", "")
	d2 := w.Drain(t0)
	if d1.Exceptions[0].Message != "TypeError: one" || d2.Exceptions[0].Message != "TypeError: one" || !d1.Exceptions[0].First.Equal(d2.Exceptions[0].First) {
		t.Errorf("drained deltas name %+v and %+v, want the first occurrence in both", d1.Exceptions, d2.Exceptions)
	}
}
