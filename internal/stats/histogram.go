package stats

import (
	"math"
	"math/bits"
	"time"
)

// The histogram stores durations in whole microseconds in log-linear buckets:
// values below linearLimit are counted exactly, and every power of two above
// that is split into subCount equal buckets, so a bucket is never wider than
// 1/subCount of its value (a relative error of at most 0.2% at the bucket's
// middle). Buckets are allocated in chunks of one octave, only when a value
// lands there, so a histogram's memory depends on the spread of the values,
// never on how many were recorded.
const (
	subBits     = 8
	subCount    = 1 << subBits // buckets per octave
	linearLimit = 2 * subCount // values below this are exact
	maxBits     = 40           // values up to 2^40 µs (12.7 days); larger ones are clamped
	maxValueUS  = 1<<maxBits - 1
	maxChunks   = maxBits - subBits + 1 // chunks 0 and 1 hold the linear range, then one per octave
)

// Histogram counts durations with bounded relative error and bounded memory.
// The zero value is an empty histogram ready to use. It is not safe for
// concurrent use; the Registry guards it.
type Histogram struct {
	chunks [maxChunks]*[subCount]uint64
	count  uint64
}

// bucketOf returns the chunk and the index inside it for v microseconds.
func bucketOf(v uint64) (chunk, idx int) {
	if v < linearLimit {
		return int(v >> subBits), int(v & (subCount - 1))
	}
	e := bits.Len64(v) - subBits - 1 // v >> e is in [subCount, 2*subCount)
	return e + 1, int(v>>uint(e)) - subCount
}

// bucketRange returns the smallest and largest value that fall in a bucket.
func bucketRange(chunk, idx int) (lo, hi uint64) {
	if chunk <= 1 {
		v := uint64(chunk)<<subBits | uint64(idx)
		return v, v
	}
	e := uint(chunk - 1)
	lo = uint64(subCount+idx) << e
	return lo, lo + (1 << e) - 1
}

// Record adds one duration. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	var v uint64
	if us > 0 {
		v = uint64(us)
	}
	if v > maxValueUS {
		v = maxValueUS
	}
	c, i := bucketOf(v)
	h.chunk(c)[i]++
	h.count++
}

// chunk returns chunk c, allocating it if it is not there yet.
func (h *Histogram) chunk(c int) *[subCount]uint64 {
	ch := h.chunks[c]
	if ch == nil {
		ch = new([subCount]uint64)
		h.chunks[c] = ch
	}
	return ch
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.count }

// Merge adds every count of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil {
		return
	}
	for c, och := range o.chunks {
		if och == nil {
			continue
		}
		ch := h.chunk(c)
		for i, n := range och {
			ch[i] += n
		}
	}
	h.count += o.count
}

// Clone returns an independent copy.
func (h *Histogram) Clone() *Histogram {
	n := &Histogram{count: h.count}
	for c, ch := range h.chunks {
		if ch != nil {
			cp := *ch
			n.chunks[c] = &cp
		}
	}
	return n
}

// Reset empties the histogram, keeping its allocated chunks.
func (h *Histogram) Reset() {
	for _, ch := range h.chunks {
		if ch != nil {
			*ch = [subCount]uint64{}
		}
	}
	h.count = 0
}

// ValueAtQuantile returns the nearest-rank value at quantile q (0 < q <= 1):
// the smallest recorded value v such that at least ceil(q*count) values are
// <= v, up to the bucket's resolution (exact below 512 µs, else within 0.2%).
// It returns 0 for an empty histogram. Callers that know the exact minimum
// and maximum should clamp the result to them (Row.Percentile does).
func (h *Histogram) ValueAtQuantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	if q < 0 {
		q = 0
	}
	if q > 1 {
		q = 1
	}
	rank := uint64(math.Ceil(q * float64(h.count)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for c, ch := range h.chunks {
		if ch == nil {
			continue
		}
		for i, n := range ch {
			if n == 0 {
				continue
			}
			seen += n
			if seen >= rank {
				// The bucket holds durations in [lo, hi+1) µs (Record
				// truncates to whole µs); its middle is within 1/512 of all.
				lo, hi := bucketRange(c, i)
				return time.Duration(lo+(hi+1-lo)/2) * time.Microsecond
			}
		}
	}
	return 0 // unreachable while count matches the buckets
}

// Buckets calls fn for every non-empty bucket in increasing order with the
// bucket's lowest value and its count. It is how encoders walk a histogram.
func (h *Histogram) Buckets(fn func(lowUS uint64, count uint64)) {
	for c, ch := range h.chunks {
		if ch == nil {
			continue
		}
		for i, n := range ch {
			if n != 0 {
				lo, _ := bucketRange(c, i)
				fn(lo, n)
			}
		}
	}
}

// AddBucket adds n values at lowUS, the inverse of Buckets for decoders.
func (h *Histogram) AddBucket(lowUS, n uint64) {
	if n == 0 {
		return
	}
	if lowUS > maxValueUS {
		lowUS = maxValueUS
	}
	c, i := bucketOf(lowUS)
	h.chunk(c)[i] += n
	h.count += n
}
