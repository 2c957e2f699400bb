package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"

	"github.com/jsload/jsload/internal/config"
)

// logger writes timestamped lines to stderr, filtered by level.
type logger struct {
	mu     sync.Mutex
	w      io.Writer
	level  int
	status string // the live status line shown, if any
	prefix string // before every message ("worker: ")
	// kept holds the last keptLines lines logged, without colours, for the
	// web panel's logs (Locust's GET /logs); next is where the next goes.
	kept []string
	next int
}

// keptLines is how many log lines a logger keeps for the web panel.
const keptLines = 500

func levelIndex(l string) int {
	for i, x := range config.LogLevels {
		if strings.EqualFold(x, l) {
			return i
		}
	}
	return 1
}

func (l *logger) log(level string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	tag := strings.ToUpper(level)
	switch level {
	case "warning":
		tag = color.YellowString(tag)
	case "error", "critical":
		tag = color.RedString(tag)
	}
	l.mu.Lock()
	if levelIndex(level) < l.level {
		l.mu.Unlock()
		return
	}
	msg = l.prefix + msg
	if l.status != "" {
		io.WriteString(l.w, "\r\033[K") // the live status line gives way
	}
	now := time.Now().Format("2006-01-02 15:04:05")
	fmt.Fprintf(l.w, "[%s] %s: %s\n", now, tag, msg)
	l.keep(fmt.Sprintf("[%s] %s: %s", now, strings.ToUpper(level), msg))
	if l.status != "" {
		io.WriteString(l.w, l.status)
	}
	l.mu.Unlock()
}

// keep adds a line to the kept ones, dropping the oldest past keptLines.
// The caller holds l.mu.
func (l *logger) keep(line string) {
	if len(l.kept) < keptLines {
		l.kept = append(l.kept, line)
		return
	}
	l.kept[l.next] = line
	l.next = (l.next + 1) % keptLines
}

// Lines returns the kept log lines, oldest first.
func (l *logger) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.kept))
	out = append(out, l.kept[l.next:]...)
	return append(out, l.kept[:l.next]...)
}

// set changes the level and the prefix of a logger already in use.
func (l *logger) set(level int, prefix string) {
	l.mu.Lock()
	l.level, l.prefix = level, prefix
	l.mu.Unlock()
}

// setStatus shows s as the live status line (on a terminal): one line that
// each update overwrites; "" clears it.
func (l *logger) setStatus(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status == "" && s == "" {
		return
	}
	io.WriteString(l.w, "\r\033[K"+s)
	l.status = s
}

func (l *logger) Infof(f string, a ...any)  { l.log("info", f, a...) }
func (l *logger) Warnf(f string, a ...any)  { l.log("warning", f, a...) }
func (l *logger) Errorf(f string, a ...any) { l.log("error", f, a...) }
func (l *logger) Debugf(f string, a ...any) { l.log("debug", f, a...) }

// lockedWriter shares the logger's lock so that trace lines and log lines
// do not interleave.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// newLogger is a logger to w at the level --loglevel names.
func newLogger(w io.Writer, level string) *logger {
	return &logger{w: w, level: levelIndex(level)}
}

// isTerminal tells whether w is a terminal that may show colours and a
// live status line (not when NO_COLOR is set).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd()) && os.Getenv("NO_COLOR") == ""
}
