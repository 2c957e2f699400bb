package console_test

import (
	"os"
	"time"

	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/stats"
)

func ExamplePrinter_PrintStats() {
	start := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	reg := stats.NewRegistry(1)
	reg.SetStart(start)
	rec := reg.Recorder(0)
	for i := range 4 {
		rec.Record(stats.Sample{Type: "GET", Name: "/items", Duration: time.Duration(10+i) * time.Millisecond, At: start.Add(time.Second)})
	}
	rec.Record(stats.Sample{Type: "POST", Name: "/login", Duration: 48 * time.Millisecond, Err: "HTTP 401 Unauthorized", At: start.Add(time.Second)})

	p := console.Printer{NameWidth: 20}
	p.PrintStats(os.Stdout, reg.Snapshot(start.Add(2*time.Second)), false)
	// Output:
	// Type     Name              # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s
	// --------|----------------|-------|-------------|-------|-------|-------|-------|--------|-----------
	// GET      /items                 4     0(0.00%) |     12      10      13     11 |    2.00        0.00
	// POST     /login                 1   1(100.00%) |     48      48      48     48 |    0.50        0.50
	// --------|----------------|-------|-------------|-------|-------|-------|-------|--------|-----------
	//          Aggregated             5    1(20.00%) |     19      10      48     12 |    2.50        0.50
}
