package stats_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

func TestNamesBeyondTheLimitShareOneRowPerType(t *testing.T) {
	reg := stats.NewRegistry(4)
	reg.SetMaxNames(50)
	at := time.Now()
	for i := 0; i < 1000; i++ {
		typ := "GET"
		if i%2 == 1 {
			typ = "POST"
		}
		s := stats.Sample{Type: typ, Name: fmt.Sprintf("/items/%d", i), Duration: time.Millisecond, At: at}
		if i%10 == 0 {
			s.Err = "500 Server Error"
		}
		reg.Recorder(i).Record(s)
	}
	snap := reg.Snapshot(at)
	if len(snap.Rows) != 52 {
		t.Errorf("%d rows, want the 50 admitted names plus one overflow row per type", len(snap.Rows))
	}
	if snap.Total.Requests != 1000 || snap.Total.Failures != 100 {
		t.Errorf("total %d requests, %d failures: the overflow rows must keep every count", snap.Total.Requests, snap.Total.Failures)
	}
	var over int64
	for _, r := range snap.Rows {
		if r.Name == stats.OverflowName {
			over += r.Requests
		}
	}
	if over != 950 || !reg.Overflowed() {
		t.Errorf("%d requests under %q (overflowed %v), want 950", over, stats.OverflowName, reg.Overflowed())
	}
	// Names admitted before the limit keep their rows.
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/items/0", At: at})
	for _, r := range reg.Snapshot(at).Rows {
		if r.Name == "/items/0" && r.Requests != 2 {
			t.Errorf("/items/0 has %d requests, want 2", r.Requests)
		}
	}
	reg.Reset()
	if reg.Overflowed() {
		t.Error("Reset kept the overflow")
	}
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/new", At: at})
	if rows := reg.Snapshot(at).Rows; len(rows) != 1 || rows[0].Name != "/new" {
		t.Errorf("after Reset a new name must have its row again: %v", rows)
	}
}

// 100,000 distinct names cost no more memory than the limit's worth of
// rows.
func TestDistinctNamesKeepMemoryBounded(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	reg := stats.NewRegistry(8)
	at := time.Now()
	record := func(from, to int) {
		for i := from; i < to; i++ {
			reg.Recorder(i).Record(stats.Sample{Type: "GET", Name: fmt.Sprintf("/u/%d", i), Duration: time.Duration(i%977) * time.Microsecond, At: at})
		}
	}
	record(0, 10_000)
	afterTen := heap()
	record(10_000, 100_000)
	afterHundred := heap()
	if n := len(reg.Snapshot(at).Rows); n != stats.DefaultMaxNames+1 {
		t.Errorf("%d rows, want %d", n, stats.DefaultMaxNames+1)
	}
	if grew := int64(afterHundred) - int64(afterTen); grew > 1<<20 {
		t.Errorf("the heap grew by %d bytes from 10,000 to 100,000 names; past the limit it must not grow", grew)
	}
}

func TestAbsorbedNamesAreLimitedToo(t *testing.T) {
	worker := stats.NewRegistry(1)
	at := time.Now()
	for i := 0; i < 30; i++ {
		worker.Recorder(0).Record(stats.Sample{Type: "GET", Name: fmt.Sprintf("/w/%d", i), At: at})
	}
	master := stats.NewRegistry(1)
	master.SetMaxNames(10)
	if err := master.AbsorbWire(stats.AppendSnapshot(nil, worker.Drain(at))); err != nil {
		t.Fatal(err)
	}
	snap := master.Snapshot(at)
	if len(snap.Rows) != 11 || snap.Total.Requests != 30 {
		t.Errorf("master: %d rows, %d requests; want 11 rows (10 + overflow) and all 30", len(snap.Rows), snap.Total.Requests)
	}
}

func TestGroupIDs(t *testing.T) {
	for in, want := range map[string]string{
		"/items/123":         "/items/{id}",
		"/users/42/orders/7": "/users/{id}/orders/{id}",
		"/u/3f2504e0-4f89-11d3-9a0c-0305e82c3301/x": "/u/{id}/x",
		"/blob/9f86d081884c7d65":                    "/blob/{id}",
		"/items":                                    "/items",
		"/v2/items":                                 "/v2/items",
		"/deadbeef":                                 "/deadbeef", // hex without a digit: a word
		"/api/cafe1234":                             "/api/{id}",
		"registry":                                  "registry",
		"/a-b-c":                                    "/a-b-c",
	} {
		if got := stats.GroupIDs(in); got != want {
			t.Errorf("GroupIDs(%q) = %q, want %q", in, got, want)
		}
	}
	reg := stats.NewRegistry(1)
	reg.SetGroupIDs(true)
	for i := 0; i < 5; i++ {
		reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: fmt.Sprintf("/items/%d", i)})
	}
	if rows := reg.Snapshot(time.Now()).Rows; len(rows) != 1 || rows[0].Name != "/items/{id}" || rows[0].Requests != 5 {
		t.Errorf("grouped rows: %+v", rows)
	}
}

func TestBusiestPattern(t *testing.T) {
	reg := stats.NewRegistry(1)
	for i := 0; i < 7; i++ {
		reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: fmt.Sprintf("/items/%d", i)})
	}
	for i := 0; i < 3; i++ {
		reg.Recorder(0).Record(stats.Sample{Type: "POST", Name: fmt.Sprintf("/users/%d/cart", i)})
	}
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/"})
	if p := stats.BusiestPattern(reg.Snapshot(time.Now())); p.Pattern != "GET /items/{id}" || p.Names != 7 {
		t.Errorf("busiest pattern %+v, want GET /items/{id} with 7 names", p)
	}
}
