package engine_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/jsload/jsload/internal/engine"
)

func w(name string, weight int) engine.Class { return engine.Class{Name: name, Weight: weight} }

func fixed(name string, n int) engine.Class { return engine.Class{Name: name, FixedCount: n} }

func TestDistribute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		classes []engine.Class
		users   int
		want    []int
	}{
		{"no classes", nil, 5, []int{}},
		{"one class", []engine.Class{w("A", 1)}, 7, []int{7}},
		{"3:1 with 4", []engine.Class{w("A", 3), w("B", 1)}, 4, []int{3, 1}},
		{"3:1 with 8", []engine.Class{w("A", 3), w("B", 1)}, 8, []int{6, 2}},
		{"3:1 with 1", []engine.Class{w("A", 3), w("B", 1)}, 1, []int{1, 0}},
		{"3:1 with 0", []engine.Class{w("A", 3), w("B", 1)}, 0, []int{0, 0}},
		{"1:3 with 1", []engine.Class{w("A", 1), w("B", 3)}, 1, []int{0, 1}},
		{"3:1 with 5", []engine.Class{w("A", 3), w("B", 1)}, 5, []int{4, 1}},
		{"3:1 with 7", []engine.Class{w("A", 3), w("B", 1)}, 7, []int{5, 2}},
		{"equal weights, tie to earlier", []engine.Class{w("A", 1), w("B", 1), w("C", 1)}, 2, []int{1, 1, 0}},
		{"equal weights, one user", []engine.Class{w("A", 5), w("B", 5)}, 1, []int{1, 0}},
		{"largest fraction wins", []engine.Class{w("A", 1), w("B", 2)}, 2, []int{1, 1}},
		{"fixed first, rest weighted", []engine.Class{fixed("A", 2), w("B", 1), w("C", 1)}, 5, []int{2, 2, 1}},
		{"fixed declared last still first", []engine.Class{w("A", 1), fixed("B", 3)}, 4, []int{1, 3}},
		{"fixed larger than users", []engine.Class{fixed("A", 10), w("B", 1)}, 4, []int{4, 0}},
		{"several fixed, in order", []engine.Class{fixed("A", 2), fixed("B", 3), w("C", 1)}, 4, []int{2, 2, 0}},
		{"several fixed, enough users", []engine.Class{fixed("A", 2), fixed("B", 3), w("C", 1)}, 10, []int{2, 3, 5}},
		{"fixed wins over weight", []engine.Class{{Name: "A", Weight: 100, FixedCount: 1}, w("B", 1)}, 5, []int{1, 4}},
		{"only fixed, too many users", []engine.Class{fixed("A", 2), fixed("B", 1)}, 5, []int{2, 1}},
		{"zero weight gets none", []engine.Class{w("A", 0), w("B", 2)}, 3, []int{0, 3}},
		{"negative weight gets none", []engine.Class{w("A", -1), w("B", 1)}, 3, []int{0, 3}},
		{"only zero weights", []engine.Class{w("A", 0), w("B", 0)}, 3, []int{0, 0}},
		{"zero weight beside fixed", []engine.Class{fixed("A", 1), w("B", 0)}, 3, []int{1, 0}},
		{"negative users", []engine.Class{fixed("A", 2), w("B", 1)}, -3, []int{0, 0}},
		{"large", []engine.Class{w("A", 1), w("B", 1), w("C", 1)}, 1000, []int{334, 333, 333}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := engine.Distribute(tt.classes, tt.users)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Distribute(%v, %d) = %v, want %v", tt.classes, tt.users, got, tt.want)
			}
		})
	}
}

func TestDistributeProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	for range 5000 {
		classes := make([]engine.Class, 1+r.IntN(6))
		for i := range classes {
			classes[i].Name = string(rune('A' + i))
			switch r.IntN(5) {
			case 0:
				classes[i].FixedCount = 1 + r.IntN(10)
			case 1:
				classes[i].Weight = 0
			default:
				classes[i].Weight = 1 + r.IntN(20)
			}
		}
		users := r.IntN(200)
		got := engine.Distribute(classes, users)
		if len(got) != len(classes) {
			t.Fatalf("Distribute(%v, %d) = %v: wrong length", classes, users, got)
		}

		// Fixed classes take users first, in declaration order.
		left := users
		totalW, weighted := 0, false
		for i, c := range classes {
			if c.FixedCount > 0 {
				if want := min(c.FixedCount, left); got[i] != want {
					t.Fatalf("Distribute(%v, %d) = %v: fixed class %d has %d, want %d", classes, users, got, i, got[i], want)
				}
				left -= got[i]
			} else if c.Weight > 0 {
				totalW += c.Weight
				weighted = true
			} else if got[i] != 0 {
				t.Fatalf("Distribute(%v, %d) = %v: zero-weight class %d got users", classes, users, got, i)
			}
		}

		sum := 0
		for _, n := range got {
			if n < 0 {
				t.Fatalf("Distribute(%v, %d) = %v: negative count", classes, users, got)
			}
			sum += n
		}
		if weighted && sum != users {
			t.Fatalf("Distribute(%v, %d) = %v: sum %d, want %d", classes, users, got, sum, users)
		}
		if !weighted && sum > users {
			t.Fatalf("Distribute(%v, %d) = %v: sum %d exceeds users", classes, users, got, sum)
		}

		// Weighted classes share the rest within 1 of their exact share.
		for i, c := range classes {
			if c.FixedCount > 0 || c.Weight <= 0 {
				continue
			}
			exact := float64(left) * float64(c.Weight) / float64(totalW)
			if math.Abs(float64(got[i])-exact) >= 1 {
				t.Fatalf("Distribute(%v, %d) = %v: class %d has %d, exact share %.3f", classes, users, got, i, got[i], exact)
			}
		}
	}
}

func ExampleDistribute() {
	classes := []engine.Class{
		{Name: "Admin", FixedCount: 1},
		{Name: "Shopper", Weight: 3},
		{Name: "Browser", Weight: 1},
	}
	fmt.Println(engine.Distribute(classes, 9))
	// Output: [1 6 2]
}
