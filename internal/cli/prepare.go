package cli

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jsload/jsload/js"
)

// preparedUsers are users made before the test's start (k6's "init"
// phase): the runtime of user id (1-based), with the script's top level
// evaluated in it, waits at vus[id-1] until the engine's user of that id
// takes it, so that spawning a user is binding its class, not building a
// runtime. Users beyond the prepared ones (a plan that grows later, a user
// whose preparation failed) are made at spawn time as before.
type preparedUsers struct {
	vus []atomic.Pointer[js.VU]
}

// take hands over the prepared runtime of user id, or nil when there is
// none (never prepared, or taken already).
func (p *preparedUsers) take(id int) *js.VU {
	if p == nil || id < 1 || id > len(p.vus) {
		return nil
	}
	return p.vus[id-1].Swap(nil)
}

// close releases the prepared users no one took.
func (p *preparedUsers) close() {
	if p == nil {
		return
	}
	for i := range p.vus {
		if vu := p.vus[i].Swap(nil); vu != nil {
			vu.Close()
		}
	}
}

// count is how many prepared users are still waiting.
func (p *preparedUsers) count() int {
	n := 0
	if p != nil {
		for i := range p.vus {
			if p.vus[i].Load() != nil {
				n++
			}
		}
	}
	return n
}

// usersToPrepare is how many users a load plan will surely start at its
// beginning, so that they can be prepared before the test: the users of
// -u (those that spawn within --run-time at --spawn-rate), the largest
// stage of options.stages. Plans whose users only the script or the
// arrival rate decide (shape(), arrival rates, k6 scenarios) get none.
func usersToPrepare(l loadPlan, runTime time.Duration) int {
	switch p := l.(type) {
	case *usersPlan:
		n := p.users
		if runTime > 0 && p.rate > 0 && p.rate < k6AllAtOnce {
			n = min(n, int(math.Ceil(p.rate*runTime.Seconds()))+1)
		}
		return max(n, 0)
	case *stagesPlan:
		return p.peakUsers()
	case *iterationsPlan:
		return int(min(int64(usersToPrepare(p.loadPlan, runTime)), p.n))
	}
	return 0
}

// burstUsers is how many of the n prepared users a load plan starts in
// its first second: all of them at an unlimited spawn rate, else the rate;
// 0 when the plan does not say.
func burstUsers(l loadPlan, n int) int {
	var users int
	var rate float64
	switch p := l.(type) {
	case *usersPlan:
		users, rate = p.users, p.rate
	case *stagesPlan:
		stg := p.first()
		users, rate = stg.Users, stg.SpawnRate
	case *iterationsPlan:
		return burstUsers(p.loadPlan, n)
	default:
		return 0
	}
	if rate <= 0 {
		return 0
	}
	if rate < k6AllAtOnce {
		users = min(users, int(math.Ceil(rate)))
	}
	return max(min(users, n), 0)
}

// burstMemory is what a user that starts in a burst makes resident in its
// first seconds: its goroutine's stack, its connection's buffers and its
// first requests' objects. In the users10k bench (10,000 users at once)
// the process took 26,000-38,000 minor page faults in the first 3 s after
// the start, 10-15 KB per user.
const burstMemory = 16 << 10

// pretouch makes size bytes of heap resident before the test starts: it
// allocates them in blocks of 1 MB on all cores, writes to each of their
// pages and drops them, for the collection that follows to leave their
// pages free in the heap, where the burst's stacks and objects are then
// made without a page fault (as a JVM's AlwaysPreTouch does). Moving the
// faults before the test's clock matters where they are dear: on the
// 2-core VM of README's Performance section a fault costs 12-16 us (a
// 256 MB mapping written page by page), and with 16 KB per user the
// faults of the users10k scenario's first 2-3 s went from 18,000-39,000
// to 1,500-12,000 (/proc/PID/stat, six runs).
// The collector is held off meanwhile: the blocks would only grow its
// goal.
func pretouch(size int64) {
	const block = 1 << 20
	n := int(size / block)
	if n <= 0 {
		return
	}
	page := os.Getpagesize()
	blocks := make([][]byte, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				b := make([]byte, block)
				for j := 0; j < block; j += page {
					b[j] = 1
				}
				blocks[i] = b
			}
		}()
	}
	wg.Wait()
	runtime.KeepAlive(blocks)
}

// prepareHugeHeap makes what maps the prepared users' heap ahead with huge
// pages (hugeheap.go); tests replace it.
var prepareHugeHeap = newHugeHeap

// prepareBatch is how many users are made before the memory a user takes
// is estimated.
const prepareBatch = 64

// prepareStall is how long preparation waits for the next user to be made
// before it gives up on the rest (a script whose top level blocks or loops
// for some users): those are then made at spawn time, where the test's
// stop reaches them, as before.
var prepareStall = time.Second

