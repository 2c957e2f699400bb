//go:build unix

package cluster

import (
	"syscall"
	"time"
)

// cpuMeter measures the process's CPU use between samples.
type cpuMeter struct {
	last    time.Duration
	lastAt  time.Time
	started bool
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sample returns the CPU used since the last sample, in percent of one
// core.
func (c *cpuMeter) sample() float64 {
	now, cpu := time.Now(), processCPU()
	defer func() { c.last, c.lastAt, c.started = cpu, now, true }()
	if !c.started || !now.After(c.lastAt) {
		return 0
	}
	return 100 * float64(cpu-c.last) / float64(now.Sub(c.lastAt))
}
