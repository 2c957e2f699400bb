package stats_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// checkConsistent verifies what every snapshot must satisfy, however it
// interleaves with recording: the Aggregated row and the failure groups
// agree with the rows, and every histogram holds one value per request.
func checkConsistent(s *stats.Snapshot) error {
	var reqs, fails, groups int64
	for _, r := range s.Rows {
		if r.Hist.Count() != uint64(r.Requests) {
			return fmt.Errorf("row %+v: histogram holds %d values for %d requests", r.Key, r.Hist.Count(), r.Requests)
		}
		if r.Percentile(0.5) < r.Min || r.Percentile(0.99) > r.Max {
			return fmt.Errorf("row %+v: percentiles outside [min, max]", r.Key)
		}
		reqs += r.Requests
		fails += r.Failures
	}
	for _, f := range s.Failures {
		groups += f.Count
	}
	if s.Total.Requests != reqs || s.Total.Failures != fails || groups != fails {
		return fmt.Errorf("Aggregated %d/%d, rows %d/%d, failure groups %d",
			s.Total.Requests, s.Total.Failures, reqs, fails, groups)
	}
	if s.Total.Hist.Count() != uint64(reqs) {
		return fmt.Errorf("Aggregated histogram holds %d values for %d requests", s.Total.Hist.Count(), reqs)
	}
	return nil
}

func TestConcurrentRecordAndSnapshot(t *testing.T) {
	const (
		workers   = 64 // one recorder each
		sharers   = 8  // goroutines sharing one recorder
		perWorker = 2000
	)
	names := []string{"/a", "/b", "/c", "/d", "/e"}
	reg := stats.NewRegistry(8)
	reg.SetStart(t0)
	sample := func(w, i int) stats.Sample {
		s := stats.Sample{
			Type:     "GET",
			Name:     names[(w+i)%len(names)],
			Duration: time.Duration(1+(w*perWorker+i)%5000) * time.Microsecond * 37,
			Size:     int64(i % 100),
			At:       at(time.Duration(i%20) * time.Second),
		}
		if i%10 == 0 {
			s.Err = fmt.Sprint("HTTP ", 500+w%3)
		}
		return s
	}

	done := make(chan struct{})
	snapshotter := make(chan int) // number of snapshots taken
	go func() {
		n := 0
		var prev int64
		prevRows := map[stats.Key]int64{}
		for {
			select {
			case <-done:
				snapshotter <- n
				return
			default:
			}
			s := reg.Snapshot(time.Now())
			n++
			if err := checkConsistent(s); err != nil {
				t.Errorf("snapshot %d: %v", n, err)
				snapshotter <- n
				return
			}
			if s.Total.Requests < prev {
				t.Errorf("snapshot %d: %d requests, fewer than before (%d)", n, s.Total.Requests, prev)
			}
			prev = s.Total.Requests
			for _, r := range s.Rows {
				if r.Requests < prevRows[r.Key] {
					t.Errorf("snapshot %d: row %+v went back from %d to %d requests", n, r.Key, prevRows[r.Key], r.Requests)
				}
				prevRows[r.Key] = r.Requests
				r.CurrentRPS(s.Time, s.Start)
			}
		}
	}()

	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			rec := reg.Recorder(w)
			for i := 0; i < perWorker; i++ {
				rec.Record(sample(w, i))
				if i%100 == 0 {
					rec.RecordException(fmt.Sprint("Error ", i%3), "s.js:1:1", "tb")
					runtime.Gosched() // interleave with the snapshots on few CPUs
				}
			}
		})
	}
	shared := reg.Recorder(workers)
	for g := 0; g < sharers; g++ {
		w := workers + g
		wg.Go(func() {
			for i := 0; i < perWorker; i++ {
				shared.Record(sample(w, i))
			}
		})
	}
	wg.Wait()
	close(done)
	n := <-snapshotter
	t.Logf("%d snapshots taken while recording", n)

	// Exact final counts, computed the same way without concurrency.
	wants := map[stats.Key]*want{}
	fails := map[stats.Failure]int64{}
	for w := 0; w < workers+sharers; w++ {
		for i := 0; i < perWorker; i++ {
			s := sample(w, i)
			k := stats.Key{Type: s.Type, Name: s.Name}
			if wants[k] == nil {
				wants[k] = &want{}
			}
			wants[k].add(s)
			if s.Err != "" {
				fails[stats.Failure{Type: s.Type, Name: s.Name, Error: s.Err}]++
			}
		}
	}
	s := reg.Snapshot(at(20 * time.Second))
	if err := checkConsistent(s); err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(s.Rows), len(wants))
	}
	for _, r := range s.Rows {
		checkRow(t, r.Name, r, wants[r.Key])
	}
	if s.Total.Requests != (workers+sharers)*perWorker {
		t.Errorf("%d requests, want %d", s.Total.Requests, (workers+sharers)*perWorker)
	}
	if len(s.Failures) != len(fails) {
		t.Errorf("%d failure groups, want %d", len(s.Failures), len(fails))
	}
	for _, f := range s.Failures {
		k := f
		k.Count = 0
		if f.Count != fails[k] {
			t.Errorf("failure %+v: count %d, want %d", k, f.Count, fails[k])
		}
	}
	excs := map[string]int64{}
	for w := 0; w < workers; w++ {
		for i := 0; i < perWorker; i += 100 {
			excs[fmt.Sprint("Error ", i%3)]++
		}
	}
	if len(s.Exceptions) != len(excs) {
		t.Errorf("%d exception groups, want %d", len(s.Exceptions), len(excs))
	}
	for _, x := range s.Exceptions {
		if x.Count != excs[x.Message] || x.Position != "s.js:1:1" || x.Traceback != "tb" {
			t.Errorf("exception %+v, want count %d", x, excs[x.Message])
		}
	}
}

// TestConcurrentReset only checks that Reset, Snapshot and Record can run
// at the same time (under -race) and leave a consistent registry.
func TestConcurrentReset(t *testing.T) {
	reg := stats.NewRegistry(4)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Go(func() {
			rec := reg.Recorder(w)
			for {
				select {
				case <-stop:
					return
				default:
				}
				rec.Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Millisecond, Err: "e"})
				rec.RecordException("m", "p", "t")
				runtime.Gosched() // let the resetting goroutine run on few CPUs
			}
		})
	}
	for reg.Snapshot(time.Now()).Total.Requests == 0 {
		runtime.Gosched() // wait until the recorders run
	}
	for i := 0; i < 50; i++ {
		if i%10 == 0 {
			reg.Reset()
		}
		if err := checkConsistent(reg.Snapshot(time.Now())); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	reg.Reset()
	if s := reg.Snapshot(time.Now()); s.Total.Requests != 0 || len(s.Exceptions) != 0 {
		t.Errorf("after the final Reset: %d requests, %d exceptions", s.Total.Requests, len(s.Exceptions))
	}
}
