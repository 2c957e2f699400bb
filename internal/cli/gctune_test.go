package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		name string
		h    gcHeap
		want int
	}{
		{"nothing live yet", gcHeap{}, 100},
		{"50 users: a small heap keeps the default", gcHeap{live: 12 * mb, stacks: 1 * mb}, 100},
		{"32 MB scanned: the default gives 32 MB already", gcHeap{live: 30 * mb, stacks: 2 * mb}, 100},
		// 40 MB: 32 MB over 40 + 2 MB.
		{"a little over the minimum", gcHeap{live: 40 * mb, stacks: 2 * mb}, 77},
		// 5,000 idle users: half of 113 MB over 113 + 4 MB.
		{"5,000 users: half the live heap", gcHeap{live: 113 * mb, stacks: 4 * mb}, 49},
		// 512 MB over 1024 + 16 + 8 MB, 48.9%, rounded up.
		{"a large heap", gcHeap{live: 1024 * mb, stacks: 16 * mb, globals: 8 * mb}, 49},
		{"huge stacks: never below the floor", gcHeap{live: 200 * mb, stacks: 4000 * mb}, gcMinPercent},
	}
	for _, c := range cases {
		if got := gcPercentFor(c.h); got != c.want {
			t.Errorf("%s: gcPercentFor(%+v) = %d, want %d", c.name, c.h, got, c.want)
		}
	}
}

func TestGCBusyPercentFor(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		name  string
		h     gcHeap
		limit uint64
		want  int
	}{
		{"no limit known: the default", gcHeap{live: 500 * mb}, 0, 100},
		{"nothing live yet", gcHeap{}, 8000 * mb, 100},
		{"a small heap keeps the default (50 users without waits)", gcHeap{live: 8 * mb, stacks: 1 * mb}, 8000 * mb, 100},
		{"room for all of it", gcHeap{live: 500 * mb, stacks: 10 * mb}, 8000 * mb, gcMaxPercent},
		// 1,500 MB over 500 + 10 MB: 294%.
		{"the limit caps it", gcHeap{live: 500 * mb, stacks: 10 * mb}, 2010 * mb, 294},
		{"never below the default", gcHeap{live: 500 * mb}, 900 * mb, 100},
	}
	for _, c := range cases {
		if got := gcBusyPercentFor(c.h, c.limit); got != c.want {
			t.Errorf("%s: gcBusyPercentFor(%+v, %d MB) = %d, want %d", c.name, c.h, c.limit/mb, got, c.want)
		}
	}
}

func TestGCCostPercent(t *testing.T) {
	cases := []struct {
		name          string
		perByte, rate float64
		cpu           float64
		procs         int
		want          int
	}{
		{"no collection seen yet", 0, 26e6, 0.5, 1, 0},
		{"nothing allocated", 1.2e-9, 0, 0.5, 1, 0},
		// 18,000 users: 0.4 s over 320 MB a collection, 26 MB/s; the
		// collector would take 3.25% of the core at GOGC 100; 3% of the
		// 35% left idle is 1.05%: 309%.
		{"18,000 users", 0.4 / 320e6, 26e6, 0.65, 1, 300},
		{"the CPU share unknown: 3% of the cores", 0.4 / 320e6, 26e6, -1, 1, 100},
		{"two cores halve it", 0.4 / 320e6, 26e6, -1, 2, 50},
		// 5,000 idle users: 0.11 s over 90 MB, 7.5 MB/s, 25% of the core:
		// 0.92% at GOGC 100, 2.25% allowed.
		{"5,000 idle users", 0.11 / 90e6, 7.5e6, 0.25, 1, 40},
		// Busier than 1-gcCostFloor: a tenth of the share, not nothing.
		{"a saturated core", 0.4 / 320e6, 26e6, 1.2, 1, 1080},
		{"an absurd cost stays finite", 1, 1e12, 0.5, 1, 1e6},
	}
	for _, c := range cases {
		if got := gcCostPercent(c.perByte, c.rate, c.cpu, c.procs); got != c.want {
			t.Errorf("%s: gcCostPercent(%g, %g, %g, %d) = %d, want %d", c.name, c.perByte, c.rate, c.cpu, c.procs, got, c.want)
		}
	}
}

// fakeGCTuner is a tuner on one core that reads *h, a second apart, and
// records the percents it sets in *sets, starting from the default, with
// the given limit.
func fakeGCTuner(h *gcHeap, sets *[]int, limit uint64) *gcTuner {
	at := time.Unix(1e9, 0)
	return &gcTuner{
		read:  func() gcHeap { return *h },
		set:   func(p int) int { *sets = append(*sets, p); return 100 },
		now:   func() time.Time { at = at.Add(time.Second); return at },
		procs: 1,
		cur:   100,
		cpu:   -1,
		limit: limit,
	}
}

