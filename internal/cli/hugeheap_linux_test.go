package cli

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
)

// vmaFlags reads /proc/self/smaps: the VmFlags of each mapping that
// overlaps [beg, end), and how much of the range they cover.
func vmaFlags(t *testing.T, beg, end uintptr) (flags []string, covered uintptr) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		l := sc.Text()
		if r, _, ok := strings.Cut(l, " "); ok && strings.Contains(r, "-") && !strings.HasSuffix(r, ":") {
			a, b, _ := strings.Cut(r, "-")
			lo, err1 := strconv.ParseUint(a, 16, 64)
			hi, err2 := strconv.ParseUint(b, 16, 64)
			if err1 == nil && err2 == nil {
				in = uintptr(lo) < end && uintptr(hi) > beg
				if in {
					covered += min(uintptr(hi), end) - max(uintptr(lo), beg)
				}
				continue
			}
		}
		if v, ok := strings.CutPrefix(l, "VmFlags:"); ok && in {
			flags = append(flags, v)
		}
	}
	return flags, covered
}

// gcPauses counts the collector's stop-the-world pauses: two per
// collection (one as it starts marking, one as marking ends), so an odd
// count means a collection is marking.
func gcPauses() uint64 {
	s := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(s)
	var n uint64
	for _, c := range s[0].Value.Float64Histogram().Counts {
		n += c
	}
	return n
}

// resident is the process's resident size (/proc/self/statm).
func resident(t *testing.T) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no statm: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		t.Fatalf("statm: %q", b)
	}
	n, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatalf("statm: %q", b)
	}
	return n * uint64(os.Getpagesize())
}

func heapMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// growHeapHuge maps the heap ahead: its ranges are advised huge, their
// pages are not touched (the resident size hardly grows), its slices are
// garbage to the next collection even when one was marking as it was
// asked for, and the GC percent is as before.
func TestGrowHeapHuge(t *testing.T) {
	if _, err := os.Stat(thpPath + "enabled"); err != nil {
		t.Skip("this kernel has no transparent huge pages")
	}
	const size = 256 << 20
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	// Leave no free heap behind for the scavenger to return while the
	// next tests measure theirs.
	defer debug.FreeOSMemory()

	// A live graph large enough for a collection to mark for a while.
	type node struct {
		next *node
		_    [6]*int
	}
	var live *node
	for range 1 << 20 {
		live = &node{next: live}
	}
	// Pages used and freed, likely at the heap's end: the runtime
	// clears them for their next use.
	used := make([]byte, 64<<20)
	for i := 0; i < len(used); i += 4096 {
		used[i] = 1
	}
	used = nil
	runtime.GC()
	liveBefore := heapMetric("/gc/heap/live:bytes")
	rssBefore := resident(t)

	done := make(chan struct{})
	p0 := gcPauses()
	go func() {
		runtime.GC()
		close(done)
	}()
	for gcPauses() == p0 {
		runtime.Gosched() // until the collection marks
	}
	// As hugeHeap.ahead asks: more than the free pages, which the
	// runtime would clear (touch) for the slices landing there.
	free := heapMetric("/memory/classes/heap/free:bytes") + heapMetric("/memory/classes/heap/released:bytes")
	advised, err := growHeapHuge(size+uintptr(free), 2<<20)
	<-done
	if err != nil {
		t.Fatalf("growHeapHuge: %v", err)
	}
	// Made while that collection marked, the slices would have survived it.
	if l := heapMetric("/gc/heap/live:bytes"); l > liveBefore+size/4 {
		t.Errorf("live heap %d MB after the collection, %d MB before: the slices survived it", l>>20, liveBefore>>20)
	}
	// Slices on the heap's free runs are cleared; the rest are not.
	if rss := resident(t); rss > rssBefore+free+size/8 {
		t.Errorf("resident size grew by %d MB (%d MB were free in the heap): the slices' pages were touched", (rss-rssBefore)>>20, free>>20)
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GC percent after growHeapHuge: %d, want 100", p)
	}
	var total uintptr
	for _, r := range advised {
		total += r[1] - r[0]
		flags, covered := vmaFlags(t, r[0], r[1])
		if covered != r[1]-r[0] {
			t.Errorf("mappings cover %d of the %d bytes advised at %#x", covered, r[1]-r[0], r[0])
		}
		for _, f := range flags {
			if !strings.Contains(" "+f+" ", " hg ") {
				t.Errorf("a mapping of the range at %#x is not advised huge: VmFlags:%s", r[0], f)
			}
		}
	}
	if total < size-4<<20 {
		t.Errorf("advised %d MB in %d ranges, want at least %d MB", total>>20, len(advised), (size-4<<20)>>20)
	}
	runtime.KeepAlive(live)
}
