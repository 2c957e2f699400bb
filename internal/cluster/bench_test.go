package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// busyDelta is one second of a busy worker: ten names, 2,000 samples.
func busyDelta() []byte {
	reg := stats.NewRegistry(1)
	rec := reg.Recorder(0)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	for i := 0; i < 2000; i++ {
		rec.Record(stats.Sample{Type: "GET", Name: fmt.Sprintf("/api/%d", i%10), Duration: time.Duration(rng.ExpFloat64() * float64(30*time.Millisecond)), At: now})
	}
	return stats.AppendSnapshot(nil, reg.Drain(now))
}

// BenchmarkMasterReport is the master's work for one worker report
// (decoding it and absorbing its statistics), without NATS.
func BenchmarkMasterReport(b *testing.B) {
	delta := busyDelta()
	r := report{Worker: "w", State: "running", Users: 10, Counts: map[string]int{"A": 7, "B": 3}, Stats: delta}
	msg := r.encode()
	reg := stats.NewRegistry(1)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rp, err := decodeReport(msg)
		if err != nil {
			b.Fatal(err)
		}
		if err := reg.AbsorbWire(rp.Stats); err != nil {
			b.Fatal(err)
		}
	}
}
