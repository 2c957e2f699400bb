//go:build !linux

package cli

// newHugeHeap is nil: the heap is mapped ahead with huge pages on Linux
// only (hugeheap.go).
func newHugeHeap(*logger) *hugeHeap { return nil }
