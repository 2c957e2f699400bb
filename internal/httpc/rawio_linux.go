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

// rawRecv reads from fd into fu.rp as rawIO does, with recvmsg, and
// stores in fu.rx the kernel's receive time of the last bytes read
// (SO_TIMESTAMPNS, set when dialled; 0 when the call returned none).
func rawRecv(fd uintptr, fu *fused) (int, syscall.Errno) {
	p := fu.rp
	fu.iov.Base = unsafe.SliceData(p)
	fu.iov.SetLen(len(p))
	fu.msg.Iov, fu.msg.Iovlen = &fu.iov, 1
	fu.msg.Control = &fu.ctrl[0]
	fu.msg.SetControllen(len(fu.ctrl))
	fu.msg.Flags = 0
	n, _, e := syscall.RawSyscall(syscall.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&fu.msg)), 0)
	fu.iov.Base = nil
	if e != 0 {
		return 0, e
	}
	fu.rx = 0
	if int(fu.msg.Controllen) >= len(fu.ctrl) {
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&fu.ctrl[0]))
		if h.Level == syscall.SOL_SOCKET && h.Type == syscall.SCM_TIMESTAMPNS {
			ts := (*syscall.Timespec)(unsafe.Pointer(&fu.ctrl[syscall.SizeofCmsghdr]))
			fu.rx = ts.Nano()
		}
	}
	return int(n), 0
}
