package cli

import (
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/jsload/jsload/internal/output/report"
)

// The saturation watch tells when the load generator itself is the
// bottleneck: its users then wait for a core rather than for the server,
// and the response times measured include that wait. It costs the users
// nothing: once per tick (testRun.wait) it reads the process's CPU time
// (getrusage) and the Go runtime's histogram of how long runnable
// goroutines waited for a core (/sched/latencies:seconds, kept by the
// runtime anyway), and compares them with the previous tick's.
//
// The generator is saturated when, over a tick, the 90th percentile of
// its goroutines' waits for a core was at least satWait: a user whose
// wait time ended waits that long before its task starts, and one whose
// response arrived before it can read it (plain HTTP/1.1 on Linux ends
// response times at the kernel's receive time, other clients when they
// read), so tasks start late and times measured may include jsload's own
// queueing. Waits that long come from
// too few cores for the load: when the process used at least satCPUShare
// of the cores it may use (GOMAXPROCS), it is its own load; with less in
// this tick and the one before, other processes may have taken the cores.
// The warning says so only when they did: when, where the cores' busy
// time can be read (Linux: /proc/stat for the cores of the process's
// affinity), others used at least half of what the process left of them
// in both ticks, since a process's own bursts (a garbage collection with
// 18,000 users' bunched wake-ups) also give long waits at 68% of a core
// with nothing else running; where it cannot be read, on the CPU share
// alone. The same judgment tells ownSaturation, which gives the GC tuner
// its room. One tick is not enough: the waits a tick counts end
// in it but may begin in the tick before, so the end of a burst (10,000
// users' first requests, then their waits) reads as long waits at a low
// CPU share. After satTicks
// such ticks in a row it logs one WARNING with the figures, repeated at
// most every satRepeat while it lasts, and one INFO line when it ends
// (after satCalm calm ticks in a row: a pause shorter than that does not
// start a new warning); at DEBUG level every tick's figures are logged.
const (
	satCPUShare = 0.9
	satWait     = 10 * time.Millisecond
	satTicks    = 2
	satRepeat   = 30 * time.Second
	satCalm     = 5
	satQuantile = 0.9
)

// schedLatencies is the runtime metric of goroutines' waits for a core.
const schedLatencies = "/sched/latencies:seconds"

// satSample is one reading of the process: the wall time, the CPU time
// used so far (user + system; negative when unknown) and the cumulative
// counts of the wait histogram (nil when unknown).
type satSample struct {
	wall  time.Time
	cpu   time.Duration
	waits []uint64
	busy  time.Duration // the cores' busy time, all processes (negative: unknown)
}

// satReading is what happened between two samples: the CPU used as a
// share of one core (1.5 is one and a half cores; -1 when unknown), the
// cores the process may use, and the satQuantile of the goroutines' waits
// for a core, rounded up to its histogram bucket's bound (-1 when no wait
// was recorded).
type satReading struct {
	cpu    float64
	cores  int
	wait   time.Duration
	others float64 // CPU other processes used on those cores, in cores (-1: unknown)
}

// saturated tells whether r is a saturated generator.
func (r satReading) saturated() bool {
	return r.wait >= satWait
}

// starved tells whether the process used less than satCPUShare of its
// cores (other processes took them); false when unknown.
func (r satReading) starved() bool {
	return r.cpu >= 0 && r.cores > 0 && r.cpu < satCPUShare*float64(r.cores)
}

// othersTook tells whether other processes took the cores the process
// left (starved): at least half of them, or unknown.
func (r satReading) othersTook() bool {
	return r.starved() && (r.others < 0 || r.others >= (float64(r.cores)-r.cpu)/2)
}

// String is the reading as the warning shows it: "CPU 98% of 1 core;
// goroutines wait 230 ms for a core (90th percentile)".
func (r satReading) String() string {
	cores := "1 core"
	if r.cores != 1 {
		cores = fmt.Sprintf("%d cores", r.cores)
	}
	cpu := "CPU time unknown"
	if r.cpu >= 0 {
		cpu = fmt.Sprintf("CPU %.0f%% of %s", 100*r.cpu/float64(max(r.cores, 1)), cores)
	}
	return fmt.Sprintf("%s; goroutines wait %s for a core (90th percentile)", cpu, fmtWait(r.wait))
}

// fmtWait prints a wait in milliseconds (or seconds from 10 s).
func fmtWait(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

// measure is the reading between prev and cur. buckets are the wait
// histogram's bucket boundaries in seconds (len(counts)+1 of them).
func measure(prev, cur satSample, buckets []float64, cores int) satReading {
	r := satReading{cpu: -1, cores: cores, wait: -1, others: -1}
	if wall := cur.wall.Sub(prev.wall); wall > 0 && prev.cpu >= 0 && cur.cpu >= prev.cpu {
		r.cpu = float64(cur.cpu-prev.cpu) / float64(wall)
		if prev.busy >= 0 && cur.busy >= prev.busy {
			r.others = max(float64(cur.busy-prev.busy-(cur.cpu-prev.cpu))/float64(wall), 0)
		}
	}
	if len(prev.waits) != len(cur.waits) || len(buckets) != len(cur.waits)+1 {
		return r
	}
	var total uint64
	for i := range cur.waits {
		total += cur.waits[i] - prev.waits[i]
	}
	if total == 0 {
		return r
	}
	want := uint64(math.Ceil(satQuantile * float64(total)))
	var seen uint64
	for i := range cur.waits {
		seen += cur.waits[i] - prev.waits[i]
		if seen >= want {
			// The bucket's upper bound, or its lower one for the last
			// (unbounded) bucket.
			hi := buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = buckets[i]
			}
			r.wait = time.Duration(max(hi, 0) * float64(time.Second))
			break
		}
	}
	return r
}

