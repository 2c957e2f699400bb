//go:build !unix && !windows

package console

// terminalWidth reports that no terminal is known on this platform.
func terminalWidth(fd uintptr) (int, bool) { return 0, false }
