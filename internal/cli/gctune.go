package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// The GC tuner keeps the garbage collector's headroom in proportion to
// what a run holds, and to what collecting costs it. Go's default
// (GOGC=100) lets the heap grow by as much as is live before it collects:
// with thousands of users, each holding its own JavaScript runtime, that
// is as much memory again as the users themselves, most of it garbage from
// requests. Once per tick the tuner reads the collector's state
// (runtime/metrics) and sets the GC percent to the largest of:
//
//   - the lean percent: the heap may grow by gcHeadroomShare of what is
//     live, and by at least gcMinHeadroom (below that, a few hundred users
//     and fewer, the default stays), at most the default;
//   - the cost percent: what keeps the collector's CPU within gcCostShare
//     of the cores the process leaves idle (never less than a tenth of
//     that share: gcCostFloor). A collection's CPU grows with what it
//     scans (live heap, stacks, globals), and collections come as often as
//     the program allocates the headroom, so the collector's share of the
//     cores at GC percent p is about 100 * k * a / (p * cores), where k is
//     the CPU a collection took per byte scanned and a the allocation rate,
//     both measured and smoothed from tick to tick; the cost percent
//     solves that for the share allowed. It is capped at gcMaxPercent and
//     by the memory the process may use (half of what was available when
//     the tuner was made);
//   - while the generator is saturated by its own load (the saturation
//     warning's condition, see saturation.go) and until the process's
//     smoothed CPU falls below gcCalm, the saturated room: gcMaxPercent, as
//     far as that memory allows, and no less than the default
//     (gcBusyPercentFor).
//
// Until a collection has been measured, a process at least half busy (a
// spawn, or the load after it) keeps the percent in force, up to the
// default, rather than lowering it into a collection in the middle of
// the spawn, or into one paced on what the collection after the users'
// preparation measured. A lower percent never brings the goal closer to
// the heap in use than half its new headroom (nor than a tenth of the
// heap): the collection it brings on is then paced, not begun late with
// the users made to assist it.
//
// With 5,000 idle users the cost percent stays under the lean one, so the
// idle user's memory is as before. With 18,000 users at one request per
// second a collection took about 0.4 s of CPU over a 320 MB live heap and
// the program allocated about 26 MB/s: at the lean percent (50) the
// collector and its assists took about 9% of the core, with a collection
// every 4.4 s whose half-second mark phase left the saturated generator's
// goroutines waiting up to 800 ms for the core (GODEBUG=gctrace=1 and the
// saturation warning); the cost percent gives that run the room the
// saturated case had, without waiting for the generator to saturate.
// Where the tuner changes the percent it logs why at debug level. It
// leaves the collector alone when the user set GOGC or GOMEMLIMIT.
const (
	gcMinHeadroom   = 32 << 20
	gcHeadroomShare = 0.5
	gcMinPercent    = 10
	gcCalm          = 0.7
	// gcSpawnBusy is the smoothed CPU share at and above which a process
	// with no collection measured yet keeps the percent in force.
	gcSpawnBusy  = 0.5
	gcMaxPercent = 300
	gcCostShare  = 0.03
	gcCostFloor  = 0.1
	// gcSmooth is the weight of a new tick's CPU share and allocation
	// rate, and of a new collection's cost, in their smoothed values.
	gcSmooth = 0.3
)

// gcHeap is one reading of the collector's state: the heap marked live by
// the last collection, and the stacks and globals it scanned (Go's heap
// goal is live + (live + stacks + globals) * GOGC / 100); inUse, the heap's
// objects now, live or not yet collected (0: unknown); and the running
// totals of collections completed, of the CPU seconds they took (as the
// runtime counts them: at the end of each collection) and of the bytes
// allocated.
type gcHeap struct {
	live, stacks, globals, inUse uint64
	cycles, allocs               uint64
	cpu                          float64
}

// scanned is what a collection of h scans.
func (h gcHeap) scanned() uint64 { return h.live + h.stacks + h.globals }

// gcPercentAbove is the least GC percent whose heap goal for h is at least
// goal bytes.
func gcPercentAbove(h gcHeap, goal uint64) int {
	base := h.scanned()
	if base == 0 || goal <= h.live {
		return 0
	}
	return int(((goal-h.live)*100 + base - 1) / base)
}

// gcPercentFor is the lean GC percent for h: its headroom.
func gcPercentFor(h gcHeap) int {
	base := h.scanned()
	if base == 0 {
		return 100
	}
	headroom := max(uint64(gcMinHeadroom), uint64(float64(h.live)*gcHeadroomShare))
	p := (headroom*100 + base - 1) / base
	return int(min(max(p, gcMinPercent), 100))
}

