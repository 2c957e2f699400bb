package stats_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// wireSamples is a reproducible mix of successes, failures, spread-out
// durations, scheduled times, exceptions and checks.
func wireSamples(n int, seed uint64) []stats.Sample {
	rng := rand.New(rand.NewPCG(seed, 7))
	names := []string{"/", "/items", "/cart", "/login"}
	out := make([]stats.Sample, n)
	for i := range out {
		s := stats.Sample{
			Type:     []string{"GET", "POST"}[rng.IntN(2)],
			Name:     names[rng.IntN(len(names))],
			Duration: time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond)),
			Size:     int64(rng.IntN(5000)),
			At:       at(time.Duration(rng.IntN(30_000)) * time.Millisecond),
		}
		if rng.IntN(10) == 0 {
			s.Err = []string{"500 Server Error: Internal Server Error", "connection refused"}[rng.IntN(2)]
		}
		if rng.IntN(3) == 0 {
			s.Scheduled = s.Duration + time.Duration(rng.IntN(1000))*time.Microsecond
		}
		out[i] = s
	}
	return out
}

func recordAll(rec stats.Recorder, samples []stats.Sample, from, to int) {
	for i := from; i < to; i++ {
		rec.Record(samples[i])
		if i%97 == 0 {
			rec.RecordException("TypeError: x is undefined", "a.js:3:5", "at a.js:3:5")
		}
		rec.RecordCheck("status is 200", samples[i].Err == "")
		if i%50 == 0 {
			rec.RecordDropped(1)
			rec.RecordCutOff(2)
		}
	}
}

// TestDistributedEqualsSingle records the same samples once in one
// registry, and once split over three "workers" whose deltas (drained
// several times, encoded, decoded) are absorbed by a "master": every count,
// percentile, current rate and group must be the same.
func TestDistributedEqualsSingle(t *testing.T) {
	samples := wireSamples(30_000, 1)
	single := stats.NewRegistry(4)
	single.SetStart(t0)
	recordAll(single.Recorder(0), samples, 0, len(samples))

	master := stats.NewRegistry(4)
	master.SetStart(t0)
	workers := []*stats.Registry{stats.NewRegistry(2), stats.NewRegistry(3), stats.NewRegistry(1)}
	// Each worker records a third of the samples, in chunks, draining after
	// every chunk (some drains are empty).
	for chunk := 0; chunk < 10; chunk++ {
		for w, reg := range workers {
			lo := (chunk*len(workers) + w) * len(samples) / (10 * len(workers))
			hi := (chunk*len(workers) + w + 1) * len(samples) / (10 * len(workers))
			recordAll(reg.Recorder(chunk), samples, lo, hi)
			for k := 0; k < 2; k++ {
				b := stats.AppendSnapshot(nil, reg.Drain(t0))
				if (chunk+w)%2 == 0 {
					// As a master does: straight from the wire form.
					if err := master.AbsorbWire(b); err != nil {
						t.Fatal(err)
					}
					continue
				}
				d, err := stats.DecodeSnapshot(b)
				if err != nil {
					t.Fatal(err)
				}
				master.Absorb(d)
			}
		}
	}
	now := at(31 * time.Second)
	a, b := single.Snapshot(now), master.Snapshot(now)
	if len(a.Rows) != len(b.Rows) {
		t.Fatalf("rows: %d, want %d", len(b.Rows), len(a.Rows))
	}
	qs := []float64{0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1}
	for i, ra := range append(a.Rows, a.Total) {
		rb := append(b.Rows, b.Total)[i]
		if ra.Key != rb.Key || ra.Requests != rb.Requests || ra.Failures != rb.Failures || ra.TotalTime != rb.TotalTime ||
			ra.Min != rb.Min || ra.Max != rb.Max || ra.TotalSize != rb.TotalSize || !ra.First.Equal(rb.First) || !ra.Last.Equal(rb.Last) {
			t.Errorf("row %v differs:\n single %+v\n merged %+v", ra.Key, ra, rb)
		}
		for _, q := range qs {
			if pa, pb := ra.Percentile(q), rb.Percentile(q); pa != pb {
				t.Errorf("%v p%g: merged %v, single %v", ra.Key, q*100, pb, pa)
			}
			if pa, pb := ra.SchedPercentile(q), rb.SchedPercentile(q); pa != pb {
				t.Errorf("%v scheduled p%g: merged %v, single %v", ra.Key, q*100, pb, pa)
			}
		}
		qa, fa := ra.CurrentRPS(now, t0)
		qb, fb := rb.CurrentRPS(now, t0)
		if qa != qb || fa != fb {
			t.Errorf("%v current rates: merged %g/%g, single %g/%g", ra.Key, qb, fb, qa, fa)
		}
	}
	if !reflect.DeepEqual(a.Failures, b.Failures) || !reflect.DeepEqual(withoutFirst(a.Exceptions), withoutFirst(b.Exceptions)) || !reflect.DeepEqual(a.Checks, b.Checks) || a.Dropped != b.Dropped || a.CutOff != b.CutOff || a.CutOff == 0 {
		t.Errorf("groups differ:\n single %+v %+v %+v %d %d\n merged %+v %+v %+v %d %d", a.Failures, a.Exceptions, a.Checks, a.Dropped, a.CutOff, b.Failures, b.Exceptions, b.Checks, b.Dropped, b.CutOff)
	}
	if a.Total.Requests != int64(len(samples)) {
		t.Fatalf("total %d, want %d", a.Total.Requests, len(samples))
	}
	// Drained registries are empty; Reset discards what was absorbed.
	for _, w := range workers {
		if d := w.Drain(now); len(d.Rows) != 0 || d.Dropped != 0 || d.CutOff != 0 || len(d.Checks) != 0 {
			t.Errorf("a drained registry still holds %+v", d)
		}
	}
	master.Reset()
	if s := master.Snapshot(now); s.Total.Requests != 0 || len(s.Checks) != 0 || len(s.Exceptions) != 0 {
		t.Errorf("after Reset: %d requests, %d checks, %d exceptions", s.Total.Requests, len(s.Checks), len(s.Exceptions))
	}
}

