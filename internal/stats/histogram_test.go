package stats_test

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// exactLimit is the documented limit below which the histogram is exact (at
// microsecond resolution); relBound is the documented relative error above it.
const (
	exactLimit = 512 * time.Microsecond
	relBound   = 0.002
)

// nearestRank returns the exact nearest-rank percentile of sorted: the
// smallest sample x such that at least ceil(q*n) samples are <= x.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	rank := int(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	if rank > n {
		rank = n
	}
	return sorted[rank-1]
}

// withinBound reports whether the histogram's answer got honours the
// documented resolution for the exact value want: exact at microsecond
// resolution below 512 µs, otherwise within 0.2% relative error.
func withinBound(got, want time.Duration) bool {
	if want < 0 {
		want = 0
	}
	if want < exactLimit {
		return got == want.Truncate(time.Microsecond)
	}
	d := got - want
	if d < 0 {
		d = -d
	}
	return float64(d) <= relBound*float64(want)
}

// quantiles returns stats.Percentiles plus a few others, in a new slice.
func quantiles() []float64 {
	qs := slices.Clone(stats.Percentiles)
	return append(qs, 0.001, 0.01, 0.1, 0.25, 0.333, 0.5001, 0.99999)
}

type bucket struct{ low, n uint64 }

func bucketsOf(h *stats.Histogram) []bucket {
	var bs []bucket
	h.Buckets(func(low, n uint64) { bs = append(bs, bucket{low, n}) })
	return bs
}

func logUniform(r *rand.Rand, lo, hi time.Duration) time.Duration {
	a, b := math.Log(float64(lo)), math.Log(float64(hi))
	return time.Duration(math.Exp(a + r.Float64()*(b-a)))
}

// distributions are the sample sets the accuracy tests run on. Durations
// have nanosecond precision unless the name says otherwise.
var distributions = []struct {
	name string
	n    int
	gen  func(r *rand.Rand) time.Duration
}{
	{"uniform 1ms-2s", 100_000, func(r *rand.Rand) time.Duration {
		return time.Millisecond + time.Duration(r.Int64N(int64(2*time.Second)))
	}},
	{"uniform below 512us", 50_000, func(r *rand.Rand) time.Duration {
		return time.Duration(r.Int64N(int64(exactLimit)))
	}},
	{"uniform whole ms", 50_000, func(r *rand.Rand) time.Duration {
		return time.Duration(1+r.IntN(5000)) * time.Millisecond
	}},
	{"lognormal median 50ms", 100_000, func(r *rand.Rand) time.Duration {
		return time.Duration(math.Exp(math.Log(50e6) + r.NormFloat64()))
	}},
	{"lognormal median 300us", 100_000, func(r *rand.Rand) time.Duration {
		return time.Duration(math.Exp(math.Log(300e3) + 0.8*r.NormFloat64()))
	}},
	{"bimodal 5ms and 800ms", 100_000, func(r *rand.Rand) time.Duration {
		if r.IntN(10) == 0 {
			return time.Duration(800e6 + 50e6*r.NormFloat64())
		}
		return time.Duration(5e6 + 1e6*r.NormFloat64())
	}},
	{"constant", 1000, func(*rand.Rand) time.Duration { return 123456789 * time.Nanosecond }},
	{"constant below 512us", 1000, func(*rand.Rand) time.Duration { return 321987 * time.Nanosecond }},
	{"one sample", 1, func(*rand.Rand) time.Duration { return 87654321 * time.Nanosecond }},
	{"few samples", 7, func(r *rand.Rand) time.Duration { return logUniform(r, time.Microsecond, time.Minute) }},
	{"hours", 20_000, func(r *rand.Rand) time.Duration {
		return time.Hour + time.Duration(r.Int64N(int64(10*time.Hour)))
	}},
	{"log-uniform 1us-1h", 100_000, func(r *rand.Rand) time.Duration {
		return logUniform(r, time.Microsecond, time.Hour)
	}},
	{"log-uniform 1us-1h whole us", 100_000, func(r *rand.Rand) time.Duration {
		return logUniform(r, time.Microsecond, time.Hour).Truncate(time.Microsecond)
	}},
	{"just above 512us", 50_000, func(r *rand.Rand) time.Duration {
		return exactLimit + time.Duration(r.Int64N(int64(64*time.Microsecond)))
	}},
}

