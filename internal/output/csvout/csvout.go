// Package csvout writes a test's statistics as the CSV files Locust writes
// with --csv PREFIX, so that spreadsheets and scripts made for Locust's files
// read jsload's unchanged:
//
//	PREFIX_stats.csv          one row per (type, name), then the Aggregated row
//	PREFIX_stats_history.csv  appended every second: the Aggregated row, or
//	                          every row with full history
//	PREFIX_failures.csv       one row per (method, name, error)
//	PREFIX_exceptions.csv     one row per group of script exceptions
//
// The headers, the column order and the number formats are Locust 2.x's
// (locust/stats.py, StatsCSV and StatsCSVFileWriter), checked against files
// written by Locust itself (testdata/locust). Rows end in "\r\n" and fields
// are quoted only when they hold a comma, a quote or a line break, as
// Python's csv module writes them. Numbers are printed as Python prints
// Locust's values: percentiles and the median as whole numbers, average,
// min, max and rates as Python floats ("4.865050392920368", "6.0"), the
// rates of the history file with six decimals, "N/A" for the percentiles of
// a row without requests, and 0 rather than 0.0 where Locust's value is
// still its integer default.
//
// The whole-millisecond columns (median, percentiles) are rounded by one
// rule, stats.RoundMS, from values clamped to [min, max], so that
// round(min) <= every percentile <= round(max) and 100% == round(max) hold
// in every row; average, min and max keep their decimals as Locust's
// floats do, and the median is the exact min or max where its rounding
// would fall outside them, as Locust's is (Locust's own 100% can exceed its max: its percentiles come
// from rounded buckets). A rate over less than a second of time (stats.Rate.Known) is
// written as 0, so that the columns stay numeric for the scripts that read
// Locust's files; the console shows it as "-".
//
// Where jsload computes a value differently, the column keeps its meaning:
// req/s over the run (stats file) or over the last complete seconds
// (history, stats.Row.CurrentRPS), percentiles from jsload's histograms.
// As in Locust, the history's percentiles are over the whole run, except
// with full history, where they are over about the last ten seconds (over
// the run so far while it is younger than that; 0 for a row that had no
// request in that window).
//
// Locust rewrites its files in place; jsload writes each rewrite to a
// temporary file that it renames over the old one, so a reader never sees
// half a file. History rows are appended with one write per tick.
package csvout

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

// Headers, exactly as Locust writes them.
var (
	// StatsHeader is the header of PREFIX_stats.csv.
	StatsHeader = append([]string{"Type", "Name", "Request Count", "Failure Count",
		"Median Response Time", "Average Response Time", "Min Response Time", "Max Response Time",
		"Average Content Size", "Requests/s", "Failures/s"}, percentLabels()...)

	// HistoryHeader is the header of PREFIX_stats_history.csv.
	HistoryHeader = append(append([]string{"Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"},
		percentLabels()...),
		"Total Request Count", "Total Failure Count", "Total Median Response Time",
		"Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
		"Total Average Content Size")

	// FailuresHeader is the header of PREFIX_failures.csv (Locust 2.12's;
	// later versions append "First Seen,Last Seen" columns).
	FailuresHeader = []string{"Method", "Name", "Error", "Occurrences"}

	// ExceptionsHeader is the header of PREFIX_exceptions.csv.
	ExceptionsHeader = []string{"Count", "Message", "Traceback", "Nodes"}
)

// localNode is what Locust's local runner writes in the Nodes column.
const localNode = "local"

// window is how far back the full history's percentiles look, as Locust's
// CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW.
const window = 10 * time.Second

// Writer writes the CSV files of one test run. Its methods are safe for
// concurrent use.
type Writer struct {
	fullHistory bool
	stats       string // file paths
	historyPath string
	failures    string
	exceptions  string

	mu      sync.Mutex
	history *os.File
	// size is the history file's length; last is where the rows of the
	// last write begin and lastSec their timestamp (0 before any row).
	size, last int64
	lastSec    int64
	// recent holds the snapshots of the last ticks (full history only),
	// oldest first, to compute percentiles over the last seconds.
	recent []*stats.Snapshot
	closed bool
}

