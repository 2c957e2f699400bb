// Command clustersim runs simulated workers against a jsload master, for
// scripts/bench-cluster: each reports every second with a statistics delta
// like a busy worker's (ten request names, 2,000 samples a second) and runs
// no users.
//
//	go run ./scripts/clustersim -master 127.0.0.1:5557 -workers 1000 -duration 30s
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/jsload/jsload/internal/cluster"
	"github.com/jsload/jsload/internal/stats"
)

func main() {
	master := flag.String("master", "127.0.0.1:5557", "the master's host:port")
	workers := flag.Int("workers", 100, "simulated workers")
	duration := flag.Duration("duration", 30*time.Second, "how long to run")
	runID := flag.String("run-id", "default", "the master's --run-id")
	version := flag.String("version", "dev", "the master's jsload version")
	flag.Parse()

	reg := stats.NewRegistry(1)
	rec := reg.Recorder(0)
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now()
	for i := 0; i < 2000; i++ {
		s := stats.Sample{Type: "GET", Name: fmt.Sprintf("/api/endpoint/%d", i%10), Duration: time.Duration(rng.ExpFloat64() * float64(30*time.Millisecond)), Size: 512, At: now}
		if i%100 == 0 {
			s.Err = "500 Server Error: Internal Server Error"
		}
		rec.Record(s)
	}
	delta := stats.AppendSnapshot(nil, reg.Drain(now))
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	acked, err := cluster.Simulate(ctx, cluster.SimConfig{URL: "nats://" + *master, RunID: *runID, Version: *version, Workers: *workers, Delta: delta})
	fmt.Printf("workers %d, delta %d bytes, reports acknowledged %d\n", *workers, len(delta), acked)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clustersim:", err)
		os.Exit(1)
	}
}
