package shared

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func items(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`"u%d"`, i))
	}
	return out
}

func spec(name string, its [][]byte, recycle bool) QueueSpec {
	return QueueSpec{Name: name, Items: its, Len: len(its), Digest: fmt.Sprint(len(its), recycle), Recycle: recycle}
}

// stores are the two implementations: a Local, and a Remote talking to
// a Local through Serve (as a cluster's worker talks to its master).
func stores() map[string]func() Store {
	return map[string]func() Store{
		"local": func() Store { return NewLocal() },
		"remote": func() Store {
			owner := NewLocal()
			r := NewRemote(func(ctx context.Context, req []byte) ([]byte, error) { return Serve(ctx, owner, req), nil })
			r.Poll = 5 * time.Millisecond
			return &definedBoth{Remote: r, owner: owner}
		},
	}
}

// definedBoth makes queues on the owner first, as the master's load of
// the script does, then on the remote.
type definedBoth struct {
	*Remote
	owner *Local
}

func (d *definedBoth) Define(ctx context.Context, s QueueSpec) error {
	if err := d.owner.Define(ctx, s); err != nil {
		return err
	}
	return d.Remote.Define(ctx, s)
}

func TestEachItemIsTakenOnce(t *testing.T) {
	for name, mk := range stores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := mk()
			const n = 500
			if err := st.Define(ctx, spec("q", items(n), false)); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			seen := map[string]int{}
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						it, err := st.Take(ctx, "q", false)
						if errors.Is(err, ErrEmpty) {
							return
						}
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						seen[string(it)]++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(seen) != n {
				t.Fatalf("%d distinct items taken, want %d", len(seen), n)
			}
			for k, c := range seen {
				if c != 1 {
					t.Errorf("%s taken %d times", k, c)
				}
			}
			if l, _ := st.Len(ctx, "q"); l != 0 {
				t.Errorf("len %d", l)
			}
		})
	}
}

func TestRecycleWaitAndCounters(t *testing.T) {
	for name, mk := range stores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := mk()
			if err := st.Define(ctx, spec("r", items(2), true)); err != nil {
				t.Fatal(err)
			}
			var got []string
			for i := 0; i < 5; i++ {
				it, err := st.Take(ctx, "r", false)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(it))
			}
			if s := strings.Join(got, " "); s != `"u0" "u1" "u0" "u1" "u0"` {
				t.Errorf("recycled order: %s", s)
			}

			if err := st.Define(ctx, spec("w", nil, false)); err != nil {
				t.Fatal(err)
			}
			taken := make(chan string)
			go func() {
				it, err := st.Take(ctx, "w", true)
				if err != nil {
					t.Error(err)
				}
				taken <- string(it)
			}()
			if err := st.Put(ctx, "w", []byte(`"back"`)); err != nil {
				t.Fatal(err)
			}
			select {
			case it := <-taken:
				if it != `"back"` {
					t.Errorf("waiter got %s", it)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("a waiting Take did not get the item put back")
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := st.Take(cctx, "w", true); !errors.Is(err, context.Canceled) {
				t.Errorf("a canceled wait: %v", err)
			}

			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 100; i++ {
						if _, err := st.Add(ctx, "c", 1); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if v, _ := st.Add(ctx, "c", 0); v != 400 {
				t.Errorf("counter %d, want 400", v)
			}
		})
	}
}

func TestQueueMistakes(t *testing.T) {
	ctx := context.Background()
	l := NewLocal()
	if err := l.Define(ctx, spec("q", items(3), false)); err != nil {
		t.Fatal(err)
	}
	if err := l.Define(ctx, spec("q", items(4), false)); err == nil || !strings.Contains(err.Error(), "made again with other items (3 items, then 4)") {
		t.Errorf("other items: %v", err)
	}
	if err := l.Define(ctx, QueueSpec{Name: "q", Items: items(3), Len: 3, Digest: "3 false", Recycle: true}); err == nil || !strings.Contains(err.Error(), "another onEmpty") {
		t.Errorf("other mode: %v", err)
	}
	if _, err := l.Take(ctx, "nope", false); err == nil || !strings.Contains(err.Error(), `no queue "nope"`) {
		t.Errorf("unknown queue: %v", err)
	}
	r := NewRemote(func(ctx context.Context, req []byte) ([]byte, error) { return Serve(ctx, l, req), nil })
	if err := r.Define(ctx, spec("only-here", items(2), false)); err == nil || !strings.Contains(err.Error(), `no queue "only-here" here`) {
		t.Errorf("a queue the owner lacks: %v", err)
	}
}
