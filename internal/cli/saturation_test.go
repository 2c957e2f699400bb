package cli

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// satBuckets are wait-histogram boundaries in seconds: [0,1ms), [1ms,10ms),
// [10ms,100ms), [100ms,1s), [1s,+Inf).
var satBuckets = []float64{0, 0.001, 0.01, 0.1, 1, math.Inf(1)}

func TestMeasure(t *testing.T) {
	t0 := time.Unix(1000, 0)
	prev := satSample{wall: t0, cpu: 5 * time.Second, waits: []uint64{100, 10, 0, 0, 0}}
	cases := []struct {
		name      string
		cur       satSample
		cores     int
		cpu       float64
		wait      time.Duration
		saturated bool
	}{
		{"keeps up: busy core, short waits",
			satSample{wall: t0.Add(time.Second), cpu: 5*time.Second + 990*time.Millisecond, waits: []uint64{1100, 15, 1, 0, 0}},
			1, 0.99, time.Millisecond, false},
		{"saturated: busy core, 90% of waits under 100 ms but over 10 ms",
			satSample{wall: t0.Add(time.Second), cpu: 5*time.Second + 980*time.Millisecond, waits: []uint64{110, 10, 90, 0, 0}},
			1, 0.98, 100 * time.Millisecond, true},
		{"long waits with the cores taken by other processes",
			satSample{wall: t0.Add(2 * time.Second), cpu: 6 * time.Second, waits: []uint64{100, 10, 0, 50, 0}},
			2, 0.5, time.Second, true},
		{"two cores, one and a half busy",
			satSample{wall: t0.Add(time.Second), cpu: 6*time.Second + 900*time.Millisecond, waits: []uint64{100, 10, 0, 0, 20}},
			2, 1.9, time.Second, true},
		{"no wait recorded",
			satSample{wall: t0.Add(time.Second), cpu: 6 * time.Second, waits: []uint64{100, 10, 0, 0, 0}},
			1, 1, -1, false},
		{"CPU time unknown",
			satSample{wall: t0.Add(time.Second), cpu: -1, waits: []uint64{100, 10, 0, 0, 50}},
			1, -1, time.Second, true},
		{"idle, short waits",
			satSample{wall: t0.Add(time.Second), cpu: 5*time.Second + 100*time.Millisecond, waits: []uint64{200, 10, 0, 0, 0}},
			1, 0.1, time.Millisecond, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := measure(prev, c.cur, satBuckets, c.cores)
			if math.Abs(r.cpu-c.cpu) > 1e-9 || r.wait != c.wait || r.cores != c.cores {
				t.Errorf("measure = cpu %v, wait %v, cores %d; want %v, %v, %d", r.cpu, r.wait, r.cores, c.cpu, c.wait, c.cores)
			}
			if r.saturated() != c.saturated {
				t.Errorf("saturated() = %v, want %v", r.saturated(), c.saturated)
			}
		})
	}
}

