//go:build !race

package httpc

// raceBuild reports whether the race detector is on (rawio_race_linux.go:
// reads then learn no receive time).
const raceBuild = false
