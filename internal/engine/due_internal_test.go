package engine

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var dueBase = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestDueAtWithoutPacing(t *testing.T) {
	t.Parallel()
	for _, rate := range []float64{0, -1, math.Inf(1), math.Inf(-1), math.NaN()} {
		for _, k := range []int64{0, 1, 7, 1 << 40} {
			if got := dueAt(dueBase, k, rate); !got.Equal(dueBase) {
				t.Errorf("dueAt(base, %d, %v) = base%+v, want base", k, rate, got.Sub(dueBase))
			}
		}
	}
}

func TestDueAtIntegerRates(t *testing.T) {
	t.Parallel()
	// The k-th event is due floor(k*1e9/rate) ns after base, to the
	// nanosecond, for counts as high as a long test reaches.
	for _, rate := range []int64{1, 3, 7, 10, 200, 999, 1000, 4096} {
		for k := int64(0); k <= 20000; k++ {
			want := dueBase.Add(time.Duration(k * int64(time.Second) / rate))
			if got := dueAt(dueBase, k, float64(rate)); !got.Equal(want) {
				t.Fatalf("dueAt(base, %d, %d) = base+%v, want base+%v", k, rate, got.Sub(dueBase), want.Sub(dueBase))
			}
		}
	}
}

func TestDueAtFractionalRates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rate float64
		step time.Duration // exact: the rate divides 1e9 ns
	}{
		{0.5, 2 * time.Second},
		{0.25, 4 * time.Second},
		{0.001, 1000 * time.Second},
		{2.5, 400 * time.Millisecond},
		{12.5, 80 * time.Millisecond},
	} {
		for k := int64(0); k <= 5000; k++ {
			if got, want := dueAt(dueBase, k, c.rate), dueBase.Add(time.Duration(k)*c.step); !got.Equal(want) {
				t.Fatalf("dueAt(base, %d, %v) = base+%v, want base+%v", k, c.rate, got.Sub(dueBase), want.Sub(dueBase))
			}
		}
	}
}

func TestDueAtIsMonotonicAndRoundedDown(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		rate := math.Exp(r.Float64()*14 - 7) // about 0.001 to 1100 per second
		prev := dueBase
		for k := int64(0); k <= 2000; k++ {
			got := dueAt(dueBase, k, rate)
			if got.Before(prev) {
				t.Fatalf("rate %v: event %d due before event %d", rate, k, k-1)
			}
			// Rounded down from k/rate s, give or take float64's precision.
			exact := float64(k) / rate * 1e9
			slack := exact * 1e-15
			if d := float64(got.Sub(dueBase)) - exact; d > slack || d < -1-slack {
				t.Fatalf("rate %v: event %d due at base+%v, exact %.3f ns", rate, k, got.Sub(dueBase), exact)
			}
			prev = got
		}
	}
}
