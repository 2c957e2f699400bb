package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestThpMode(t *testing.T) {
	cases := map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never\n": "always",
		"always madvise [never]\n": "never",
		"always madvise never\n":   "",
		"[madvise":                 "",
		"":                         "",
	}
	for in, want := range cases {
		if got := thpMode(in); got != want {
			t.Errorf("thpMode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGodebugDisablesTHP(t *testing.T) {
	cases := map[string]bool{
		"":                             false,
		"disablethp=1":                 true,
		"disablethp=0":                 false,
		"gctrace=1, disablethp=1":      true,
		"disablethp=1,disablethp=0":    false, // the last wins
		"madvdontneed=1,xdisablethp=1": false,
	}
	for in, want := range cases {
		if got := godebugDisablesTHP(in); got != want {
			t.Errorf("godebugDisablesTHP(%q) = %v, want %v", in, got, want)
		}
	}
}

// ahead asks for more than the heap's free pages, so that the slice
// cannot land on pages used before, and logs what it did.
func TestHugeHeapAhead(t *testing.T) {
	var asked []uint64
	var logged []string
	h := &hugeHeap{
		free:  func() uint64 { return 7 << 20 },
		grow:  func(n uint64) error { asked = append(asked, n); return nil },
		debug: func(f string, a ...any) { logged = append(logged, f) },
	}
	h.ahead(100<<20, "test")
	h.ahead(0, "nothing")
	if len(asked) != 1 || asked[0] != 107<<20 {
		t.Errorf("grow asked for %v, want [%d]", asked, 107<<20)
	}
	h.grow = func(uint64) error { return errors.New("EINVAL") }
	h.ahead(1<<20, "fails")
	if len(logged) != 2 || !strings.Contains(logged[0], "mapped ahead with huge pages") || !strings.Contains(logged[1], "cannot advise huge pages") {
		t.Errorf("debug log: %q", logged)
	}
	var none *hugeHeap
	none.ahead(1<<20, "nil does nothing")
}