func TestSatReadingString(t *testing.T) {
	got := satReading{cpu: 0.98, cores: 1, wait: 230 * time.Millisecond}.String()
	if want := "CPU 98% of 1 core; goroutines wait 230 ms for a core (90th percentile)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = satReading{cpu: -1, cores: 1, wait: 40 * time.Millisecond}.String()
	if want := "CPU time unknown; goroutines wait 40 ms for a core (90th percentile)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = satReading{cpu: 1.9, cores: 2, wait: 12 * time.Second}.String()
	if want := "CPU 95% of 2 cores; goroutines wait 12 s for a core (90th percentile)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// fakeProcess is a process whose samples the test writes: each tick adds
// one second of wall time, the CPU given, and waits of the given length.
type fakeProcess struct {
	now   time.Time
	cpu   time.Duration
	waits []uint64
	// The cores' busy time (all processes), when machine is set; others
	// is the share of a core other processes use each tick.
	machine bool
	busy    time.Duration
	others  float64
}

func (p *fakeProcess) tick(cpu float64, wait time.Duration) {
	p.now = p.now.Add(time.Second)
	p.cpu += time.Duration(cpu * float64(time.Second))
	p.busy += time.Duration((cpu + p.others) * float64(time.Second))
	for i := 0; i+1 < len(satBuckets); i++ {
		if wait.Seconds() < satBuckets[i+1] {
			p.waits[i] += 100
			break
		}
	}
}

// fakeWatch is a satWatch of one core reading p, whose warnings and
// infos go to *said ("WARNING: ..." and "INFO: ...").
func fakeWatch(p *fakeProcess, said *[]string) *satWatch {
	return &satWatch{
		read: func() satSample {
			busy := time.Duration(-1)
			if p.machine {
				busy = p.busy
			}
			return satSample{wall: p.now, cpu: p.cpu, waits: append([]uint64(nil), p.waits...), busy: busy}
		},
		buckets: satBuckets,
		cores:   1,
		warn:    func(f string, a ...any) { *said = append(*said, "WARNING: "+fmt.Sprintf(f, a...)) },
		info:    func(f string, a ...any) { *said = append(*said, "INFO: "+fmt.Sprintf(f, a...)) },
	}
}

func TestSatWatch(t *testing.T) {
	p := &fakeProcess{now: time.Unix(1000, 0), waits: make([]uint64, len(satBuckets)-1)}
	var said []string
	w := fakeWatch(p, &said)
	w.observe() // the first sample
	step := func(cpu float64, wait time.Duration) []string {
		said = nil
		p.tick(cpu, wait)
		w.observe()
		return said
	}
	if got := step(0.5, 0); len(got) != 0 {
		t.Fatalf("an idle second said %q", got)
	}
	if got := step(1, 50*time.Millisecond); len(got) != 0 {
		t.Fatalf("one saturated second warned already: %q", got)
	}
	if w.ownSaturation() {
		t.Error("ownSaturation after one saturated second")
	}
	got := step(0.97, 500*time.Millisecond)
	if !w.ownSaturation() {
		t.Error("no ownSaturation after two saturated seconds")
	}
	want := "WARNING: the load generator is saturated (CPU 97% of 1 core; goroutines wait 1000 ms for a core (90th percentile)): tasks start late and response times may include jsload's own queueing; use more workers (--processes) or fewer users"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("second saturated second said %q, want %q", got, want)
	}
	for i := 1; i < int(satRepeat/time.Second); i++ {
		if got := step(1, 50*time.Millisecond); len(got) != 0 {
			t.Fatalf("%d s after the warning it said %q (repeat every %v)", i, got, satRepeat)
		}
	}
	if got := step(1, 50*time.Millisecond); len(got) != 1 || !strings.Contains(got[0], "CPU 100% of 1 core; goroutines wait 100 ms") {
		t.Fatalf("%v after the warning it said %q, want it repeated with this second's figures", satRepeat, got)
	}
	// A pause shorter than satCalm ticks is not an end: what follows is
	// the same saturation, and warns no sooner than satRepeat after the last.
	for i := 1; i < satCalm; i++ {
		if got := step(0.6, 0); len(got) != 0 {
			t.Fatalf("calm second %d said %q", i, got)
		}
	}
	if got := step(1, 50*time.Millisecond); len(got) != 0 {
		t.Fatalf("saturated again after a short pause, it said %q", got)
	}
	for i := 1; i < satCalm; i++ {
		if got := step(0.6, 0); len(got) != 0 {
			t.Fatalf("calm second %d said %q", i, got)
		}
	}
	if got := step(0.6, 0); len(got) != 1 || !strings.HasPrefix(got[0], "INFO: the load generator is no longer saturated (CPU 60% of 1 core") {
		t.Fatalf("the end of the saturation, after %d calm seconds, said %q", satCalm, got)
	}
	if got := step(0.6, 0); len(got) != 0 {
		t.Fatalf("a second after the end it said %q", got)
	}
	// A new episode warns again after satTicks seconds, not after satRepeat;
	// long waits while the process gets little CPU: other processes.
	step(0.5, 50*time.Millisecond)
	want = "WARNING: the load generator is saturated (CPU 50% of 1 core; goroutines wait 100 ms for a core (90th percentile); other processes are using the cores it may use): tasks start late and response times may include jsload's own queueing; use more workers (--processes) or fewer users"
	if got := step(0.5, 50*time.Millisecond); len(got) != 1 || got[0] != want {
		t.Fatalf("a new saturation said %q, want %q", got, want)
	}
	if w.ownSaturation() {
		t.Error("ownSaturation while other processes take the cores")
	}
	s := w.summary()
	if s == nil {
		t.Fatal("summary is nil after warnings")
	}
	if wantSec := 2 + int(satRepeat/time.Second) + 1 + 2; s.Seconds != wantSec || s.CPUPercent != 97 || s.Cores != 1 || s.WaitP90Ms != 1000 {
		t.Errorf("summary = %+v, want %d seconds and the worst second (97%%, 1 core, 1000 ms)", *s, wantSec)
	}
}