// wantSets fails t unless sets is want.
func wantSets(t *testing.T, sets, want []int) {
	t.Helper()
	if !slices.Equal(sets, want) {
		t.Fatalf("percents set: %v, want %v", sets, want)
	}
}

// Once saturated by its own load, the tuner gives the heap gcMaxPercent,
// or what its limit allows as the heap grows, until the process's
// smoothed CPU share is calm (an unsaturated tick in between changes
// nothing, nor does a single calm one); then half the live heap again.
// Mere CPU use gives no room.
func TestGCTunerSaturatedRoom(t *testing.T) {
	const mb = 1 << 20
	var sets []int
	var h gcHeap
	tu := fakeGCTuner(&h, &sets, 2000*mb)
	tu.perByte = 1e-12 // a cheap collection measured: no spawn rule, no cost
	for _, tk := range []struct {
		live uint64
		cpu  float64
		sat  bool
	}{
		{120, 0.5, false}, {120, 0.95, false}, // 50: busy alone is no reason
		{120, 0.95, true}, {400, 0.9, true}, {400, 0.8, false}, // 300, then 300 still
		{1000, 0.9, true},                    // the limit: 100
		{1000, 0.5, false},                   // smoothed 0.71: not calm
		{400, 0.5, false}, {400, 0.5, false}, // 0.65: calm, 50
	} {
		h = gcHeap{live: tk.live * mb}
		tu.observe(tk.cpu, tk.sat)
	}
	wantSets(t, sets, []int{50, gcMaxPercent, 100, 50})
}

// The cost of collections, measured from the runtime's totals, raises the
// percent above the lean one with no saturation: at the lean percent the
// collector would take more than its share of the idle cores; it stays
// under the limit, and falls back when the program allocates less.
func TestGCTunerCost(t *testing.T) {
	const mb = 1 << 20
	var sets []int
	var h gcHeap
	tu := fakeGCTuner(&h, &sets, 2000*mb)
	var lines []string
	tu.debug = func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	// 320 MB live; each tick allocates rate MB; every few ticks a
	// collection takes 0.4 s of CPU.
	var cycles, allocs uint64
	var cpu float64
	tick := func(rateMB uint64, collect bool, use float64) {
		allocs += rateMB * mb
		if collect {
			cycles++
			cpu += 0.4
		}
		h = gcHeap{live: 320 * mb, inUse: 330 * mb, cycles: cycles, allocs: allocs, cpu: cpu}
		tu.observe(use, false)
	}
	tick(26, false, 0.6)
	tick(26, false, 0.6)
	// No collection seen, busy (60%): the default stays (TestGCTunerSpawn).
	wantSets(t, sets, nil)
	tick(26, true, 0.6)
	// 0.4 s / 320 MB * 26 MB/s: 3.25% of the core at GOGC 100; 3% of
	// 40% idle allowed: 270%.
	wantSets(t, sets, []int{270})
	if len(lines) != 1 || !strings.Contains(lines[0], "GOGC 270 for the collector's cost") || !strings.Contains(lines[0], "CPU 60% of the cores; at GOGC 100 the collector would take 3.2% of the cores") {
		t.Errorf("debug lines: %q", lines)
	}
	tick(26, false, 0.6)
	tick(26, true, 0.6)
	wantSets(t, sets, []int{270}) // the same measures: no change
	// A little less allocated: 260, within a tenth of 270, changes
	// nothing either.
	for range 3 {
		tick(25, false, 0.6)
	}
	if c := gcCostPercent(tu.perByte, tu.rate, tu.cpu, tu.procs); c != 260 {
		t.Fatalf("the cost percent at 25 MB/s: %d, want 260", c)
	}
	wantSets(t, sets, []int{270})
	// A tighter limit caps it: (900 - 320) / 320.
	tu.limit = 900 * mb
	tick(26, false, 0.6)
	wantSets(t, sets, []int{270, 181})
	// Allocating little, the cost falls under the lean percent.
	for range 12 {
		tick(1, false, 0.6)
	}
	if tu.cur != 50 {
		t.Errorf("after allocating 1 MB/s: GC percent %d, want 50 (set: %v)", tu.cur, sets)
	}
}

