//go:build unix

package console

import "golang.org/x/sys/unix"

// terminalWidth returns the number of columns of the terminal open on fd, or
// false when fd is not a terminal.
func terminalWidth(fd uintptr) (int, bool) {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 0, false
	}
	return int(ws.Col), true
}
