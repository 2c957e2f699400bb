package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jsload/jsload/internal/output/report"
)

// JSON writes the run's summary as JSON at the end (--json FILE, or "-"
// for standard output).
type JSON struct {
	Base
	w io.Writer
	f *pendingFile // nil for standard output
	// Written, if set, is told the file's name once it is written.
	Written func(path string)
}

var _ Output = (*JSON)(nil)

// NewJSON prepares path, or writes to stdout when path is "-".
func NewJSON(path string, stdout io.Writer) (*JSON, error) {
	if path == "-" {
		return &JSON{w: stdout}, nil
	}
	f, err := newPendingFile("json", path)
	if err != nil {
		return nil, err
	}
	return &JSON{w: f.tmp, f: f}, nil
}

// Final writes the summary.
func (j *JSON) Final(e *End) error {
	if err := report.WriteJSON(j.w, e.Summary()); err != nil {
		return j.f.fail(err)
	}
	return j.f.commit(j.Written)
}

// Close removes what was not written.
func (j *JSON) Close() error { return j.f.discard() }

// HTML writes the run's report as one self-contained HTML page at the end
// (--html FILE).
type HTML struct {
	Base
	f *pendingFile
	// Written, if set, is told the file's name once it is written.
	Written func(path string)
}

var _ Output = (*HTML)(nil)

// NewHTML prepares path.
func NewHTML(path string) (*HTML, error) {
	if path == "-" {
		return nil, errors.New("--html needs a file name")
	}
	f, err := newPendingFile("html", path)
	if err != nil {
		return nil, err
	}
	return &HTML{f: f}, nil
}

// Final writes the report.
func (h *HTML) Final(e *End) error {
	if err := report.WriteHTML(h.f.tmp, e.Summary()); err != nil {
		return h.f.fail(err)
	}
	return h.f.commit(h.Written)
}

// Close removes what was not written.
func (h *HTML) Close() error { return h.f.discard() }

// pendingFile is a file written at the end of a run: a temporary file
// beside its path, created when the output is opened (so that a folder
// that cannot be written fails before the test), and renamed to the path
// once complete, so that the path never holds a partial file.
type pendingFile struct {
	path string
	tmp  *os.File
	done bool
}

// newPendingFile creates the temporary file for path, or says which flag
// and why not.
func newPendingFile(flag, path string) (*pendingFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if base == "" {
		return nil, fmt.Errorf("--%s %s: give a file name, not a folder", flag, path)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("--%s: cannot write %s: %v", flag, path, WithoutPath(err))
	}
	return &pendingFile{path: path, tmp: tmp}, nil
}

// commit closes the temporary file and renames it to the path, then tells
// written (if not nil).
func (f *pendingFile) commit(written func(string)) error {
	if f == nil {
		return nil
	}
	if err := f.tmp.Chmod(0o644); err != nil {
		return f.fail(err)
	}
	if err := f.tmp.Close(); err != nil {
		return f.fail(err)
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		return f.fail(err)
	}
	f.done = true
	if written != nil {
		written(f.path)
	}
	return nil
}

// fail removes the temporary file and returns err naming the path.
func (f *pendingFile) fail(err error) error {
	if f == nil {
		return err
	}
	f.discard()
	return fmt.Errorf("%s was not written: %v", f.path, WithoutPath(err))
}

// discard removes the temporary file unless it became the path.
func (f *pendingFile) discard() error {
	if f == nil || f.done {
		return nil
	}
	f.done = true
	f.tmp.Close()
	os.Remove(f.tmp.Name())
	return nil
}

// WithoutPath is err without the paths an *os.PathError or *os.LinkError
// repeats, for
// messages that name the file themselves.
func WithoutPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
