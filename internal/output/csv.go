package output

import (
	"github.com/jsload/jsload/internal/output/csvout"
	"github.com/jsload/jsload/internal/stats"
)

// CSV writes Locust's four CSV files (--csv PREFIX): rewritten every tick,
// and a last time at the end.
type CSV struct {
	Base
	w *csvout.Writer
}

var _ Output = (*CSV)(nil)

// NewCSV creates the files PREFIX_stats.csv, PREFIX_stats_history.csv,
// PREFIX_failures.csv and PREFIX_exceptions.csv; the error names the file
// that cannot be written.
func NewCSV(prefix string, fullHistory bool) (*CSV, error) {
	w, err := csvout.New(prefix, fullHistory)
	if err != nil {
		return nil, err
	}
	return &CSV{w: w}, nil
}

// Tick rewrites the files.
func (c *CSV) Tick(s *stats.Snapshot) error { return c.w.Tick(s) }

// Final writes the files a last time.
func (c *CSV) Final(e *End) error { return c.w.Final(e.Snapshot) }

// Close closes the history file.
func (c *CSV) Close() error { return c.w.Close() }
