//go:build windows

package console

import "golang.org/x/sys/windows"

// terminalWidth returns the number of columns of the console open on fd, or
// false when fd is not a console.
func terminalWidth(fd uintptr) (int, bool) {
	var info windows.ConsoleScreenBufferInfo
	if err := windows.GetConsoleScreenBufferInfo(windows.Handle(fd), &info); err != nil {
		return 0, false
	}
	return int(info.Window.Right-info.Window.Left) + 1, true
}
