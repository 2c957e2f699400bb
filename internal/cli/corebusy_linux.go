//go:build linux

package cli

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// userHZ is the unit of /proc/stat's times (USER_HZ, 100 on Linux).
const userHZ = 100

// coresBusyReader returns a function reading how long the cores this
// process may run on (its CPU affinity when it started) have been busy,
// whoever used them (user, nice, system, irq, softirq and steal time in
// /proc/stat), negative when it cannot be read; nil when the affinity is
// unknown.
func coresBusyReader() func() time.Duration {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil || set.Count() == 0 {
		return nil
	}
	return func() time.Duration {
		b, err := os.ReadFile("/proc/stat")
		if err != nil {
			return -1
		}
		return coresBusy(b, set.IsSet)
	}
}

// coresBusy sums the busy time of the cores of /proc/stat's text b for
// which in is true; negative when none of them is there.
func coresBusy(b []byte, in func(int) bool) time.Duration {
	var ticks uint64
	found := false
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) < 9 || len(f[0]) < 4 || !bytes.HasPrefix(f[0], []byte("cpu")) {
			continue
		}
		n, err := strconv.Atoi(string(f[0][3:]))
		if err != nil || !in(n) {
			continue
		}
		// user nice system idle iowait irq softirq steal: all but idle
		// and iowait.
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			v, err := strconv.ParseUint(string(f[i]), 10, 64)
			if err != nil {
				return -1
			}
			ticks += v
		}
		found = true
	}
	if !found {
		return -1
	}
	return time.Duration(ticks) * (time.Second / userHZ)
}
