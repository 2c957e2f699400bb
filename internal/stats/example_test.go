package stats_test

import (
	"fmt"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

func ExampleRegistry() {
	reg := stats.NewRegistry(4) // in a real run, a few shards per CPU
	start := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	reg.SetStart(start)

	// Each VU keeps its own Recorder and records every request into it.
	vu1, vu2 := reg.Recorder(1), reg.Recorder(2)
	for i := 1; i <= 100; i++ {
		s := stats.Sample{
			Type:     "GET",
			Name:     "/items",
			Duration: time.Duration(i) * time.Millisecond,
			Size:     1024,
			At:       start.Add(time.Duration(i) * 100 * time.Millisecond),
		}
		if i%25 == 0 {
			s.Err = "HTTP 500 Internal Server Error"
		}
		vu1.Record(s)
	}
	vu2.Record(stats.Sample{Type: "POST", Name: "/login", Duration: 250 * time.Millisecond, Size: 42, At: start.Add(time.Second)})
	vu2.Record(stats.Sample{Type: "POST", Name: "/login", Duration: 150 * time.Millisecond, Err: "timeout", At: start.Add(2 * time.Second)})
	vu2.RecordException("TypeError: x is undefined", "script.js:12:5", "at default (script.js:12:5)")

	// A snapshot merges the shards into rows sorted by name, then type.
	snap := reg.Snapshot(start.Add(10 * time.Second))
	ms := func(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }
	row := func(r *stats.Row) {
		rps, _ := r.RPS(snap.Elapsed())
		fmt.Printf("%-4s %-10s %4d %5d %4d %4d %6d %4d %4d %7.1f %5.1f\n", r.Type, r.Name,
			r.Requests, r.Failures, ms(r.Avg()), ms(r.Min), ms(r.Median()), ms(r.Percentile(0.95)), ms(r.Max),
			r.AvgSize(), rps)
	}
	fmt.Println("Type Name       reqs fails  avg  min median  p95  max    size req/s")
	for _, r := range snap.Rows {
		row(r)
	}
	row(snap.Total)
	// The live tables show the rate over the last 10 complete seconds.
	cur, _ := snap.Total.CurrentRPS(snap.Time, snap.Start)
	fmt.Printf("current req/s: %.1f\n", cur)

	fmt.Println("Failures:")
	for _, f := range snap.Failures {
		fmt.Printf("%d %s %s: %s\n", f.Count, f.Type, f.Name, f.Error)
	}
	fmt.Println("Exceptions:")
	for _, x := range snap.Exceptions {
		fmt.Printf("%d %s at %s\n", x.Count, x.Message, x.Position)
	}
	// Output:
	// Type Name       reqs fails  avg  min median  p95  max    size req/s
	// GET  /items      100     4   51    1     50   95  100  1024.0  10.0
	// POST /login        2     1  200  150    150  250  250    21.0   0.2
	//      Aggregated  102     5   53    1     51   97  250  1004.3  10.2
	// current req/s: 10.1
	// Failures:
	// 4 GET /items: HTTP 500 Internal Server Error
	// 1 POST /login: timeout
	// Exceptions:
	// 1 TypeError: x is undefined at script.js:12:5
}

func ExampleHistogram() {
	var h stats.Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	fmt.Println("count:", h.Count())
	for _, q := range []float64{0.5, 0.9, 0.99, 1} {
		// Above 512µs values are within 0.2%; round for display.
		fmt.Printf("p%v: %v\n", q*100, h.ValueAtQuantile(q).Round(time.Millisecond))
	}

	// Values below 512µs are exact (to the microsecond).
	var small stats.Histogram
	small.Record(42 * time.Microsecond)
	small.Record(7 * time.Microsecond)
	fmt.Println("small median:", small.ValueAtQuantile(0.5))

	// Buckets and AddBucket encode and decode a histogram.
	var copied stats.Histogram
	small.Buckets(func(lowUS, n uint64) {
		fmt.Printf("bucket %dµs: %d\n", lowUS, n)
		copied.AddBucket(lowUS, n)
	})
	fmt.Println("decoded max:", copied.ValueAtQuantile(1))
	// Output:
	// count: 1000
	// p50: 500ms
	// p90: 900ms
	// p99: 990ms
	// p100: 1s
	// small median: 7µs
	// bucket 7µs: 1
	// bucket 42µs: 1
	// decoded max: 42µs
}
