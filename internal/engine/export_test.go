package engine

import "runtime"

// IdleCap is how many goroutines an engine keeps idle for activations at
// most (workers.go): maxIdleWorkers per shard, a shard per P.
func IdleCap() int { return maxIdleWorkers * max(runtime.GOMAXPROCS(0), 1) }