// New creates PREFIX_stats.csv, PREFIX_stats_history.csv,
// PREFIX_failures.csv and PREFIX_exceptions.csv with their header rows, so
// that an unwritable path fails before a test starts. The error names the
// file. Existing files are replaced. With fullHistory, every tick appends a
// history row for each (type, name) before the Aggregated row, as Locust's
// --csv-full-history does.
func New(prefix string, fullHistory bool) (*Writer, error) {
	if prefix == "" {
		return nil, errors.New("csv: empty file prefix")
	}
	w := &Writer{
		fullHistory: fullHistory,
		stats:       prefix + "_stats.csv",
		historyPath: prefix + "_stats_history.csv",
		failures:    prefix + "_failures.csv",
		exceptions:  prefix + "_exceptions.csv",
	}
	if strings.HasSuffix(prefix, "/") || strings.HasSuffix(prefix, string(filepath.Separator)) {
		// "--csv out/" would make "out/_stats.csv": almost surely a mistake.
		return nil, fmt.Errorf("csv: prefix %s ends with a path separator; give a file name prefix such as %s", prefix, filepath.Join(prefix, "results"))
	}
	for _, f := range []struct {
		path   string
		header []string
	}{
		{w.stats, StatsHeader},
		{w.failures, FailuresHeader},
		{w.exceptions, ExceptionsHeader},
	} {
		var b strings.Builder
		writeRow(&b, f.header...)
		if err := replaceFile(f.path, b.String()); err != nil {
			return nil, err
		}
	}
	h, err := os.OpenFile(w.historyPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fileError(w.historyPath, err)
	}
	var b strings.Builder
	writeRow(&b, HistoryHeader...)
	n, err := h.WriteString(b.String())
	if err != nil {
		h.Close()
		return nil, fileError(w.historyPath, err)
	}
	w.history, w.size = h, int64(n)
	return w, nil
}

// Tick writes the state of a running test; the caller calls it about once a
// second. It rewrites the stats, failures and exceptions files and appends
// history rows stamped with s.Time. A write error is returned, and the next
// Tick tries again; the files already written stay valid. With full history,
// the Writer keeps the snapshots of the last ten seconds to compute their
// percentiles: the caller must not modify a snapshot after passing it.
func (w *Writer) Tick(s *stats.Snapshot) error {
	return w.write(s)
}

// Final writes the state at the end of a test: the last rewrite of the
// stats, failures and exceptions files and a last history row.
func (w *Writer) Final(s *stats.Snapshot) error {
	return w.write(s)
}

// Close closes the history file. It is safe to call more than once; Tick
// and Final fail after it.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.recent = nil
	if err := w.history.Close(); err != nil {
		return fileError(w.historyPath, err)
	}
	return nil
}

func (w *Writer) write(s *stats.Snapshot) error {
	s = normalize(s)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("csv: writer is closed")
	}
	var errs []error
	if err := replaceFile(w.stats, StatsCSV(s)); err != nil {
		errs = append(errs, err)
	}
	if err := replaceFile(w.failures, FailuresCSV(s)); err != nil {
		errs = append(errs, err)
	}
	if err := replaceFile(w.exceptions, ExceptionsCSV(s)); err != nil {
		errs = append(errs, err)
	}
	var base *stats.Snapshot
	if w.fullHistory {
		base = w.windowStart(s)
	}
	if err := w.appendHistory(s, base); err != nil {
		errs = append(errs, fileError(w.historyPath, err))
	}
	if w.fullHistory {
		w.remember(s)
	}
	return errors.Join(errs...)
}

// appendHistory appends the history rows of s, stamped with its second.
// Timestamps are whole seconds, as Locust's: when s falls in the second of
// the last rows written (the final snapshot taken in the second of the last
// tick), its rows replace those, so that no second has two sets of rows and
// the last one is not repeated.
func (w *Writer) appendHistory(s *stats.Snapshot, base *stats.Snapshot) error {
	sec := s.Time.Unix()
	if w.lastSec != 0 && sec <= w.lastSec {
		sec = w.lastSec
		if err := w.history.Truncate(w.last); err != nil {
			return err
		}
		if _, err := w.history.Seek(w.last, io.SeekStart); err != nil {
			return err
		}
		w.size = w.last
	}
	n, err := w.history.WriteString(historyRows(s, sec, w.fullHistory, base))
	if n > 0 {
		w.last, w.lastSec = w.size, sec
		w.size += int64(n)
	}
	return err
}

// windowStart returns the newest remembered snapshot taken at least window
// before s, or nil when the run is younger than that (then the window is the
// whole run so far).
func (w *Writer) windowStart(s *stats.Snapshot) *stats.Snapshot {
	var base *stats.Snapshot
	for _, old := range w.recent {
		if !old.Time.After(s.Time.Add(-window)) {
			base = old
		}
	}
	return base
}

// remember keeps s and drops the snapshots no longer needed: all but the
// newest one that is at least window old.
func (w *Writer) remember(s *stats.Snapshot) {
	w.recent = append(w.recent, s)
	cut := 0
	for i, old := range w.recent {
		if !old.Time.After(s.Time.Add(-window)) {
			cut = i
		}
	}
	if cut > 0 {
		n := copy(w.recent, w.recent[cut:])
		clear(w.recent[n:])
		w.recent = w.recent[:n]
	}
}

