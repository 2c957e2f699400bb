package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/shared"
	"github.com/jsload/jsload/internal/stats"
)

// Two workers take from the master's queue over NATS: every item is taken
// once in the whole run, counters add up, and a waiting take gets an item
// another worker puts back.
func TestWorkersShareTheMastersQueue(t *testing.T) {
	store := shared.NewLocal()
	items := make([][]byte, 100)
	for i := range items {
		items[i] = []byte(fmt.Sprintf(`{"user":"u%d"}`, i))
	}
	ctx := context.Background()
	if err := store.Define(ctx, shared.QueueSpec{Name: "creds", Items: items, Len: len(items), Digest: "d"}); err != nil {
		t.Fatal(err)
	}
	m, err := StartMaster(MasterConfig{Bind: "127.0.0.1:0", RunID: "t", Version: "v1", Job: []byte("the job"), Classes: testClasses,
		Registry: stats.NewRegistry(1), Log: &testLog{}, Interval: testInterval, MissingAfter: testMissing, Shared: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	w1 := startTestWorker(t, m, "w1", "v1", nil)
	w2 := startTestWorker(t, m, "w2", "v1", nil)
	eventually(t, "both workers joined", func() bool { return len(m.Workers()) == 2 })

	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, w := range []*testWorker{w1, w2} {
		st := w.w.Shared()
		if err := st.Define(ctx, shared.QueueSpec{Name: "creds", Len: len(items), Digest: "d"}); err != nil {
			t.Fatal(err)
		}
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					it, err := st.Take(ctx, "creds", false)
					if errors.Is(err, shared.ErrEmpty) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := st.Add(ctx, "taken", 1); err != nil {
						t.Error(err)
					}
					mu.Lock()
					seen[string(it)]++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if len(seen) != len(items) {
		t.Fatalf("%d distinct items taken, want %d", len(seen), len(items))
	}
	for it, n := range seen {
		if n != 1 {
			t.Errorf("%s taken %d times", it, n)
		}
	}
	if v := store.Value("taken"); v != int64(len(items)) {
		t.Errorf("counter %d, want %d", v, len(items))
	}

	got := make(chan string, 1)
	go func() {
		it, err := w1.w.Shared().Take(ctx, "creds", true)
		if err != nil {
			t.Error(err)
		}
		got <- string(it)
	}()
	if err := w2.w.Shared().Put(ctx, "creds", []byte(`"back"`)); err != nil {
		t.Fatal(err)
	}
	select {
	case it := <-got:
		if it != `"back"` {
			t.Errorf("the waiting take got %s", it)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting take never got the item put back")
	}
	if err := w1.w.Shared().Define(ctx, shared.QueueSpec{Name: "other", Len: 1, Digest: "x"}); err == nil {
		t.Error("a queue the master lacks was accepted")
	}
}

// A job too large for one NATS message is refused before the test, with
// its size, rather than never reaching the workers.
func TestJobLargerThanAMessage(t *testing.T) {
	_, err := StartMaster(MasterConfig{Bind: "127.0.0.1:0", RunID: "t", Version: "v1", Job: make([]byte, 50<<20), Classes: testClasses,
		Registry: stats.NewRegistry(1), Log: &testLog{}})
	if err == nil || !strings.Contains(err.Error(), "is larger than NATS's largest message here (67.1 MB)") {
		t.Fatalf("got %v", err)
	}
}