func TestWireCompact(t *testing.T) {
	size := func(n int) int {
		reg := stats.NewRegistry(1)
		recordAll(reg.Recorder(0), wireSamples(n, 2), 0, n)
		return len(stats.AppendSnapshot(nil, reg.Drain(t0)))
	}
	// The size follows the buckets in use (more of the tail is seen with
	// more samples), not the number of samples: less than a byte each.
	small, big := size(10_000), size(100_000)
	if big > 4*small || big > 100_000 {
		t.Errorf("10,000 samples encode to %d bytes, 100,000 to %d", small, big)
	}
}

func TestDecodeRejects(t *testing.T) {
	reg := stats.NewRegistry(1)
	recordAll(reg.Recorder(0), wireSamples(100, 3), 0, 100)
	good := stats.AppendSnapshot(nil, reg.Drain(t0))
	for name, b := range map[string][]byte{
		"empty":     nil,
		"magic":     []byte("XYZ\x01\x00"),
		"version":   append([]byte("JSS\x09"), good[4:]...),
		"truncated": good[:len(good)/2],
		"trailing":  append(append([]byte{}, good...), 0),
	} {
		if _, err := stats.DecodeSnapshot(b); !errors.Is(err, stats.ErrWire) {
			t.Errorf("%s: err = %v, want ErrWire", name, err)
		}
		reg := stats.NewRegistry(1)
		if err := reg.AbsorbWire(b); !errors.Is(err, stats.ErrWire) {
			t.Errorf("%s: AbsorbWire err = %v, want ErrWire", name, err)
		}
		if s := reg.Snapshot(t0); s.Total.Requests != 0 || len(s.Failures)+len(s.Exceptions)+len(s.Checks) != 0 {
			t.Errorf("%s: a rejected delta was absorbed in part", name)
		}
	}
}

func FuzzDecodeSnapshot(f *testing.F) {
	reg := stats.NewRegistry(1)
	recordAll(reg.Recorder(0), wireSamples(200, 4), 0, 200)
	f.Add(stats.AppendSnapshot(nil, reg.Drain(t0)))
	f.Add(stats.AppendSnapshot(nil, &stats.Snapshot{}))
	// Metrics of every kind and sub-metrics (wire version 4).
	mreg := stats.NewRegistry(1)
	mreg.Want(stats.Wants{HTTP: []stats.Filter{nil}, Metrics: map[string][]stats.Filter{"iterations": {nil}, "t": {stats.NewFilter(map[string]string{"k": "v"})}}})
	mrec := mreg.Recorder(0)
	for i, k := range []stats.MetricKind{stats.KindCounter, stats.KindGauge, stats.KindRate, stats.KindTrend} {
		mrec.AddMetric(k.String(), k, i == 3, float64(i), nil)
	}
	mrec.AddMetric("t", stats.KindTrend, true, 2.5, &stats.Tags{Extra: map[string]string{"k": "v"}})
	mrec.RecordIteration(time.Millisecond, nil)
	mrec.Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, HTTP: true, Status: 200, At: t0})
	f.Add(stats.AppendSnapshot(nil, mreg.Drain(t0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := stats.DecodeSnapshot(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		s2, err := stats.DecodeSnapshot(stats.AppendSnapshot(nil, s))
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		if s2.Total.Requests != s.Total.Requests || len(s2.Rows) != len(s.Rows) || len(s2.Metrics) != len(s.Metrics) || len(s2.HTTPSubs) != len(s.HTTPSubs) {
			t.Fatalf("re-encoding changed the totals")
		}
		reg := stats.NewRegistry(1)
		reg.Absorb(s)
		if err := reg.AbsorbWire(b); err != nil {
			t.Fatalf("AbsorbWire refused what DecodeSnapshot read: %v", err)
		}
		if got := reg.Snapshot(t0).Total.Requests; got != 2*s.Total.Requests {
			t.Fatalf("absorbed twice: %d requests, want %d", got, 2*s.Total.Requests)
		}
	})
}

// withoutFirst is xs without their First times, which differ between
// registries that recorded the same occurrences at different moments.
func withoutFirst(xs []stats.Exception) []stats.Exception {
	out := make([]stats.Exception, len(xs))
	for i, x := range xs {
		x.First = time.Time{}
		out[i] = x
	}
	return out
}
