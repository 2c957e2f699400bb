//go:build unix

package cli

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process used so far (user + system),
// negative when it cannot be read.
func processCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return -1
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