// StatsCSV returns the whole PREFIX_stats.csv for s: the header, a row per
// (type, name) and the Aggregated row, with rates over the run.
func StatsCSV(s *stats.Snapshot) string {
	s = normalize(s)
	var b strings.Builder
	writeRow(&b, StatsHeader...)
	for _, r := range append(s.Rows[:len(s.Rows):len(s.Rows)], s.Total) {
		rps, fps := 0.0, 0.0
		if r.Requests > 0 {
			rps, fps = r.RunRate(s.Elapsed()).Or0()
		}
		f := []string{
			r.Type, r.Name,
			strconv.FormatInt(r.Requests, 10), strconv.FormatInt(r.Failures, 10),
			medianCell(r), avgCell(r), durCell(r.Min), durCell(r.Max), sizeCell(r),
			pyFloat(rps), pyFloat(fps),
		}
		writeRow(&b, append(f, percentileCells(r, nil)...)...)
	}
	return b.String()
}

// FailuresCSV returns the whole PREFIX_failures.csv for s.
func FailuresCSV(s *stats.Snapshot) string {
	s = normalize(s)
	var b strings.Builder
	writeRow(&b, FailuresHeader...)
	for _, f := range s.Failures {
		writeRow(&b, f.Type, f.Name, f.Error, strconv.FormatInt(f.Count, 10))
	}
	return b.String()
}

// ExceptionsCSV returns the whole PREFIX_exceptions.csv for s. The Traceback
// column holds the exception's JavaScript stack, or its source position when
// there is no stack.
func ExceptionsCSV(s *stats.Snapshot) string {
	s = normalize(s)
	var b strings.Builder
	writeRow(&b, ExceptionsHeader...)
	for _, x := range s.Exceptions {
		tb := x.Traceback
		if tb == "" {
			tb = x.Position
		}
		writeRow(&b, strconv.FormatInt(x.Count, 10), x.Message, tb, localNode)
	}
	return b.String()
}

// historyRows returns one tick's history rows, stamped sec (Unix seconds).
// With full, there is a row per (type, name) and the percentiles cover the
// time since base (the whole run when base is nil); otherwise only the
// Aggregated row, with the run's percentiles.
func historyRows(s *stats.Snapshot, sec int64, full bool, base *stats.Snapshot) string {
	list := []*stats.Row{s.Total}
	if full {
		list = append(s.Rows[:len(s.Rows):len(s.Rows)], s.Total)
	}
	var old map[stats.Key]*stats.Row
	if full && base != nil {
		old = make(map[stats.Key]*stats.Row, len(base.Rows)+1)
		for _, r := range base.Rows {
			old[r.Key] = r
		}
		if base.Total != nil {
			old[s.Total.Key] = base.Total
		}
	}
	ts := strconv.FormatInt(sec, 10)
	users := strconv.Itoa(s.Users)
	var b strings.Builder
	for _, r := range list {
		rps, fps := r.CurrentRate(s.Time, s.Start).Or0()
		f := []string{ts, users, r.Type, r.Name,
			strconv.FormatFloat(rps, 'f', 6, 64), strconv.FormatFloat(fps, 'f', 6, 64)}
		if full {
			f = append(f, percentileCells(r, windowHist(r, old, base != nil))...)
		} else {
			f = append(f, percentileCells(r, nil)...)
		}
		f = append(f,
			strconv.FormatInt(r.Requests, 10), strconv.FormatInt(r.Failures, 10),
			medianCell(r), avgCell(r), durCell(r.Min), durCell(r.Max), sizeCell(r))
		writeRow(&b, f...)
	}
	return b.String()
}

// windowHist returns the histogram of r's response times since the base
// snapshot: r's histogram minus the base row's. Without a base it is r's
// whole histogram.
func windowHist(r *stats.Row, old map[stats.Key]*stats.Row, haveBase bool) *stats.Histogram {
	if r.Hist == nil {
		return &stats.Histogram{}
	}
	if !haveBase {
		return r.Hist
	}
	o := old[r.Key]
	if o == nil || o.Hist == nil || o.Hist.Count() == 0 {
		return r.Hist
	}
	before := map[uint64]uint64{}
	o.Hist.Buckets(func(low, n uint64) { before[low] = n })
	d := &stats.Histogram{}
	r.Hist.Buckets(func(low, n uint64) {
		if p := before[low]; n > p {
			d.AddBucket(low, n-p)
		}
	})
	return d
}