// gcRoomPercent is the largest GC percent the tuner gives h: gcMaxPercent,
// less if the heap could then outgrow limit (bytes; 0: unknown), never
// less than the default 100 (the default, too, when the limit is unknown).
func gcRoomPercent(h gcHeap, limit uint64) int {
	base := h.scanned()
	if base == 0 || limit == 0 || limit <= 2*base {
		return 100
	}
	return int(min((limit-base)*100/base, gcMaxPercent))
}

// gcBusyPercentFor is the GC percent for h while the process is saturated
// by its own load: gcRoomPercent; the default for a live heap under
// gcMinHeadroom, whose collections cost little (50 users without waits: a
// few MB), so that it does not grow for nothing.
func gcBusyPercentFor(h gcHeap, limit uint64) int {
	if h.live < gcMinHeadroom {
		return 100
	}
	return gcRoomPercent(h, limit)
}

// gcCostPercent is the GC percent that keeps the collector's CPU within
// gcCostShare of the share of procs cores the process leaves idle (cpu:
// the share it uses, -1 if unknown), when a collection takes perByte CPU
// seconds per byte it scans and the program allocates rate bytes a
// second; rounded down to a multiple of 10, so that the small moves of
// the measures from tick to tick do not reset it; 0 when the cost is not
// known yet.
func gcCostPercent(perByte, rate, cpu float64, procs int) int {
	if perByte <= 0 || rate <= 0 || procs <= 0 {
		return 0
	}
	share := gcCostShare
	if cpu >= 0 {
		share *= max(1-cpu, gcCostFloor)
	}
	p := 100 * perByte * rate / (share * float64(procs))
	if p >= 1e6 {
		return 1e6
	}
	return int(p) / 10 * 10
}

// gcTuner sets the GC percent from tick to tick (not safe for concurrent
// use: one loop calls it).
type gcTuner struct {
	read  func() gcHeap
	set   func(int) int // debug.SetGCPercent
	now   func() time.Time
	debug func(format string, args ...any)
	procs int    // the collector's cores (GOMAXPROCS)
	limit uint64 // what the heap may reach (gcRoomPercent)
	cur   int    // the percent in force: what the tuner set last, or the original
	orig  int    // the percent before the tuner's first change; 0: none made
	roomy bool   // it was saturated by its own load since it was last calm: gcBusyPercentFor applies

	// The measures, smoothed: the CPU share of the process's cores (-1:
	// unknown), the CPU seconds a collection took per byte it scanned (0:
	// none seen yet), the bytes allocated a second; and the last reading.
	cpu, perByte, rate float64
	last               gcHeap
	lastAt             time.Time
}

// gcUserSet reports whether the environment sets the collector's policy
// (GOGC or GOMEMLIMIT): then the tuner leaves it alone.
func gcUserSet(getenv func(string) string) bool {
	return getenv("GOGC") != "" || getenv("GOMEMLIMIT") != ""
}

// gcMetrics are what the tuner reads, in gcHeap's terms.
var gcMetrics = []string{
	"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes",
	"/memory/classes/heap/objects:bytes", "/gc/cycles/total:gc-cycles",
	"/gc/heap/allocs:bytes", "/cpu/classes/gc/total:cpu-seconds",
	"/gc/gogc:percent",
}

// newGCTuner tunes this process's collector; nil when the user set its
// policy or the runtime does not publish the metrics it reads.
func newGCTuner(log *logger) *gcTuner {
	if gcUserSet(os.Getenv) {
		return nil
	}
	s := make([]metrics.Sample, len(gcMetrics))
	for i, name := range gcMetrics {
		s[i].Name = name
	}
	metrics.Read(s)
	for i, x := range s {
		want := metrics.KindUint64
		if i == 6 { // the collector's CPU seconds
			want = metrics.KindFloat64
		}
		if x.Value.Kind() != want {
			return nil
		}
	}
	// The percent in force now: 100 unless an earlier run in this process
	// (watch mode) left another.
	t := &gcTuner{set: debug.SetGCPercent, now: time.Now, procs: runtime.GOMAXPROCS(0), cur: int(s[7].Value.Uint64()), cpu: -1}
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
		return gcHeap{
			live: s[0].Value.Uint64(), stacks: s[1].Value.Uint64(), globals: s[2].Value.Uint64(),
			inUse: s[3].Value.Uint64(), cycles: s[4].Value.Uint64(), allocs: s[5].Value.Uint64(),
			cpu: s[6].Value.Float64(),
		}
	}
	// The first reading: the first tick measures from here.
	t.measure(t.read(), t.now(), -1)
	return t
}