func TestHistogramQuantilesMatchNearestRank(t *testing.T) {
	for i, d := range distributions {
		t.Run(d.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 42))
			samples := make([]time.Duration, d.n)
			var h stats.Histogram
			for j := range samples {
				samples[j] = d.gen(r)
				h.Record(samples[j])
			}
			if got := h.Count(); got != uint64(d.n) {
				t.Fatalf("Count() = %d, want %d", got, d.n)
			}
			slices.Sort(samples)
			for _, q := range quantiles() {
				want := nearestRank(samples, q)
				got := h.ValueAtQuantile(q)
				if !withinBound(got, want) {
					t.Errorf("ValueAtQuantile(%v) = %v, exact nearest rank is %v (error %.4f%%)",
						q, got, want, 100*math.Abs(float64(got-want))/float64(want))
				}
			}
		})
	}
}

// TestHistogramBucketEdges puts single values at the lowest and highest
// nanosecond of buckets in every octave, where rounding errors are largest.
func TestHistogramBucketEdges(t *testing.T) {
	var values []time.Duration
	for us := uint64(0); us < 520; us++ {
		values = append(values, time.Duration(us)*time.Microsecond, time.Duration(us+1)*time.Microsecond-1)
	}
	for e := uint(0); e <= 31; e++ {
		for _, idx := range []uint64{0, 1, 100, 254, 255} {
			lo := (256 + idx) << e // lowest µs of a bucket 2^e µs wide
			next := lo + 1<<e      // lowest µs of the following bucket
			values = append(values,
				time.Duration(lo)*time.Microsecond,
				time.Duration(lo)*time.Microsecond+999,
				time.Duration(next)*time.Microsecond-1,
				time.Duration(next-1)*time.Microsecond,
			)
		}
	}
	for _, v := range values {
		var h stats.Histogram
		h.Record(v)
		for _, q := range []float64{0.5, 1} {
			if got := h.ValueAtQuantile(q); !withinBound(got, v) {
				t.Errorf("one value %v (%dns): ValueAtQuantile(%v) = %v (%dns), error %.4f%%",
					v, int64(v), q, got, int64(got), 100*math.Abs(float64(got-v))/float64(v))
			}
		}
	}
}

func TestHistogramExactBelow512us(t *testing.T) {
	var h stats.Histogram
	var samples []time.Duration
	for us := 0; us < 512; us++ {
		for k := 0; k <= us%3; k++ { // uneven counts
			v := time.Duration(us)*time.Microsecond + time.Duration(k*300)
			samples = append(samples, v)
			h.Record(v)
		}
	}
	slices.Sort(samples)
	for i := 1; i <= 1000; i++ {
		q := float64(i) / 1000
		want := nearestRank(samples, q).Truncate(time.Microsecond)
		if got := h.ValueAtQuantile(q); got != want {
			t.Errorf("ValueAtQuantile(%v) = %v, want exactly %v", q, got, want)
		}
	}
	var n int
	h.Buckets(func(low, count uint64) {
		if low != uint64(n) || count != uint64(1+n%3) {
			t.Errorf("bucket %d = (%d, %d), want (%d, %d)", n, low, count, n, 1+n%3)
		}
		n++
	})
	if n != 512 {
		t.Errorf("got %d buckets, want 512", n)
	}
}

func TestHistogramEmptyAndOutOfRange(t *testing.T) {
	var h stats.Histogram
	if h.Count() != 0 || h.ValueAtQuantile(0.5) != 0 || h.ValueAtQuantile(1) != 0 {
		t.Errorf("empty histogram: Count %d, p50 %v, p100 %v; want zeros",
			h.Count(), h.ValueAtQuantile(0.5), h.ValueAtQuantile(1))
	}
	h.Buckets(func(low, n uint64) { t.Errorf("empty histogram has bucket (%d, %d)", low, n) })

	h.Record(-5 * time.Millisecond) // negative counts as zero
	h.Record(100 * time.Microsecond)
	h.Record(200 * time.Microsecond)
	if got := h.ValueAtQuantile(-1); got != 0 {
		t.Errorf("ValueAtQuantile(-1) = %v, want the minimum 0", got)
	}
	if got := h.ValueAtQuantile(0); got != 0 {
		t.Errorf("ValueAtQuantile(0) = %v, want the minimum 0", got)
	}
	if got := h.ValueAtQuantile(2); got != 200*time.Microsecond {
		t.Errorf("ValueAtQuantile(2) = %v, want the maximum 200µs", got)
	}
	if got := bucketsOf(&h); !slices.Equal(got, []bucket{{0, 1}, {100, 1}, {200, 1}}) {
		t.Errorf("Buckets = %v", got)
	}
}