// Until a collection has been measured, a process that is not calm (a
// spawn) keeps the percent in force, up to the default; once one has
// been, or once the process calms down, the lean percent applies.
func TestGCTunerSpawn(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		name  string
		cpu   []float64
		cycle int // the tick whose reading has the first collection (-1: none)
		want  []int
	}{
		{"a spawn, then a collection", []float64{1, 0.95, 0.9, 0.9}, 2, []int{50}},
		{"a spawn, then calm", []float64{1, 0.95, 0.3, 0.3, 0.3, 0.3}, -1, []int{50}},
		{"no spawn", []float64{0.3, 0.3}, -1, []int{50}},
		// 10,000 users after their spawn: not calm, busy enough.
		{"a busy run, then a collection", []float64{1, 0.7, 0.66, 0.66, 0.66}, 4, []int{50}},
	} {
		var sets []int
		var h gcHeap
		tu := fakeGCTuner(&h, &sets, 4000*mb)
		for i, cpu := range c.cpu {
			h = gcHeap{live: 181 * mb, inUse: 190 * mb, allocs: uint64(i+1) * mb}
			if c.cycle >= 0 && i >= c.cycle {
				h.cycles, h.cpu = 1, 0.01
			}
			tu.observe(cpu, false)
			// The percent set at tick i: none while busy and unmeasured.
			busy := tu.cpu >= gcSpawnBusy && (c.cycle < 0 || i < c.cycle)
			if busy && len(sets) > 0 {
				t.Fatalf("%s: tick %d (CPU %.2f, smoothed %.2f): percents set %v while busy with no collection measured", c.name, i, cpu, tu.cpu, sets)
			}
		}
		if !slices.Equal(sets, c.want) {
			t.Errorf("%s: percents set %v, want %v", c.name, sets, c.want)
		}
	}
}

// TestGCTuner follows a run's heap as it grows and shrinks: the percent is
// set only when it changes, follows the heap back up to 100, and the
// original is restored at the end.
func TestGCTuner(t *testing.T) {
	const mb = 1 << 20
	percent := 100
	var sets []int
	var h gcHeap
	tu := fakeGCTuner(&h, &sets, 0)
	tu.perByte = 1e-12 // a cheap collection measured: no spawn rule, no cost
	tu.set = func(p int) int {
		prev := percent
		percent = p
		sets = append(sets, p)
		return prev
	}
	for _, tk := range []struct {
		live uint64
		cpu  float64
	}{
		{5, 0.1}, {10, 0.2}, {60, 0.3}, {60, -1}, {120, 0.4}, {120, 0.5}, // 54, then 50
		{120, 0.9}, {120, 0.8}, {120, -1}, {120, 0.6}, // busy: no change
		{2000, 0.5}, {20, 0.5}, // 50 again, then the default
	} {
		h = gcHeap{live: tk.live * mb}
		tu.observe(tk.cpu, false)
	}
	wantSets(t, sets, []int{54, 50, 100})
	h = gcHeap{live: 120 * mb}
	tu.observe(0.5, false)
	tu.restore()
	if percent != 100 || tu.cur != 100 {
		t.Errorf("after restore: GC percent %d (tuner thinks %d), want 100", percent, tu.cur)
	}
	n := len(sets)
	tu.restore() // nothing more to put back
	if len(sets) != n {
		t.Errorf("a second restore set the percent again: %v", sets)
	}
	var nilTuner *gcTuner
	nilTuner.observe(0.5, false)
	nilTuner.restore()
}

