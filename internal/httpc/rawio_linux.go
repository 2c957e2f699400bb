//go:build linux && !race

package httpc

import (
	"syscall"
	"unsafe"
)

// rawIO makes the read or write system call trap on fd with p, without
// telling the scheduler (syscall.RawSyscall): the socket does not block,
// and entering and leaving a system call the scheduler knows of (and
// waking its monitor thread) costs more than these calls themselves.
// With the race detector, rawio_race.go makes them through syscall.Read
// and Write, whose annotations order a test's server and client.
func rawIO(trap uintptr, fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}