// percentileCells returns the percentile columns of r: whole milliseconds,
// "N/A" for a row without requests. With h, the percentiles are h's (a
// window of the run; 0 when it is empty), kept within r's min and max.
func percentileCells(r *stats.Row, h *stats.Histogram) []string {
	out := make([]string, len(stats.Percentiles))
	for i, q := range stats.Percentiles {
		switch {
		case r.Requests == 0:
			out[i] = "N/A"
		case h == nil:
			out[i] = strconv.FormatInt(roundMS(r.Percentile(q)), 10)
		case h.Count() == 0:
			out[i] = "0"
		default:
			v := min(max(h.ValueAtQuantile(q), r.Min), r.Max)
			out[i] = strconv.FormatInt(roundMS(v), 10)
		}
	}
	return out
}

// medianCell is Locust's median_response_time: whole milliseconds, or the
// exact min or max (a float) when the rounded median falls outside them,
// as Locust does.
func medianCell(r *stats.Row) string {
	if r.Requests == 0 {
		return "0"
	}
	m := roundMS(r.Median())
	switch {
	case float64(m) > msOf(r.Max):
		return durCell(r.Max)
	case float64(m) < msOf(r.Min):
		return durCell(r.Min)
	}
	return strconv.FormatInt(m, 10)
}

// avgCell is the mean response time in ms, a float even without requests
// (Locust's column keeps its decimals: a loopback test averaging 0.4 ms
// must not read 0).
func avgCell(r *stats.Row) string {
	if r.Requests == 0 {
		return "0.0"
	}
	return pyFloat(r.AvgMS())
}

// sizeCell is the mean content size: the integer 0 without requests, else a
// float.
func sizeCell(r *stats.Row) string {
	if r.Requests == 0 {
		return "0"
	}
	return pyFloat(r.AvgSize())
}

// durCell is a min or max response time in ms: a float, as Locust writes
// it, or 0 when it is zero (Locust's "min_response_time or 0" and max's
// integer start value). The whole-ms columns (median, percentiles) are
// this value rounded by stats.RoundMS, so 100% is max rounded.
func durCell(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return pyFloat(msOf(d))
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// roundMS is the one rounding rule of every response-time column.
func roundMS(d time.Duration) int64 { return stats.RoundMS(d) }

// pyFloat formats f as Python's str(float) does: the shortest digits that
// read back as f, in positional notation with at least one decimal
// ("6.0", "0.001") for exponents from -4 to 15, otherwise in scientific
// notation ("1e-05", "1.5e+16").
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one near powers of ten: take the exponent from
	// the shortest scientific form, which is exact.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	if i := strings.LastIndexByte(e, 'e'); i >= 0 {
		if v, err := strconv.Atoi(e[i+1:]); err == nil {
			exp = v
		}
	}
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// percentLabels are Locust's percentile column names: "50%", ..., "99.9%",
// "99.99%", "100%".
func percentLabels() []string {
	out := make([]string, len(stats.Percentiles))
	for i, q := range stats.Percentiles {
		v := math.Round(q*100*1e6) / 1e6 // Locust's round(100 * p, 6)
		out[i] = strconv.FormatFloat(v, 'f', -1, 64) + "%"
	}
	return out
}

// writeRow writes one CSV record as Python's csv.writer does with its
// default dialect: fields quoted only when they contain a comma, a quote or
// a line break, quotes doubled, lines ended by "\r\n" (line breaks inside a
// quoted field are kept as they are).
func writeRow(b *strings.Builder, fields ...string) {
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.ContainsAny(f, ",\"\r\n") || (len(fields) == 1 && f == "") {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(f, `"`, `""`))
			b.WriteByte('"')
		} else {
			b.WriteString(f)
		}
	}
	b.WriteString("\r\n")
}

// replaceFile writes data to a temporary file next to path and renames it
// over path, so that readers see the old content or the new, never a part.
func replaceFile(path, data string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("csv: cannot write %s: %w", path, err)
	}
	_, werr := tmp.WriteString(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fileError(path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fileError(path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fileError(path, err)
	}
	return nil
}

// fileError names path and the underlying reason once ("csv: cannot write
// out/x_stats.csv: permission denied"), without the path a *fs.PathError
// repeats.
func fileError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return fmt.Errorf("csv: cannot write %s: %w", path, err)
}

// normalize copes with a nil or hand-made snapshot.
func normalize(s *stats.Snapshot) *stats.Snapshot {
	if s == nil {
		s = &stats.Snapshot{}
	}
	if s.Total == nil {
		cp := *s
		cp.Total = &stats.Row{Key: stats.Key{Name: "Aggregated"}, Hist: &stats.Histogram{}}
		s = &cp
	}
	return s
}