// prepareUsers makes the runtimes of users 1 to n on all cores before the
// test starts, logging its progress. It stops early when ctx ends, when a
// user's script fails or no user was made for prepareStall (that user and
// the rest are then made at spawn time, which reports a failure as
// before), or when n users would take more
// than half the memory available (free memory, or GOMEMLIMIT): it
// estimates a user's share from what the first prepareBatch users
// allocated.
func prepareUsers(ctx context.Context, script *js.Script, env *js.Env, n, burst int, log *logger) *preparedUsers {
	return prepareWithin(ctx, script, env, n, burst, memoryBudget(), log)
}

// prepareWithin is prepareUsers with the memory available given (0 for
// unknown).
func prepareWithin(ctx context.Context, script *js.Script, env *js.Env, n, burst int, budget int64, log *logger) *preparedUsers {
	p := &preparedUsers{vus: make([]atomic.Pointer[js.VU], n)}
	if n <= 0 {
		return p
	}
	began := time.Now()
	loud := n >= 1000 // a few users are made too fast to be worth a line
	if loud {
		log.Infof("Preparing %d users (their runtimes, before the test starts)...", n)
	}
	limit := atomic.Int64{}
	limit.Store(int64(n))
	next := atomic.Int64{}
	var failed, stalled atomic.Bool
	var last atomic.Int64 // when the last user was made (Unix ns)
	last.Store(time.Now().UnixNano())
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		t := time.NewTicker(prepareStall / 10)
		defer t.Stop()
		shown := time.Now()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				if now.UnixNano()-last.Load() > int64(prepareStall) {
					stalled.Store(true)
					cancel()
					return
				}
				if loud && now.Sub(shown) >= 500*time.Millisecond {
					shown = now
					log.setStatus(fmt.Sprintf("Preparing users: %d of %d", min(next.Load(), limit.Load()), limit.Load()))
				}
			}
		}
	}()
	build := func(upTo int64) {
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), int(upTo)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for pctx.Err() == nil && !failed.Load() {
					id := next.Add(1)
					if id > min(upTo, limit.Load()) {
						next.Add(-1)
						return
					}
					vu, err := script.PrepareVU(pctx, env, int(id))
					if err != nil {
						failed.Store(true)
						return
					}
					p.vus[id-1].Store(vu)
					last.Store(time.Now().UnixNano())
				}
			}()
		}
		wg.Wait()
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	first := min(int64(n), prepareBatch)
	build(first)
	if !failed.Load() && pctx.Err() == nil && first < int64(n) {
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		// What the first users allocated, garbage included: an estimate
		// on the high side, which a collection cannot make negative.
		per := int64(after.TotalAlloc-before.TotalAlloc) / first
		if budget > 0 && per > 0 && per*int64(n) > budget/2 {
			fit := max(budget/2/per, first)
			limit.Store(fit)
			log.Warnf("preparing only %d of %d users: each takes about %d KB and %d would take more than half of the %d MB available; the rest are made as they spawn",
				fit, n, per>>10, n, budget>>20)
		}
		// Map ahead with huge pages (hugeheap.go) the heap of the users
		// still to prepare, and what all of them touch as they start,
		// with the collector's headroom.
		all := limit.Load()
		if size := hugeHeadroom * (per*(all-first) + all*burstMemory); loud && size > 0 && (budget <= 0 || size <= budget/2) {
			last.Store(math.MaxInt64) // not a stalled user: the stall watch waits
			prepareHugeHeap(log).ahead(uint64(size), fmt.Sprintf("%d users of about %d KB, %d starting", all-first, per>>10, all))
			last.Store(time.Now().UnixNano())
		}
	}
	build(int64(n))
	done := p.count()
	if ctx.Err() != nil {
		p.close()
		if loud {
			log.setStatus("")
		}
		return p
	}
	if loud {
		// Make resident what the users of the first second will touch
		// (within a quarter of the memory available), then collect now,
		// so that the next collection's goal is twice the prepared users'
		// heap rather than wherever the growth left it, and the spawn's
		// first requests are not slowed by one.
		if size := int64(min(burst, done)) * burstMemory; size > 0 && (budget <= 0 || size <= budget/4) {
			pretouch(size)
		}
		runtime.GC()
		log.setStatus("")
		log.Infof("Prepared %d users in %.2f s", done, time.Since(began).Seconds())
	}
	if stalled.Load() && ctx.Err() == nil {
		log.Infof("preparing users stopped after %d of %d: no user was made in %v (the script's top level blocks?); the rest are made as they spawn", done, n, prepareStall)
	}
	return p
}

// memoryBudget is the memory the process may still use: GOMEMLIMIT when it
// is set, else MemAvailable from /proc/meminfo, or what the cgroup (v2)
// still allows if that is less; 0 when none is known.
func memoryBudget() int64 {
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return max(l-int64(ms.Sys), 0)
	}
	budget := int64(0)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					budget = kb << 10
				}
			}
		}
		f.Close()
	}
	limit, err1 := readInt("/sys/fs/cgroup/memory.max") // "max" when unlimited: an error here
	used, err2 := readInt("/sys/fs/cgroup/memory.current")
	if err1 == nil && err2 == nil && (budget == 0 || limit-used < budget) {
		budget = max(limit-used, 1)
	}
	return budget
}

// readInt reads a file holding one integer.
func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