// TestSatWatchBurstIsOwn: long waits read at a low CPU share right after
// a busy tick are the end of the process's own burst, not other
// processes' doing.
func TestSatWatchBurstIsOwn(t *testing.T) {
	p := &fakeProcess{now: time.Unix(1000, 0), waits: make([]uint64, len(satBuckets)-1)}
	var said []string
	w := fakeWatch(p, &said)
	w.observe()
	p.tick(1, 500*time.Millisecond) // the burst
	w.observe()
	p.tick(0.3, 300*time.Millisecond) // its end: the waits that began in it
	w.observe()
	if len(said) != 1 || strings.Contains(said[0], "other processes") || !strings.Contains(said[0], "CPU 30% of 1 core") {
		t.Fatalf("said %q, want one warning with this tick's figures and no word of other processes", said)
	}
	if !w.ownSaturation() {
		t.Error("no ownSaturation after the process's own burst")
	}
}

// TestSatWatchOthers: where the cores' busy time is known, long waits at
// a low CPU share blame other processes only when they used the cores.
func TestSatWatchOthers(t *testing.T) {
	for _, c := range []struct {
		name   string
		others float64 // of the one core, per tick
		blame  bool
	}{
		{"nothing else runs: the process's own bursts", 0.02, false},
		{"others take what the process leaves", 0.3, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &fakeProcess{now: time.Unix(1000, 0), waits: make([]uint64, len(satBuckets)-1), machine: true, others: c.others}
			var said []string
			w := fakeWatch(p, &said)
			w.observe()
			for range 2 {
				p.tick(0.68, 30*time.Millisecond)
				w.observe()
			}
			if len(said) != 1 || strings.Contains(said[0], "other processes") != c.blame {
				t.Fatalf("said %q, want one warning that %s other processes", said, map[bool]string{true: "blames", false: "does not blame"}[c.blame])
			}
			if w.ownSaturation() == c.blame {
				t.Errorf("ownSaturation() = %v, want %v (the GC tuner's room follows the same judgment)", w.ownSaturation(), !c.blame)
			}
		})
	}
}

func TestSatWatchQuiet(t *testing.T) {
	w := &satWatch{warn: func(string, ...any) { t.Error("warned") }}
	if w.summary() != nil {
		t.Error("a run without warnings has a saturation summary")
	}
	real := newSatWatch(&logger{})
	if real == nil {
		t.Fatal("newSatWatch: the runtime keeps no " + schedLatencies)
	}
	a := real.read()
	b := real.read()
	if len(a.waits)+1 != len(real.buckets) || b.cpu < a.cpu || b.wall.Before(a.wall) {
		t.Errorf("samples of this process: %d counts for %d bucket bounds, CPU %v then %v", len(a.waits), len(real.buckets), a.cpu, b.cpu)
	}
}

// TestTickSaturation: a worker's watch observes every period until
// stopped; stop returns once its goroutine has ended, after which nothing
// reads the process.
func TestTickSaturation(t *testing.T) {
	reads := make(chan struct{}, 100)
	var stopped, late atomic.Bool
	w := &satWatch{
		read: func() satSample {
			late.Store(late.Load() || stopped.Load())
			select {
			case reads <- struct{}{}:
			default:
			}
			return satSample{wall: time.Now(), cpu: -1}
		},
		warn: func(string, ...any) {},
		info: func(string, ...any) {},
	}
	stop := tickSaturation(w, nil, time.Millisecond)
	deadline := time.After(10 * time.Second)
	for i := 0; i < 3; i++ {
		select {
		case <-reads:
		case <-deadline:
			t.Fatalf("only %d observations in 10 s", i)
		}
	}
	stop()
	stopped.Store(true)
	if late.Load() {
		t.Error("observed after stop returned")
	}
	tickSaturation(nil, nil, time.Millisecond)() // nothing to watch: stop is a no-op
}

// TestRunWatchesSaturation: a headless run reads the generator's figures
// every tick (DEBUG shows them).
func TestRunWatchesSaturation(t *testing.T) {
	src := "import { task, constant } from \"jsload\";\nexport const options = { waitTime: constant(1) };\nexport const a = task(() => {});\n"
	r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "1", "-t", "2s", "--only-summary", "--loglevel", "DEBUG")
	if r.code != ExitOK {
		t.Fatalf("exit code %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "DEBUG: load generator: CPU ") || !strings.Contains(r.stderr, " for a core (90th percentile)") {
		t.Errorf("no tick's figures at DEBUG level:\n%s", r.stderr)
	}
}