// smooth moves *v toward x by gcSmooth; to x itself when unknown (<= 0
// for a measure, < 0 for the CPU share).
func smooth(v *float64, x float64, unknown bool) {
	if unknown {
		*v = x
		return
	}
	*v += gcSmooth * (x - *v)
}

// measure takes h, read now, into the smoothed measures.
func (t *gcTuner) measure(h gcHeap, now time.Time, cpu float64) {
	if cpu >= 0 {
		smooth(&t.cpu, cpu, t.cpu < 0)
	}
	if !t.lastAt.IsZero() {
		if dt := now.Sub(t.lastAt).Seconds(); dt > 0 && h.allocs >= t.last.allocs {
			smooth(&t.rate, float64(h.allocs-t.last.allocs)/dt, t.rate <= 0)
		}
		if n := h.cycles - t.last.cycles; h.cycles > t.last.cycles && h.cpu > t.last.cpu && h.scanned() > 0 {
			smooth(&t.perByte, (h.cpu-t.last.cpu)/float64(n)/float64(h.scanned()), t.perByte <= 0)
		}
	}
	t.last, t.lastAt = h, now
}

// observe sets the GC percent this tick's reading asks for; cpu is the
// share of its cores the process used over the tick (-1: unknown), and
// saturated whether its own load saturates it (satWatch.ownSaturation).
func (t *gcTuner) observe(cpu float64, saturated bool) {
	if t == nil {
		return
	}
	h := t.read()
	t.measure(h, t.now(), cpu)
	switch {
	case saturated:
		t.roomy = true
	case t.cpu >= 0 && t.cpu < gcCalm:
		// Calm ends the room: it stays until then, so that a tick that
		// reads unsaturated does not drop the goal under the heap (an
		// immediate collection) and raise it again.
		t.roomy = false
	}
	p := gcPercentFor(h)
	why := "a lean heap"
	if t.perByte <= 0 && t.cpu >= gcSpawnBusy && p < t.cur {
		// No collection measured yet, in a busy process: a spawn, or
		// the load that follows it. Lowering the goal now would start a
		// collection in the middle of it (with 10,000 users at an
		// unlimited rate, one began 1.3 s after the start, lowered into
		// at the first tick, with a 0.94 s mark phase, and the 10,000th
		// user's first request came at 1.86 s), or soon after it with
		// too little room: the first collection after the one that
		// follows the users' preparation is paced on what that one
		// measured (no users running), and at 10,000 users (66-70% of
		// the core) the lean percent left it 36 MB and 150-210 ms of
		// the users' time in assists. So the percent in force stays, up
		// to the default, until a collection has been measured or the
		// process is under half busy (5,000 idle users: 17-30%).
		p, why = max(p, min(t.cur, 100)), "a spawn (no collection measured yet)"
	}
	if c := min(gcCostPercent(t.perByte, t.rate, t.cpu, t.procs), gcRoomPercent(h, t.limit)); c > p {
		if t.cur > p && c != t.cur && 10*max(c-t.cur, t.cur-c) <= t.cur {
			// Within a tenth of the percent in force: the measures
			// move a little from tick to tick, the percent need not.
			c = t.cur
		}
		p, why = c, "the collector's cost"
	}
	if b := gcBusyPercentFor(h, t.limit); t.roomy && b > p {
		p, why = b, "saturated"
	}
	if p < t.cur && h.inUse > 0 {
		// A goal just above the heap in use starts a collection at
		// once, late, with the program's goroutines made to help it
		// mark: with 18,000 users at one request a second, one to
		// three of a run's collections began so, with the heap already
		// at or over the new goal; with 10,000 users a lowering from
		// GOGC 80 to 70 left 31 MB between the heap and the goal, and
		// the collection that began at once took 160 ms of the users'
		// time in assists (against 134 ms in the background) and their
		// requests for a second fell from 10,000 to 6,400. So the
		// goal is lowered no closer to the heap in use than half the
		// new headroom, and a tenth of the heap, never raised: the
		// next collection comes paced, and the ticks after it lower
		// the goal the rest of the way.
		room := max(h.inUse/10, h.scanned()*uint64(p)/200)
		if q := min(t.cur, gcPercentAbove(h, h.inUse+room)); q > p {
			p, why = q, why+", lowered part of the way (the heap in use is near)"
		}
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
		use := "unknown"
		if t.cpu >= 0 {
			use = fmt.Sprintf("%.0f%% of the cores", 100*t.cpu)
		}
		t.debug("garbage collector: GOGC %d for %s (live heap %d MB, CPU %s; at GOGC 100 the collector would take %.1f%% of the cores)",
			p, why, h.live>>20, use, 100*t.perByte*t.rate/float64(max(t.procs, 1)))
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
