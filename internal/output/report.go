package output

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jsload/jsload/internal/output/report"
)

// JSON writes the run's summary as JSON at the end (--json FILE, or "-"
// for standard output).
type JSON struct {
	Base
	w io.Writer
	f *os.File // nil for standard output
}

var _ Output = (*JSON)(nil)

// NewJSON creates path, or writes to stdout when path is "-".
func NewJSON(path string, stdout io.Writer) (*JSON, error) {
	if path == "-" {
		return &JSON{w: stdout}, nil
	}
	f, err := create("json", path)
	if err != nil {
		return nil, err
	}
	return &JSON{w: f, f: f}, nil
}

// Final writes the summary.
func (j *JSON) Final(e *End) error { return report.WriteJSON(j.w, e.Summary()) }

// Close closes the file.
func (j *JSON) Close() error { return closeFile(j.f) }

// HTML writes the run's report as one self-contained HTML page at the end
// (--html FILE).
type HTML struct {
	Base
	f *os.File
	// Written, if set, is told the file's name once it is written.
	Written func(path string)
}

var _ Output = (*HTML)(nil)

// NewHTML creates path.
func NewHTML(path string) (*HTML, error) {
	if path == "-" {
		return nil, errors.New("--html needs a file name")
	}
	f, err := create("html", path)
	if err != nil {
		return nil, err
	}
	return &HTML{f: f}, nil
}

// Final writes the report.
func (h *HTML) Final(e *End) error {
	if err := report.WriteHTML(h.f, e.Summary()); err != nil {
		return err
	}
	if h.Written != nil {
		h.Written(h.f.Name())
	}
	return nil
}

// Close closes the file.
func (h *HTML) Close() error { return closeFile(h.f) }

// create creates the file a flag names, or says which flag and why not.
func create(flag, path string) (*os.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--%s: cannot write %s: %v", flag, path, WithoutPath(err))
	}
	return f, nil
}

func closeFile(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close()
}

// WithoutPath is err without the path an *os.PathError repeats, for
// messages that name the file themselves.
func WithoutPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
