//go:build !unix

package cli

import "time"

// processCPU does not know the CPU time on this system.
func processCPU() time.Duration { return -1 }
