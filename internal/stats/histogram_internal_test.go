package stats

import (
	"testing"
	"time"
)

// These tests look inside the histogram: its bucket geometry and how many
// chunks it allocates. Everything else is tested from package stats_test.

func allocatedChunks(h *Histogram) int {
	n := 0
	for _, ch := range h.chunks {
		if ch != nil {
			n++
		}
	}
	return n
}

func TestBucketGeometry(t *testing.T) {
	var prevHi uint64
	first := true
	for c := 0; c < maxChunks; c++ {
		for i := 0; i < subCount; i++ {
			lo, hi := bucketRange(c, i)
			if !first && lo != prevHi+1 {
				t.Fatalf("bucket (%d,%d) starts at %d, previous ended at %d", c, i, lo, prevHi)
			}
			first = false
			prevHi = hi
			for _, v := range []uint64{lo, hi, lo + (hi-lo)/2} {
				if gc, gi := bucketOf(v); gc != c || gi != i {
					t.Fatalf("bucketOf(%d) = (%d,%d), want (%d,%d)", v, gc, gi, c, i)
				}
			}
			width := hi - lo + 1
			if lo < linearLimit {
				if width != 1 {
					t.Fatalf("linear bucket (%d,%d) has width %d", c, i, width)
				}
			} else if width*subCount > lo {
				t.Fatalf("bucket (%d,%d) = [%d,%d] is wider than 1/%d of its value", c, i, lo, hi, subCount)
			}
		}
	}
	if prevHi != maxValueUS {
		t.Errorf("last bucket ends at %d, want %d", prevHi, uint64(maxValueUS))
	}
}

func TestChunksBoundedByRange(t *testing.T) {
	n := 10_000_000
	if testing.Short() {
		n = 1_000_000
	}
	var h Histogram
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		h.Record(100*time.Millisecond + time.Duration(x>>33)%(10*time.Millisecond))
	}
	// 100-110 ms lies inside one octave (65.5-131 ms): one chunk.
	if got := allocatedChunks(&h); got != 1 {
		t.Errorf("%d values in 100-110ms allocated %d chunks, want 1", n, got)
	}

	// The widest possible spread allocates at most one chunk per octave.
	var wide Histogram
	for d := time.Duration(1); d < 1<<62; d *= 2 {
		wide.Record(d)
		wide.Record(d + d/3)
	}
	if got := allocatedChunks(&wide); got > maxChunks {
		t.Errorf("allocated %d chunks, more than %d", got, maxChunks)
	}
	c := wide.Clone()
	if got := allocatedChunks(c); got != allocatedChunks(&wide) {
		t.Errorf("clone has %d chunks, original %d", got, allocatedChunks(&wide))
	}
	wide.Reset()
	if got := allocatedChunks(&wide); got != allocatedChunks(c) {
		t.Errorf("Reset dropped chunks: %d left of %d", got, allocatedChunks(c))
	}
}
