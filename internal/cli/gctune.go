package cli

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// The GC tuner keeps the garbage collector's headroom in proportion to
// what a run holds. Go's default (GOGC=100) lets the heap grow by as much
// as is live before it collects: with thousands of users, each holding
// its own JavaScript runtime, that is as much memory again as the users
// themselves, most of it garbage from requests. Once per tick the tuner
// reads the live heap (runtime/metrics) and sets the GC percent so that
// the heap may grow by gcHeadroomShare of it, and by at least
// gcMinHeadroom: below that (a few hundred users and fewer) nothing
// changes, so the throughput scenario's collections stay as they were.
// Collecting more often costs CPU (with 5,000 idle users, a headroom of
// half the live heap added about 12% to the run's CPU time, the median of
// three paired runs, and a quarter of it about 23% in one run), so while
// the process keeps its cores busy (gcBusy of them over a tick, until it
// falls below gcCalm) the tuner goes back to the default: a CPU-bound run
// needs the CPU more than the memory. And while the generator is
// saturated by its own load (the saturation warning's condition, see
// saturation.go), the heap may grow by up to gcBusyPercent of what is
// live, as far as the memory the process may use allows (half of what was
// available when the tuner was made), and by no less than Go's default
// (the default for a live heap under gcMinHeadroom). With 18,000 users at
// one request per second the collector and its assists took about 14% of
// the saturated generator's CPU with the default and about 3% with 300
// (pprof), and scripts/bench users18k delivered 96.3% (93.6-96.9) of the
// rate from 10 s on against 90.5% (90.1-94.5) with the default (three
// runs each; 94.1% and 98.7% in two sets while the room followed CPU use;
// 0.9-1.4 GB of max RSS against 0.9-1.0 GB). Mere CPU use does
// not give the room, so that a spawn or a busy neighbour does not grow an
// unsaturated run's memory. The tuner leaves the collector alone when the
// user set GOGC or GOMEMLIMIT.
const (
	gcMinHeadroom   = 32 << 20
	gcHeadroomShare = 0.5
	gcMinPercent    = 10
	gcBusy          = 0.85
	gcCalm          = 0.7
	gcBusyPercent   = 300
)

// gcHeap is one reading of the collector's state: the heap marked live by
// the last collection, and the stacks and globals it scanned (Go's heap
// goal is live + (live + stacks + globals) * GOGC / 100); inUse, the heap's
// objects now, live or not yet collected (0: unknown).
type gcHeap struct {
	live, stacks, globals, inUse uint64
}

// gcPercentAbove is the least GC percent whose heap goal for h is at least
// goal bytes.
func gcPercentAbove(h gcHeap, goal uint64) int {
	base := h.live + h.stacks + h.globals
	if base == 0 || goal <= h.live {
		return 0
	}
	return int(((goal-h.live)*100 + base - 1) / base)
}

// gcPercentFor is the GC percent that gives h its headroom.
func gcPercentFor(h gcHeap) int {
	base := h.live + h.stacks + h.globals
	if base == 0 {
		return 100
	}
	headroom := max(uint64(gcMinHeadroom), uint64(float64(h.live)*gcHeadroomShare))
	p := (headroom*100 + base - 1) / base
	return int(min(max(p, gcMinPercent), 100))
}

// gcBusyPercentFor is the GC percent for h while the process is
// saturated by its own load: gcBusyPercent, less if the heap could then
// outgrow limit (bytes; 0: unknown), never less than the default 100; the
// default for a live heap under gcMinHeadroom, whose collections cost
// little (50 users without waits: a few MB), so that it does not grow for
// nothing.
func gcBusyPercentFor(h gcHeap, limit uint64) int {
	base := h.live + h.stacks + h.globals
	if base == 0 || limit == 0 || h.live < gcMinHeadroom {
		return 100
	}
	if limit <= 2*base {
		return 100
	}
	p := (limit - base) * 100 / base
	return int(min(max(p, 100), gcBusyPercent))
}

// gcTuner sets the GC percent from tick to tick (not safe for concurrent
// use: one loop calls it).
type gcTuner struct {
	read  func() gcHeap
	set   func(int) int // debug.SetGCPercent
	debug func(format string, args ...any)
	limit uint64 // what the heap may reach while saturated (gcBusyPercentFor)
	cur   int    // the percent in force: what the tuner set last, or the original
	orig  int    // the percent before the tuner's first change; 0: none made
	busy  bool   // the process keeps its cores busy: the default applies
	roomy bool   // it was saturated by its own load since it was last calm: gcBusyPercentFor applies
}

// gcUserSet reports whether the environment sets the collector's policy
// (GOGC or GOMEMLIMIT): then the tuner leaves it alone.
func gcUserSet(getenv func(string) string) bool {
	return getenv("GOGC") != "" || getenv("GOMEMLIMIT") != ""
}

// newGCTuner tunes this process's collector; nil when the user set its
// policy or the runtime does not publish the metrics it reads.
func newGCTuner(log *logger) *gcTuner {
	if gcUserSet(os.Getenv) {
		return nil
	}
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}, {Name: "/gc/gogc:percent"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return nil
		}
	}
	// The percent in force now: 100 unless an earlier run in this process
	// (watch mode) left another.
	t := &gcTuner{set: debug.SetGCPercent, cur: int(s[3].Value.Uint64())}
	if b := memoryBudget(); b > 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		t.limit = ms.HeapInuse + uint64(b)/2
	}
	if log != nil {
		t.debug = log.Debugf
	}
	t.read = func() gcHeap {
		metrics.Read(s)
		return gcHeap{live: s[0].Value.Uint64(), stacks: s[1].Value.Uint64(), globals: s[2].Value.Uint64(), inUse: s[4].Value.Uint64()}
	}
	return t
}

// observe sets the GC percent this tick's reading asks for; cpu is the
// share of its cores the process used over the tick (-1: unknown), and
// saturated whether its own load saturates it (satWatch.ownSaturation).
func (t *gcTuner) observe(cpu float64, saturated bool) {
	if t == nil {
		return
	}
	switch {
	case saturated:
		t.busy, t.roomy = true, true
	case cpu >= gcBusy:
		t.busy = true
	case cpu < gcCalm:
		// Calm ends both: the room stays until then, so that a tick that
		// reads unsaturated does not drop the goal under the heap (an
		// immediate collection) and raise it again.
		t.busy, t.roomy = false, false
	}
	h := t.read()
	p := gcPercentFor(h)
	switch {
	case t.roomy:
		p = gcBusyPercentFor(h, t.limit)
	case t.busy:
		p = 100
	}
	if p < t.cur && h.inUse > 0 {
		// A goal under the heap in use would start a collection at
		// once, late, with the program's goroutines made to help it
		// (with 18,000 users at one request a second, one to three of
		// a run's collections began so, with the heap already at or
		// over the new goal): lower the goal only to a tenth above the
		// heap in use, never raising it, so that the next collection
		// comes soon and paced; the ticks after it lower it the rest
		// of the way.
		p = max(p, min(t.cur, gcPercentAbove(h, h.inUse+h.inUse/10)))
	}
	if p == t.cur {
		return
	}
	prev := t.set(p)
	if t.orig == 0 {
		t.orig = prev
	}
	t.cur = p
	if t.debug != nil {
		t.debug("garbage collector: GOGC %d (live heap %d MB, CPU %.0f%% of the cores)", p, h.live>>20, 100*cpu)
	}
}

// restore puts back the GC percent the process had before the tuner.
func (t *gcTuner) restore() {
	if t == nil || t.orig == 0 {
		return
	}
	t.set(t.orig)
	t.cur, t.orig = t.orig, 0
}