// TestGCTunerLeavesUserPolicy: with GOGC or GOMEMLIMIT in the
// environment there is no tuner; without, one that restores the process's
// percent.
func TestGCTunerLeavesUserPolicy(t *testing.T) {
	for _, env := range []map[string]string{{"GOGC": "200"}, {"GOMEMLIMIT": "1GiB"}, {"GOGC": "off"}} {
		get := func(k string) string { return env[k] }
		if !gcUserSet(get) {
			t.Errorf("gcUserSet(%v) = false", env)
		}
	}
	if gcUserSet(func(string) string { return "" }) {
		t.Error("gcUserSet(empty environment) = true")
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	tu := newGCTuner(nil)
	if tu == nil {
		t.Fatal("newGCTuner: nil without GOGC or GOMEMLIMIT")
	}
	runtime.GC()
	if h := tu.read(); h.live == 0 || h.cycles == 0 || h.allocs == 0 || h.cpu <= 0 {
		t.Errorf("after a collection, a reading with no live heap, collections, allocations or collector CPU: %+v", h)
	}
	orig := debug.SetGCPercent(70)
	defer debug.SetGCPercent(orig)
	if tu := newGCTuner(nil); tu.cur != 70 {
		t.Errorf("a new tuner takes the percent in force as %d, want 70", tu.cur)
	}
	debug.SetGCPercent(100)
	tu.read = func() gcHeap { return gcHeap{live: 500 << 20} }
	tu.observe(0.1, false)
	if p := debug.SetGCPercent(100); p != gcPercentFor(gcHeap{live: 500 << 20}) {
		t.Errorf("GC percent after observe: %d, want %d", p, gcPercentFor(gcHeap{live: 500 << 20}))
	}
	debug.SetGCPercent(tu.cur)
	tu.restore()
	if p := debug.SetGCPercent(orig); p != 100 {
		t.Errorf("GC percent after restore: %d, want 100", p)
	}
	t.Setenv("GOGC", "50")
	if newGCTuner(nil) != nil {
		t.Error("newGCTuner: a tuner although GOGC is set")
	}
}

// TestGCTunerLowersAboveTheHeapInUse: leaving the saturated room for half
// the live heap, the tuner never sets a goal under the heap in use, which
// would start a collection at once and late: it lowers the goal to a
// tenth above the heap in use, no further while the heap grows toward it,
// and the rest of the way once a collection has brought the heap in use
// down.
func TestGCTunerLowersAboveTheHeapInUse(t *testing.T) {
	const mb = 1 << 20
	var sets []int
	var h gcHeap
	tu := fakeGCTuner(&h, &sets, 4000*mb)
	goal := func(p int) uint64 { return h.live + (h.live+h.stacks+h.globals)*uint64(p)/100 }
	for i, tk := range []struct {
		inUse uint64
		cpu   float64
		sat   bool
		want  int // the percent in force after the tick
	}{
		{450, 0.99, true, gcMaxPercent},
		{600, 0.8, false, gcMaxPercent}, // unsaturated, not calm: the room stays
		{600, 0.5, false, gcMaxPercent}, // smoothed 0.80
		{600, 0.5, false, gcMaxPercent}, // 0.71
		// Calm (0.65): half the live heap (50) would put the goal at
		// 450 MB, under the 594 MB in use; 669 MB instead (half the
		// new headroom, 75 MB, above).
		{594, 0.5, false, 123},
		{620, 0.5, false, 123}, // the heap grows toward that goal: it stays
		{640, 0.5, false, 123},
		{330, 0.5, false, 50}, // a collection: the rest of the way
	} {
		h = gcHeap{live: 300 * mb, stacks: 0, inUse: tk.inUse * mb}
		if i > 0 {
			// A cheap collection measured: the spawn rule is out of
			// the way, the cost percent nothing.
			h.cycles, h.cpu = 1, 0.001
		}
		tu.observe(tk.cpu, tk.sat)
		if tu.cur != tk.want {
			t.Fatalf("tick %d (%d MB in use, CPU %.2f): GC percent %d, want %d (set so far: %v)", i, tk.inUse, tk.cpu, tu.cur, tk.want, sets)
		}
		if g := goal(tu.cur); g < h.inUse {
			t.Fatalf("tick %d: goal %d MB under the %d MB in use", i, g/mb, h.inUse/mb)
		}
	}
}

// A lowering leaves the collection that follows room to be paced: with
// 10,000 users (226 MB live) at GOGC 80 and 337 MB in use, the lean 50
// would put the goal at 339 MB, 2 MB over the heap, and a tenth above the
// heap (371 MB) 34 MB; half the new headroom (57 MB) is kept instead.
// After the collection the percent goes the rest of the way.
func TestGCTunerLowersPaced(t *testing.T) {
	const mb = 1 << 20
	var sets []int
	var h gcHeap
	tu := fakeGCTuner(&h, &sets, 4000*mb)
	tu.cur = 80
	var lines []string
	tu.debug = func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	goal := func(p int) uint64 { return h.live + h.scanned()*uint64(p)/100 }
	for i, tk := range []struct {
		inUse uint64
		want  int
	}{
		{337, 75}, // 226 + 226 * 0.75 = 395.5 MB: 58 MB over the heap
		{380, 75}, // the heap grows toward it: it stays
		{240, 50}, // a collection: the rest of the way
	} {
		h = gcHeap{live: 226 * mb, inUse: tk.inUse * mb}
		tu.observe(0.45, false)
		if tu.cur != tk.want {
			t.Fatalf("tick %d (%d MB in use): GC percent %d, want %d (set so far: %v)", i, tk.inUse, tu.cur, tk.want, sets)
		}
		if room, want := goal(tu.cur)-h.inUse, h.scanned()*uint64(gcPercentFor(h))/200; i == 0 && room < want {
			t.Fatalf("the lowering left %d MB between the heap and the goal, want at least %d", room/mb, want/mb)
		}
	}
	// The debug log says which lowering stopped short.
	if len(lines) != 2 || !strings.Contains(lines[0], "GOGC 75 for a lean heap, lowered part of the way") || !strings.Contains(lines[1], "GOGC 50 for a lean heap (") {
		t.Errorf("debug lines: %q", lines)
	}
}
