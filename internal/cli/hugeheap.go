package cli

import "strings"

// Huge pages for the prepared users' heap. Go maps its heap in small steps
// as it grows, and the kernel backs each 4 KB page when it is first
// touched. Where transparent huge pages go only to the memory that asks
// for them (/sys/kernel/mm/transparent_hugepage/enabled is "madvise", as
// on Ubuntu and on the VM of README's Performance section), Go's heap
// never asks, so a run of thousands of users pays a page fault for every
// 4 KB its heap grows by, all through the run as the collector's goal
// moves. On that VM a fault costs 11 us (0.25 us per 4 KB with huge
// pages), and 18,000 users at one request per second took 180,000-340,000
// of them in 30 s, 16% of the process's CPU time in a perf profile.
//
// So before the test, prepareUsers maps the heap the run will need ahead
// of its use: it allocates byte slices of 4 MB that add up to it, advises
// their pages MADV_HUGEPAGE and drops them (growHeapHuge). The runtime
// does not clear the fresh pages of a large allocation, so none of them
// is touched and the resident size does not grow by them; the collection
// that follows frees the slices, and the heap then grows into their
// pages, one fault per 2 MB. With it, the same runs took 11,000-15,000
// faults.
// GODEBUG=disablethp=1 (Go's own switch for huge pages in its heap) turns
// it off; a system set to "always" (nothing to do) or "never" does too.

// hugeHeadroom is how many times what the users hold is mapped ahead: the
// GC tuner lets the heap of a saturated run, or of one whose collections
// cost much, grow to up to four times its live part (gcMaxPercent), and
// mapped pages cost nothing until used.
const hugeHeadroom = 3

// hugeHeap maps the heap ahead of its use with huge pages; nil does
// nothing.
type hugeHeap struct {
	free  func() uint64        // the heap's free pages, returned to the system or not
	grow  func(n uint64) error // maps n more bytes of heap, advised huge (growHeapHuge)
	debug func(string, ...any) // nil: no debug log
}

// ahead maps n more bytes of heap with huge pages now; why says what
// they are for, in the debug log. It asks for more than all the heap's
// free pages together, so that n of it lands on fresh pages: the free
// runs, used before, are cleared (touched, as small pages) for the slices
// that land there, and do not grow the heap.
func (h *hugeHeap) ahead(n uint64, why string) {
	if h == nil || n == 0 {
		return
	}
	err := h.grow(n + h.free())
	if h.debug == nil {
		return
	}
	if err != nil {
		h.debug("heap: cannot advise huge pages, left to the system: %v", err)
		return
	}
	h.debug("heap: %d MB mapped ahead with huge pages (%s)", n>>20, why)
}

// godebugDisablesTHP reports whether the GODEBUG value s turns Go's heap
// huge pages off (disablethp=1; the last setting wins, as in Go).
func godebugDisablesTHP(s string) bool {
	off := false
	for kv := range strings.SplitSeq(s, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == "disablethp" {
			off = v == "1"
		}
	}
	return off
}

// thpMode is the mode in the text of
// /sys/kernel/mm/transparent_hugepage/enabled: the bracketed word
// ("always", "madvise" or "never"), "" when there is none.
func thpMode(s string) string {
	_, rest, ok := strings.Cut(s, "[")
	if !ok {
		return ""
	}
	mode, _, ok := strings.Cut(rest, "]")
	if !ok {
		return ""
	}
	return mode
}
