package stats_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// benchSamples are a few keys and a spread of durations, as a VU would
// record them; At is left zero, so Record reads the clock as in a run.
func benchSamples() []stats.Sample {
	names := []string{"/", "/login", "/items", "/items/[id]"}
	ss := make([]stats.Sample, 1024)
	for i := range ss {
		ss[i] = stats.Sample{
			Type:     "GET",
			Name:     names[i%len(names)],
			Duration: time.Duration(1+i*7919%100_000) * 10 * time.Microsecond,
			Size:     int64(i % 4096),
		}
		if i%50 == 0 {
			ss[i].Err = "HTTP 500"
		}
	}
	return ss
}

func BenchmarkRecord(b *testing.B) {
	reg := stats.NewRegistry(1)
	rec := reg.Recorder(0)
	ss := benchSamples()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rec.Record(ss[i&1023])
		i++
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	reg := stats.NewRegistry(4 * runtime.GOMAXPROCS(0))
	ss := benchSamples()
	var ids atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rec := reg.Recorder(int(ids.Add(1))) // one recorder per goroutine, as per VU
		i := 0
		for pb.Next() {
			rec.Record(ss[i&1023])
			i++
		}
	})
}

func BenchmarkSnapshot(b *testing.B) {
	reg := stats.NewRegistry(4 * runtime.GOMAXPROCS(0))
	start := time.Now()
	reg.SetStart(start)
	// 20 rows, each spread over shards and over 1 µs to 10 s.
	for i := 0; i < 200_000; i++ {
		s := stats.Sample{
			Type:     "GET",
			Name:     fmt.Sprint("/endpoint/", i%20),
			Duration: time.Duration(1 + i*7919%10_000_000),
			At:       start.Add(time.Duration(i%15) * time.Second),
		}
		if i%100 == 0 {
			s.Err = fmt.Sprint("HTTP ", 500+i%3)
		}
		reg.Recorder(i).Record(s)
	}
	now := start.Add(15 * time.Second)
	if n := len(reg.Snapshot(now).Rows); n != 20 {
		b.Fatalf("%d rows, want 20", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		reg.Snapshot(now)
	}
}

// BenchmarkAddMetricParallel is a custom metric's add from many users,
// each into its own shard.
func BenchmarkAddMetricParallel(b *testing.B) {
	reg := stats.NewRegistry(4 * runtime.GOMAXPROCS(0))
	var ids atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rec := reg.Recorder(int(ids.Add(1)))
		v := 0.0
		for pb.Next() {
			rec.AddMetric("t", stats.KindTrend, true, v, nil)
			v++
		}
	})
}

// BenchmarkRecordWithSubMetrics is Record of HTTP samples while three
// thresholds' sub-metrics are kept (all requests, one status, one name).
func BenchmarkRecordWithSubMetrics(b *testing.B) {
	reg := stats.NewRegistry(1)
	reg.Want(stats.Wants{HTTP: []stats.Filter{nil, stats.NewFilter(map[string]string{"status": "500"}), stats.NewFilter(map[string]string{"name": "/api/items/7"})}})
	rec := reg.Recorder(0)
	ss := benchSamples()
	for i := range ss {
		ss[i].HTTP, ss[i].Status = true, 200
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rec.Record(ss[i&1023])
		i++
	}
}
