//go:build linux

package cli

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeChunk is the size of growHeapHuge's slices.
const hugeChunk = 4 << 20

// thpPath is where Linux says which memory gets transparent huge pages.
const thpPath = "/sys/kernel/mm/transparent_hugepage/"

// newHugeHeap maps this process's heap ahead with huge pages (hugeheap.go);
// nil when the system gives them to all memory or to none, when
// GODEBUG=disablethp=1, or when the runtime does not publish the metrics
// it reads.
func newHugeHeap(log *logger) *hugeHeap {
	if godebugDisablesTHP(os.Getenv("GODEBUG")) {
		return nil
	}
	b, err := os.ReadFile(thpPath + "enabled")
	if err != nil || thpMode(string(b)) != "madvise" {
		return nil
	}
	page := uintptr(2 << 20)
	if b, err := os.ReadFile(thpPath + "hpage_pmd_size"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n&(n-1) == 0 {
			page = uintptr(n)
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return nil
		}
	}
	h := &hugeHeap{grow: func(n uint64) error {
		_, err := growHeapHuge(uintptr(n), page)
		return err
	}}
	h.free = func() uint64 {
		metrics.Read(s)
		return s[0].Value.Uint64() + s[1].Value.Uint64()
	}
	if log != nil {
		h.debug = log.Debugf
	}
	return h
}

// growHeapHuge makes the runtime map n more bytes of heap and advises
// their pages huge (hugeheap.go): byte slices of n bytes together, which
// land on fresh pages once the heap's free runs are full (the runtime
// does not clear fresh pages, so those are not touched), are advised
// MADV_HUGEPAGE (the whole huge pages, of size page, in each run of
// adjacent slices) and dropped; the collector frees them, and the heap
// grows into their pages later. The slices are hugeChunk bytes each: the
// runtime clears all of a slice that starts on pages used before, which
// one giant slice would when the heap ends in a free run. They must be
// garbage to the next collection, or that collection's goal would grow by
// them: they are made with the collector off (SetGCPercent(-1) first
// waits for a collection under way to finish, since what is allocated
// while one marks survives it), and only their addresses are kept, as
// numbers. Not for a running test: with the collector off, a saturated
// process's heap would grow unchecked until its collection finished.
// It returns the ranges it advised.
func growHeapHuge(n, page uintptr) (advised [][2]uintptr, err error) {
	var runs [][2]uintptr
	prev := debug.SetGCPercent(-1)
	for left := n; left > 0; {
		c := min(left, hugeChunk)
		p := uintptr(unsafe.Pointer(unsafe.SliceData(make([]byte, c))))
		if k := len(runs) - 1; k >= 0 && runs[k][1] == p {
			runs[k][1] = p + c
		} else {
			runs = append(runs, [2]uintptr{p, p + c})
		}
		left -= c
	}
	debug.SetGCPercent(prev)
	for _, r := range runs {
		beg := (r[0] + page - 1) &^ (page - 1)
		end := r[1] &^ (page - 1)
		if beg >= end {
			continue
		}
		// The runtime never unmaps its heap, so the range stays
		// mapped once the slices are freed.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, beg, end-beg, unix.MADV_HUGEPAGE); errno != 0 {
			return advised, errno
		}
		advised = append(advised, [2]uintptr{beg, end})
	}
	return advised, nil
}
