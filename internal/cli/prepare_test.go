package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/js"
)

// preparedScript checks in each task that the user is the one its runtime
// was made for (__VU at the top level), of the class it was given, with
// setup()'s data, and logs what it is.
const preparedScript = `
import { HttpUser, task, events } from "jsload";
const born = __VU;
export function setup() { return { n: 41, list: [1, { k: "v" }] }; }
export class A extends HttpUser {
  static weight = 1;
  @task t(d) { check(this, d, "A"); }
}
export class B extends HttpUser {
  static weight = 1;
  @task t(d) { check(this, d, "B"); }
}
function check(user, d, cls) {
  const ok = __VU === born && d.n === 41 && d.list[1].k === "v" && user.constructor.name === cls;
  console.log("user " + __VU + " born " + born + " class " + cls + " data " + (ok ? "ok" : JSON.stringify(d)));
  if (!ok) throw new Error("user " + __VU + " is not as spawned");
}
`

// loadForTest loads the script at path, with a context that bounds the
// test.
func loadForTest(t *testing.T, path string) (context.Context, *js.Script) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	s, err := js.Load(ctx, path, js.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ctx, s
}

// TestPreparedUserBehavesLikeASpawnedOne makes users 1 and 2 ahead (before
// setup() returned its data) and 3 and 4 at spawn time, through the factory
// the engine uses, and runs a task in each.
func TestPreparedUserBehavesLikeASpawnedOne(t *testing.T) {
	t.Parallel()
	ctx, s := loadForTest(t, script(t, preparedScript))
	var out syncBuffer
	env := &js.Env{Registry: stats.NewRegistry(2), Out: &out}
	log := newLogger(&out, "info")
	p := prepareUsers(ctx, s, env, 2, 0, log)
	if p.count() != 2 {
		t.Fatalf("%d users prepared, want 2", p.count())
	}
	data, err := s.RunSetup(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	env.SetupData = data
	f := &vuFactory{script: s, env: env, prepared: p}
	for id := 1; id <= 4; id++ {
		class := id % 2
		vu, err := f.NewVU(ctx, id, class)
		if err != nil {
			t.Fatalf("user %d: %v", id, err)
		}
		if err := vu.RunTask(ctx); err != nil && err != engine.ErrStopUser {
			t.Fatalf("user %d: %v", id, err)
		}
		vu.Close()
		want := fmt.Sprintf("user %d born %d class %s data ok", id, id, s.Classes[class].Name)
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
	if p.count() != 0 || p.take(1) != nil {
		t.Error("a prepared user can be taken twice")
	}
}

// TestPreparedUsersNotStartedAreClosed prepares users a run never starts.
func TestPreparedUsersNotStartedAreClosed(t *testing.T) {
	t.Parallel()
	ctx, s := loadForTest(t, script(t, preparedScript))
	var out syncBuffer
	p := prepareUsers(ctx, s, &js.Env{Registry: stats.NewRegistry(2), Out: &out}, 5, 0, newLogger(&out, "info"))
	if p.take(3) == nil || p.count() != 4 {
		t.Fatalf("%d users left after taking one of 5", p.count())
	}
	p.close()
	if p.count() != 0 {
		t.Errorf("%d prepared users left after close", p.count())
	}
	stopped, stop := context.WithCancel(ctx)
	stop()
	if p := prepareUsers(stopped, s, &js.Env{Registry: stats.NewRegistry(2), Out: &out}, 5, 0, newLogger(&out, "info")); p.count() != 0 {
		t.Errorf("%d users prepared after a stop", p.count())
	}
}

func TestUsersToPrepare(t *testing.T) {
	t.Parallel()
	stages := &stagesPlan{stageTracker: stageTracker{stages: []stage{{Users: 10}, {Users: 30}, {Users: 5}}}}
	for _, c := range []struct {
		name    string
		plan    loadPlan
		runTime time.Duration
		want    int
	}{
		{"-u at once", &usersPlan{users: 10000, rate: k6AllAtOnce}, 15 * time.Second, 10000},
		{"-u at a rate without -t", &usersPlan{users: 500, rate: 10}, 0, 500},
		{"-u at a rate, only some spawn within -t", &usersPlan{users: 500, rate: 10}, 2500 * time.Millisecond, 26},
		{"stages: the largest", stages, 0, 30},
		{"iterations below the users", &iterationsPlan{loadPlan: &usersPlan{users: 50, rate: 5}, n: 7}, 0, 7},
		{"shape", &shapePlan{}, 0, 0},
		{"arrival rate", &arrivalPlan{maxVUs: 100}, 0, 0},
	} {
		if got := usersToPrepare(c.plan, c.runTime); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestRunPreparesUsers runs 1,000 users of two classes headless: they are
// prepared before setup(), and each runs as the user it was made for.
func TestRunPreparesUsers(t *testing.T) {
	t.Parallel()
	r := run(t, nil, nil, "run", script(t, preparedScript), "--headless", "-u", "1000", "-r", "1000000", "-i", "1000", "--only-summary")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	prep, spawned := strings.Index(r.stderr, "Prepared 1000 users in"), strings.Index(r.stderr, "All users spawned")
	if !strings.Contains(r.stderr, "Preparing 1000 users") || prep < 0 || spawned < prep {
		t.Errorf("no preparation before the spawn:\n%s", r.stderr)
	}
	if n := strings.Count(r.stderr, "data ok"); n != 1000 {
		t.Errorf("%d users ran as made, want 1000", n)
	}
}

// TestPreparingGivesUpOnABlockedUser: users whose top level never returns
// are left to spawn time, where the test's stop reaches them.
func TestPreparingGivesUpOnABlockedUser(t *testing.T) {
	t.Parallel()
	ctx, s := loadForTest(t, script(t, "import { task } from \"jsload\";\nif (__VU >= 2) while (true) {}\nexport const t = task(() => {});\n"))
	var out syncBuffer
	p := prepareUsers(ctx, s, &js.Env{Registry: stats.NewRegistry(2), Out: &out}, 5, 0, newLogger(&out, "info"))
	if p.count() != 1 || p.take(1) == nil {
		t.Errorf("%d users prepared, want user 1 only", p.count())
	}
	if !strings.Contains(out.String(), "preparing users stopped after 1 of 5: no user was made in 1s") {
		t.Errorf("no message for the blocked user:\n%s", out.String())
	}
}

// TestPreparingStaysWithinMemory: with little memory available, only the
// first batch is prepared, and the run says so.
func TestPreparingStaysWithinMemory(t *testing.T) {
	t.Parallel()
	ctx, s := loadForTest(t, script(t, preparedScript))
	var out syncBuffer
	p := prepareWithin(ctx, s, &js.Env{Registry: stats.NewRegistry(2), Out: &out}, 200, 0, 1<<20, newLogger(&out, "info"))
	defer p.close()
	if p.count() != prepareBatch {
		t.Errorf("%d users prepared, want the first %d", p.count(), prepareBatch)
	}
	if !strings.Contains(out.String(), "preparing only 64 of 200 users") || !strings.Contains(out.String(), "of the 1 MB available") {
		t.Errorf("no warning:\n%s", out.String())
	}
}

func TestBurstUsers(t *testing.T) {
	log := newLogger(io.Discard, "info")
	cases := []struct {
		name string
		plan loadPlan
		n    int
		want int
	}{
		{"all at once (k6)", &usersPlan{users: 10000, rate: k6AllAtOnce, log: log}, 10000, 10000},
		{"a rate above the users", &usersPlan{users: 10000, rate: 1e6, log: log}, 10000, 10000},
		{"the first second's share", &usersPlan{users: 18000, rate: 6000, log: log}, 18000, 6000},
		{"a fractional rate rounds up", &usersPlan{users: 50, rate: 0.5, log: log}, 50, 1},
		{"no more than were prepared", &usersPlan{users: 10000, rate: 1e6, log: log}, 4000, 4000},
		{"stages: the first stage's", &stagesPlan{stageTracker: stageTracker{stages: []stage{{Users: 100, SpawnRate: 20}, {Users: 300, SpawnRate: 1000}}}}, 300, 20},
		{"iterations: the plan under them", &iterationsPlan{loadPlan: &usersPlan{users: 100, rate: 10, log: log}, n: 5, log: log}, 100, 10},
		{"a plan the script decides", &shapePlan{}, 100, 0},
	}
	for _, c := range cases {
		if got := burstUsers(c.plan, c.n); got != c.want {
			t.Errorf("%s: burstUsers = %d, want %d", c.name, got, c.want)
		}
	}
}

// After pretouch and a collection, the memory it touched is free in the
// heap and still backed by physical memory (runtime/metrics' estimate),
// for the burst to use; the GC percent is as before.
func TestPretouch(t *testing.T) {
	const size = 64 << 20
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	// Free heap left by earlier tests would be returned to the system
	// meanwhile, as the scavenger gets to it.
	debug.FreeOSMemory()
	metrics.Read(s)
	before := s[0].Value.Uint64()
	pretouch(size)
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GC percent after pretouch: %d, want 100", p)
	}
	runtime.GC()
	metrics.Read(s)
	if free := s[0].Value.Uint64(); free < before+size/2 {
		t.Errorf("free heap backed by memory: %d MB before, %d MB after touching %d MB", before>>20, free>>20, size>>20)
	}
}

// TestPreparingMapsTheHeapAhead: preparing a thousand users maps ahead,
// with huge pages, the heap of the users still to make and of all of
// them starting, with the collector's headroom, and the stall watch does
// not count the time it takes against a user; with too little memory
// available, it maps nothing. Not parallel: it replaces prepareHugeHeap.
func TestPreparingMapsTheHeapAhead(t *testing.T) {
	const n = 1000
	ctx, s := loadForTest(t, script(t, preparedScript))
	var asked []uint64
	prepareHugeHeap = func(log *logger) *hugeHeap {
		return &hugeHeap{
			free: func() uint64 { return 0 },
			grow: func(b uint64) error {
				asked = append(asked, b)
				time.Sleep(prepareStall + prepareStall/2) // longer than a stalled user may take
				return nil
			},
			debug: log.Debugf,
		}
	}
	defer func() { prepareHugeHeap = newHugeHeap }()
	for _, c := range []struct {
		budget int64
		calls  int
	}{{0, 1}, {1 << 40, 1}, {64 << 20, 0}} {
		asked = nil
		var out syncBuffer
		p := prepareWithin(ctx, s, &js.Env{Registry: stats.NewRegistry(2), Out: &out}, n, 0, c.budget, newLogger(&out, "debug"))
		made := p.count()
		p.close()
		if len(asked) != c.calls {
			t.Fatalf("budget %d MB: %d calls to map ahead, want %d\n%s", c.budget>>20, len(asked), c.calls, out.String())
		}
		if c.calls == 0 {
			continue
		}
		if made != n {
			t.Errorf("budget %d MB: %d users prepared, want %d\n%s", c.budget>>20, made, n, out.String())
		}
		// At least what all the users touch as they start, times the
		// headroom, and a multiple of it.
		if least := uint64(hugeHeadroom * n * burstMemory); asked[0] <= least || asked[0]%hugeHeadroom != 0 {
			t.Errorf("mapped ahead %d bytes, want a multiple of %d above %d", asked[0], hugeHeadroom, least)
		}
		if want := fmt.Sprintf("MB mapped ahead with huge pages (%d users of about", n-prepareBatch); !strings.Contains(out.String(), want) {
			t.Errorf("no debug line %q:\n%s", want, out.String())
		}
	}
}
