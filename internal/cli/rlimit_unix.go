//go:build unix

package cli

import "syscall"

// raiseOpenFileLimit raises the soft limit on open files to the hard one,
// and returns the limit now in force and the one before (equal when
// nothing changed). ok is false when the limit cannot be read.
func raiseOpenFileLimit() (now, before uint64, ok bool) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, false
	}
	before = uint64(l.Cur)
	if l.Cur < l.Max {
		raised := l
		raised.Cur = l.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			l = raised
		}
	}
	return uint64(l.Cur), before, true
}
