//go:build linux && race

package httpc

import "syscall"

// rawIO makes the read or write system call trap on fd with p through
// syscall.Read or Write: with the race detector on, their annotations
// order the I/O of a test's server and client in the same process (see
// rawio_linux.go for the build without it).
func rawIO(trap uintptr, fd uintptr, p []byte) (int, syscall.Errno) {
	var n int
	var err error
	if trap == syscall.SYS_WRITE {
		n, err = syscall.Write(int(fd), p)
	} else {
		n, err = syscall.Read(int(fd), p)
	}
	if err != nil {
		e, ok := err.(syscall.Errno)
		if !ok {
			e = syscall.EIO
		}
		return 0, e
	}
	return n, 0
}

// rawRecv reads from fd into fu.rp with rawIO: with the race detector on,
// reads go through syscall.Read and learn no receive time (fu.rx is 0).
func rawRecv(fd uintptr, fu *fused) (int, syscall.Errno) {
	fu.rx = 0
	return rawIO(syscall.SYS_READ, fd, fu.rp)
}
