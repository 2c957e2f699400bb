package engine

import (
	"math/rand/v2"
	"testing"
)

// checkSpawnOrder verifies that order holds exactly missing[i] entries of
// every class i and that, after every prefix of k entries, each class has
// been picked within 1 of its exact share k*missing[i]/total.
func checkSpawnOrder(t *testing.T, missing, order []int) {
	t.Helper()
	total := 0
	for _, n := range missing {
		total += n
	}
	if len(order) != total {
		t.Fatalf("spawnOrder(%v): len %d, want %d", missing, len(order), total)
	}
	got := make([]int, len(missing))
	for k, c := range order {
		if c < 0 || c >= len(missing) {
			t.Fatalf("spawnOrder(%v)[%d] = %d: no such class", missing, k, c)
		}
		got[c]++
		n := k + 1
		for i, m := range missing {
			exact := float64(n) * float64(m) / float64(total)
			if d := float64(got[i]) - exact; d >= 1 || d <= -1 {
				t.Fatalf("spawnOrder(%v): after %d picks class %d has %d, exact share %.3f (order %v)",
					missing, n, i, got[i], exact, order)
			}
		}
	}
	for i, m := range missing {
		if got[i] != m {
			t.Fatalf("spawnOrder(%v): class %d picked %d times, want %d", missing, i, got[i], m)
		}
	}
}

func TestSpawnOrderTable(t *testing.T) {
	t.Parallel()
	for _, missing := range [][]int{
		nil,
		{},
		{0},
		{5},
		{0, 0, 0},
		{3, 1},
		{6, 2},
		{1, 1, 1},
		{0, 4, 0, 2},
		{1, 100},
		{100, 1},
		{7, 5, 3, 1},
		{2, 3, 5, 7, 11, 13},
		{9, 17, 3, 1, 15, 59, 59}, // smooth weighted round-robin strays past 1 here
		{36, 1, 33, 39, 33, 14},
	} {
		checkSpawnOrder(t, missing, spawnOrder(missing))
	}
}

func TestSpawnOrderInterleaves(t *testing.T) {
	t.Parallel()
	// Two equal classes must alternate, never come in blocks.
	order := spawnOrder([]int{2, 2})
	if order[0] == order[1] || order[2] == order[3] {
		t.Fatalf("spawnOrder([2 2]) = %v, want alternating classes", order)
	}
}

func TestSpawnOrderProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		missing := make([]int, 1+r.IntN(8))
		for i := range missing {
			if r.IntN(4) > 0 {
				missing[i] = r.IntN(60)
			}
		}
		checkSpawnOrder(t, missing, spawnOrder(missing))
	}
}
