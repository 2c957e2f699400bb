//go:build !unix

package cluster

// cpuMeter is not implemented on this platform: workers report 0.
type cpuMeter struct{}

func (c *cpuMeter) sample() float64 { return 0 }
