package engine_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
)

func TestBetweenWithinBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 43))
	b := engine.Between{Min: 500 * time.Millisecond, Max: 2 * time.Second}
	lo, hi := b.Max, b.Min
	for range 100000 {
		d := b.Next(time.Duration(r.Int64N(int64(time.Second))), r)
		if d < b.Min || d > b.Max {
			t.Fatalf("Between%+v.Next = %v, outside [Min, Max]", b, d)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	// The draws spread over the range instead of sticking to one value.
	if lo > b.Min+100*time.Millisecond || hi < b.Max-100*time.Millisecond {
		t.Errorf("Between%+v: draws span only [%v, %v]", b, lo, hi)
	}
}

func TestBetweenIncludesBothEnds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	b := engine.Between{Min: 10, Max: 13}
	seen := map[time.Duration]int{}
	for range 10000 {
		d := b.Next(0, r)
		if d < b.Min || d > b.Max {
			t.Fatalf("Between%+v.Next = %v, outside [Min, Max]", b, d)
		}
		seen[d]++
	}
	for d := b.Min; d <= b.Max; d++ {
		if seen[d] == 0 {
			t.Errorf("Between%+v never drew %v (draws %v)", b, d, seen)
		}
	}
}

func TestBetweenDegenerate(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, b := range []engine.Between{
		{},
		{Min: time.Second, Max: time.Second},
		{Min: 2 * time.Second, Max: time.Second}, // Max below Min: Min
	} {
		for range 100 {
			if d := b.Next(0, r); d != b.Min {
				t.Fatalf("Between%+v.Next = %v, want %v", b, d, b.Min)
			}
		}
	}
}

func TestBetweenDeterministicWithSeed(t *testing.T) {
	b := engine.Between{Min: 0, Max: time.Hour}
	r1 := rand.New(rand.NewPCG(9, 9))
	r2 := rand.New(rand.NewPCG(9, 9))
	for range 100 {
		if a, c := b.Next(0, r1), b.Next(0, r2); a != c {
			t.Fatalf("same seed, different draws: %v and %v", a, c)
		}
	}
}

func TestConstant(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range []time.Duration{0, time.Millisecond, 3 * time.Second} {
		c := engine.Constant{D: d}
		for _, last := range []time.Duration{0, time.Millisecond, time.Hour} {
			if got := c.Next(last, r); got != d {
				t.Errorf("Constant{%v}.Next(%v) = %v, want %v", d, last, got, d)
			}
		}
	}
}

func TestPacing(t *testing.T) {
	tests := []struct {
		period, last, want time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 300 * time.Millisecond, 700 * time.Millisecond},
		{time.Second, time.Second - 1, 1},
		{time.Second, time.Second, 0},
		{time.Second, 5 * time.Second, 0},
		{0, 0, 0},
		{0, time.Second, 0},
	}
	for _, tt := range tests {
		p := engine.Pacing{Period: tt.period}
		if got := p.Next(tt.last, nil); got != tt.want {
			t.Errorf("Pacing{%v}.Next(%v) = %v, want %v", tt.period, tt.last, got, tt.want)
		}
	}
}