func TestHistogramClampsHugeValues(t *testing.T) {
	const maxUS = 1<<40 - 1 // documented range: up to 2^40 µs
	var h stats.Histogram
	h.Record(30 * 24 * time.Hour)
	h.Record(time.Duration(math.MaxInt64))
	if h.Count() != 2 {
		t.Fatalf("Count() = %d, want 2", h.Count())
	}
	if got := h.ValueAtQuantile(1); !withinBound(got, maxUS*time.Microsecond) {
		t.Errorf("ValueAtQuantile(1) = %v, want about %v (clamped)", got, time.Duration(maxUS)*time.Microsecond)
	}
	// 10 h is well inside the range and must not be clamped.
	h.Reset()
	h.Record(10 * time.Hour)
	if got := h.ValueAtQuantile(1); !withinBound(got, 10*time.Hour) {
		t.Errorf("ValueAtQuantile(1) = %v, want about 10h", got)
	}
}

func fill(h *stats.Histogram, seed uint64, n int) []time.Duration {
	r := rand.New(rand.NewPCG(seed, 7))
	vs := make([]time.Duration, n)
	for i := range vs {
		vs[i] = logUniform(r, 10*time.Nanosecond, 3*time.Hour)
		h.Record(vs[i])
	}
	return vs
}

func TestHistogramMerge(t *testing.T) {
	var all, a, b stats.Histogram
	vs := fill(&all, 1, 50_000)
	for i, v := range vs {
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(&b)
	if a.Count() != all.Count() {
		t.Errorf("merged Count() = %d, want %d", a.Count(), all.Count())
	}
	if got, want := bucketsOf(&a), bucketsOf(&all); !slices.Equal(got, want) {
		t.Errorf("merged buckets differ from one histogram fed all samples:\n got %d buckets\nwant %d buckets", len(got), len(want))
	}
	for _, q := range quantiles() {
		if got, want := a.ValueAtQuantile(q), all.ValueAtQuantile(q); got != want {
			t.Errorf("merged ValueAtQuantile(%v) = %v, want %v", q, got, want)
		}
	}

	// Merging nil or an empty histogram changes nothing; merging into the
	// zero value copies.
	before := bucketsOf(&a)
	a.Merge(nil)
	a.Merge(&stats.Histogram{})
	if !slices.Equal(bucketsOf(&a), before) || a.Count() != all.Count() {
		t.Error("Merge(nil) or Merge(empty) changed the histogram")
	}
	var z stats.Histogram
	z.Merge(&all)
	if !slices.Equal(bucketsOf(&z), bucketsOf(&all)) || z.Count() != all.Count() {
		t.Error("zero value merged with h differs from h")
	}
	// The source is unchanged and stays independent of the destination.
	z.Record(time.Second)
	if all.Count() != 50_000 {
		t.Errorf("source Count() = %d after the destination changed", all.Count())
	}
}

func TestHistogramClone(t *testing.T) {
	var h stats.Histogram
	fill(&h, 2, 10_000)
	want := bucketsOf(&h)
	c := h.Clone()
	if !slices.Equal(bucketsOf(c), want) || c.Count() != h.Count() {
		t.Fatal("clone differs from the original")
	}
	// Values in buckets the original already has, and in new octaves.
	h.Record(time.Millisecond)
	h.Record(100 * time.Hour)
	if !slices.Equal(bucketsOf(c), want) || c.Count() != 10_000 {
		t.Error("recording into the original changed the clone")
	}
	before := bucketsOf(&h)
	c.Record(time.Millisecond)
	c.Record(5 * time.Microsecond)
	c.Reset()
	if !slices.Equal(bucketsOf(&h), before) || h.Count() != 10_002 {
		t.Error("changing the clone changed the original")
	}
	var empty stats.Histogram
	if e := empty.Clone(); e.Count() != 0 || len(bucketsOf(e)) != 0 {
		t.Error("clone of an empty histogram is not empty")
	}
}

func TestHistogramReset(t *testing.T) {
	var h, fresh stats.Histogram
	fill(&h, 3, 10_000)
	h.Reset()
	if h.Count() != 0 || len(bucketsOf(&h)) != 0 || h.ValueAtQuantile(0.5) != 0 {
		t.Fatalf("after Reset: Count %d, %d buckets, p50 %v", h.Count(), len(bucketsOf(&h)), h.ValueAtQuantile(0.5))
	}
	// A reset histogram behaves like a fresh one.
	fill(&h, 4, 10_000)
	fill(&fresh, 4, 10_000)
	if !slices.Equal(bucketsOf(&h), bucketsOf(&fresh)) || h.Count() != fresh.Count() {
		t.Error("reset histogram differs from a fresh one fed the same samples")
	}
}

func TestHistogramBucketsRoundTrip(t *testing.T) {
	var h stats.Histogram
	fill(&h, 5, 50_000)
	bs := bucketsOf(&h)
	var sum uint64
	for i, b := range bs {
		if b.n == 0 {
			t.Fatalf("bucket %d is empty", i)
		}
		if i > 0 && b.low <= bs[i-1].low {
			t.Fatalf("buckets not increasing: %d after %d", b.low, bs[i-1].low)
		}
		sum += b.n
	}
	if sum != h.Count() {
		t.Fatalf("bucket counts sum to %d, Count() = %d", sum, h.Count())
	}

	var d stats.Histogram
	for _, b := range bs {
		d.AddBucket(b.low, b.n)
	}
	d.AddBucket(12345, 0) // adds nothing
	if !slices.Equal(bucketsOf(&d), bs) || d.Count() != h.Count() {
		t.Error("AddBucket(Buckets(h)) differs from h")
	}
	for _, q := range quantiles() {
		if got, want := d.ValueAtQuantile(q), h.ValueAtQuantile(q); got != want {
			t.Errorf("decoded ValueAtQuantile(%v) = %v, want %v", q, got, want)
		}
	}

	// A bucket's low value recorded as a duration lands in that bucket.
	for _, b := range bs {
		var one stats.Histogram
		one.Record(time.Duration(b.low) * time.Microsecond)
		if got := bucketsOf(&one); len(got) != 1 || got[0] != (bucket{b.low, 1}) {
			t.Fatalf("Record(%dµs) gives buckets %v, want [{%d 1}]", b.low, got, b.low)
		}
	}

	// AddBucket accepts any value inside a bucket and beyond the range.
	var odd stats.Histogram
	odd.AddBucket(1001, 2) // bucket [1000, 1001]
	odd.AddBucket(1<<50, 1)
	got := bucketsOf(&odd)
	if len(got) != 2 || got[0] != (bucket{1000, 2}) || got[1].n != 1 || got[1].low >= 1<<40 {
		t.Errorf("AddBucket(1001, 2), AddBucket(2^50, 1) give %v", got)
	}
}

func TestHistogramMemoryBounded(t *testing.T) {
	n := 10_000_000
	if testing.Short() {
		n = 1_000_000
	}
	var h stats.Histogram
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		h.Record(100*time.Millisecond + time.Duration(x>>33)%(10*time.Millisecond))
	}
	runtime.ReadMemStats(&after)
	if h.Count() != uint64(n) {
		t.Fatalf("Count() = %d, want %d", h.Count(), n)
	}
	if m := after.Mallocs - before.Mallocs; m > 16 {
		t.Errorf("%d values in 100-110ms made %d allocations", n, m)
	}
	if b := after.TotalAlloc - before.TotalAlloc; b > 64<<10 {
		t.Errorf("%d values in 100-110ms allocated %d bytes", n, b)
	}
	// 10 ms at a resolution of 1/256 of ~100 ms: about 40 buckets.
	if got := len(bucketsOf(&h)); got > 64 {
		t.Errorf("%d buckets for values in 100-110ms", got)
	}

	// Once the range is warm, Record never allocates.
	i := 0
	allocs := testing.AllocsPerRun(10_000, func() {
		i++
		h.Record(100*time.Millisecond + time.Duration(i%10_000)*time.Microsecond)
	})
	if allocs != 0 {
		t.Errorf("Record allocates %v times per call after warm-up", allocs)
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h stats.Histogram
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		h.Record(time.Duration(i&0xffff) * 10 * time.Microsecond)
	}
}