// satWatch follows the saturation from tick to tick (not safe for
// concurrent use: the run's loop calls it).
type satWatch struct {
	read    func() satSample // the process now
	buckets []float64
	cores   int
	warn    func(format string, args ...any)
	info    func(format string, args ...any)
	debug   func(format string, args ...any) // every tick's reading; may be nil

	prev     satSample
	last     satReading // the last tick's reading (busy)
	before   satReading // the reading before it
	havePrev bool
	run      int       // saturated ticks in a row
	calm     int       // calm ticks in a row after a warning
	warned   time.Time // when the last warning of this episode was logged; zero: none
	// seconds is how many seconds (ticks) of the run were saturated, and
	// worst the reading with the longest wait among them.
	seconds  int
	worst    satReading
	warnings int
}

// summary is what the run said, for the JSON summary and the HTML report;
// nil when it did not warn.
func (w *satWatch) summary() *report.Saturation {
	if w.warnings == 0 {
		return nil
	}
	return &report.Saturation{
		Seconds:    w.seconds,
		CPUPercent: math.Round(100 * w.worst.cpu),
		Cores:      w.worst.cores,
		WaitP90Ms:  float64(w.worst.wait.Milliseconds()),
	}
}

// newSatWatch watches this process; nil when the runtime does not keep
// the wait histogram.
func newSatWatch(log *logger) *satWatch {
	s := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	h := s[0].Value.Float64Histogram()
	w := &satWatch{
		buckets: append([]float64(nil), h.Buckets...),
		cores:   runtime.GOMAXPROCS(0),
		warn:    log.Warnf,
		info:    log.Infof,
		debug:   log.Debugf,
	}
	busy := coresBusyReader()
	w.read = func() satSample {
		metrics.Read(s)
		h := s[0].Value.Float64Histogram()
		b := time.Duration(-1)
		if busy != nil {
			b = busy()
		}
		return satSample{wall: time.Now(), cpu: processCPU(), waits: append([]uint64(nil), h.Counts...), busy: b}
	}
	return w
}

// observe takes this tick's sample and warns or reports the end of a
// saturation when it is due.
func (w *satWatch) observe() {
	cur := w.read()
	if !w.havePrev {
		w.prev, w.havePrev = cur, true
		return
	}
	r := measure(w.prev, cur, w.buckets, w.cores)
	w.prev, w.last, w.before = cur, r, w.last
	if w.debug != nil {
		w.debug("load generator: %s", r)
	}
	if !r.saturated() {
		w.run = 0
		if w.warned.IsZero() {
			return
		}
		// A warned saturation ends after satCalm calm ticks in a row, so
		// that figures around the limit do not warn every few seconds.
		if w.calm++; w.calm >= satCalm {
			w.info("the load generator is no longer saturated (%s)", r)
			w.calm, w.warned = 0, time.Time{}
		}
		return
	}
	w.calm = 0
	w.run++
	w.seconds++
	if r.wait > w.worst.wait {
		w.worst = r
	}
	if w.run < satTicks || (!w.warned.IsZero() && cur.wall.Sub(w.warned) < satRepeat) {
		return
	}
	w.warned = cur.wall
	w.warnings++
	why := ""
	if w.starved() {
		why = "; other processes are using the cores it may use"
	}
	w.warn("the load generator is saturated (%s%s): tasks start late and response times may include jsload's own queueing; use more workers (--processes) or fewer users", r, why)
}

// ownSaturation reports whether the process has been saturated by its
// own load for satTicks ticks in a row or more (what warns, other
// processes' load aside); false when w is nil.
func (w *satWatch) ownSaturation() bool {
	return w != nil && w.run >= satTicks && !w.starved()
}

// starved reports whether other processes took the cores in the last two
// ticks (othersTook; see satWatch).
func (w *satWatch) starved() bool {
	return w.last.othersTook() && w.before.othersTook()
}

// cpuShare is the share of its cores the process used over the last
// tick (1 is all of them); -1 when unknown or w is nil.
func (w *satWatch) cpuShare() float64 {
	if w == nil || w.last.cpu < 0 || w.last.cores <= 0 {
		return -1
	}
	return w.last.cpu / float64(w.last.cores)
}

// tickSaturation calls w.observe and g.observe every period in a
// goroutine of its own (a worker's test, which has no testRun loop) until
// the returned stop is called; stop returns when the goroutine has ended,
// after g.restore. A nil w or g is left out.
func tickSaturation(w *satWatch, g *gcTuner, period time.Duration) (stop func()) {
	if w == nil && g == nil {
		return func() {}
	}
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer g.restore()
		t := time.NewTicker(period)
		defer t.Stop()
		if w != nil {
			w.observe()
		}
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if w != nil {
					w.observe()
				}
				g.observe(w.cpuShare(), w.ownSaturation())
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}
