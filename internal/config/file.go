package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// DefaultFile is the configuration file read from the current folder when
// present and no --config is given (Locust's locust.conf).
const DefaultFile = "jsload.conf"

// File is a configuration file: `key = value` lines, keys being long flag
// names without the dashes, as in Locust's locust.conf.
type File struct {
	Path    string
	Entries []Entry
}

// Entry is one setting of a configuration file.
type Entry struct {
	Key   string
	Value string
	Line  int // 1-based
	// Bare: the line was the key alone, which sets a boolean flag to true.
	Bare bool
}

// Where is "path:line", for messages.
func (f *File) Where(e Entry) string { return fmt.Sprintf("%s:%d", f.Path, e.Line) }

// Lookup returns the last entry for key (a later line wins, as repeating a
// flag does).
func (f *File) Lookup(key string) (Entry, bool) {
	if f == nil {
		return Entry{}, false
	}
	for i := len(f.Entries) - 1; i >= 0; i-- {
		if f.Entries[i].Key == key {
			return f.Entries[i], true
		}
	}
	return Entry{}, false
}

// ReadFile reads and parses a configuration file.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("reading the configuration file %s: %v", path, err)
	}
	return ParseFile(path, string(data))
}

// ParseFile parses a configuration file's text. Each line is blank, a
// comment (starting with # or ;), or a setting: `key = value`, `key:
// value`, `key value` or a bare `key` (a boolean flag set to true), as
// Locust's configuration files (ConfigArgParse) read them. Keys may be
// written with leading dashes (--users). A value may be quoted, and a list
// may be written [a, b]; " # comment" after a value is dropped.
func ParseFile(path, text string) (*File, error) {
	f := &File{Path: path}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			return nil, fmt.Errorf("%s:%d: sections like %s are not read: write key = value lines", path, n, line)
		}
		end := strings.IndexAny(line, "=: \t")
		key, rest := line, ""
		if end >= 0 {
			key, rest = line[:end], strings.TrimSpace(line[end:])
			if rest != "" && (rest[0] == '=' || rest[0] == ':') {
				rest = strings.TrimSpace(rest[1:])
			}
		}
		key = strings.TrimLeft(key, "-")
		if key == "" {
			return nil, fmt.Errorf("%s:%d: %q has no key: write key = value, with a flag's long name as the key", path, n, line)
		}
		bare := end < 0
		for _, c := range []string{" #", "\t#", " ;", "\t;"} {
			if j := strings.Index(rest, c); j >= 0 {
				rest = strings.TrimSpace(rest[:j])
			}
		}
		if len(rest) >= 2 && (rest[0] == '"' || rest[0] == '\'') && rest[len(rest)-1] == rest[0] {
			rest = rest[1 : len(rest)-1]
		} else if len(rest) >= 2 && rest[0] == '[' && rest[len(rest)-1] == ']' {
			items := strings.Split(rest[1:len(rest)-1], ",")
			for j, it := range items {
				it = strings.TrimSpace(it)
				if len(it) >= 2 && (it[0] == '"' || it[0] == '\'') && it[len(it)-1] == it[0] {
					it = it[1 : len(it)-1]
				}
				items[j] = it
			}
			rest = strings.Join(items, ",")
		}
		f.Entries = append(f.Entries, Entry{Key: key, Value: rest, Line: n, Bare: bare})
	}
	return f, nil
}
