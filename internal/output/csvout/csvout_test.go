package csvout

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/jsload/jsload/internal/golden"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// t0 is when every test run starts (Locust's oracle uses the same epoch).
var t0 = time.Unix(1_700_000_000, 0).UTC()

func ms(v float64) time.Duration { return time.Duration(math.Round(v * 1e6)) }

type sample struct {
	Type, Name, Err string
	MS              float64
	Size            int64
	At              float64 // seconds after t0
}

type exception struct {
	Count     int
	Msg       string
	Traceback string
	Position  string
}

// snapshot records samples and exceptions into a registry started at t0 and
// takes its snapshot elapsed later.
func snapshot(samples []sample, excs []exception, elapsed time.Duration, users int) *stats.Snapshot {
	reg := stats.NewRegistry(3)
	reg.SetStart(t0)
	record(reg, samples)
	for i, x := range excs {
		for j := 0; j < x.Count; j++ {
			reg.Recorder(i).RecordException(x.Msg, x.Position, x.Traceback)
		}
	}
	s := reg.Snapshot(t0.Add(elapsed))
	s.Users = users
	return s
}

func record(reg *stats.Registry, samples []sample) {
	for i, s := range samples {
		at := s.At
		if at == 0 {
			at = 1
		}
		reg.Recorder(i).Record(stats.Sample{
			Type: s.Type, Name: s.Name, Duration: ms(s.MS), Size: s.Size, Err: s.Err,
			At: t0.Add(time.Duration(at * float64(time.Second))),
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func parseCSV(t *testing.T, data string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(data))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parsing CSV: %v\n%s", err, data)
	}
	return recs
}

// TestHeadersMatchLocust compares the header rows of the four files New
// creates with the files real Locust 2.12 wrote (testdata/locust/run_*.csv,
// see the README there), byte for byte, "\r\n" included.
func TestHeadersMatchLocust(t *testing.T) {
	dir := t.TempDir()
	w, err := New(filepath.Join(dir, "x"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, part := range []string{"stats", "stats_history", "failures", "exceptions"} {
		want := firstLine(readFile(t, filepath.Join("testdata", "locust", "run_"+part+".csv")))
		got := readFile(t, filepath.Join(dir, "x_"+part+".csv"))
		if got != want {
			t.Errorf("%s header:\n got: %q\nwant: %q", part, got, want)
		}
	}
	// The full-history run has the same history header.
	if got, want := firstLine(readFile(t, "testdata/locust/run_full_stats_history.csv")), firstLine(readFile(t, "testdata/locust/run_stats_history.csv")); got != want {
		t.Errorf("full history header %q, want %q", got, want)
	}
}

func firstLine(s string) string {
	if i := strings.Index(s, "\r\n"); i >= 0 {
		return s[:i+2]
	}
	return s
}

type oracleCases struct {
	Elapsed    float64
	Users      int
	Samples    []sample
	Lone       []sample
	Exceptions []exception
}

func loadCases(t *testing.T) oracleCases {
	raw, err := os.ReadFile("testdata/locust/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var c oracleCases
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// sameCell compares a cell of ours with Locust's. Response-time columns
// (median, average, min, max) are whole milliseconds by jsload's one
// rounding rule where Locust keeps its floats (and truncates on screen): a
// cell of ours matches Locust's value rounded, half to even, written as
// Locust writes the column (a float, or an integer for the median and for
// 0). Other cells must be identical.
func sameCell(column, got, want string) bool {
	if got == want || !strings.HasSuffix(column, "Response Time") {
		return got == want
	}
	v, err := strconv.ParseFloat(want, 64)
	if err != nil {
		return false
	}
	r := math.RoundToEven(v)
	switch {
	case strings.Contains(column, "Median"):
		return got == strconv.FormatInt(int64(r), 10)
	case r == 0 && !strings.Contains(column, "Average"):
		return got == "0"
	}
	return got == pyFloat(r)
}

// TestMatchesLocustOracle compares our files with those Locust's own
// StatsCSVFileWriter wrote for the same samples (testdata/locust/oracle.py).
func TestMatchesLocustOracle(t *testing.T) {
	c := loadCases(t)
	elapsed := time.Duration(c.Elapsed * float64(time.Second))
	full := snapshot(c.Samples, c.Exceptions, elapsed, c.Users)
	lone := snapshot(c.Lone, nil, elapsed, c.Users)
	empty := snapshot(nil, nil, elapsed, c.Users)

	oracle := func(name string) string {
		return readFile(t, filepath.Join("testdata", "locust", "oracle_"+name+".csv"))
	}

	// The stats files must be identical, byte for byte, except the time
	// columns, which are Locust's values rounded by the one rule.
	for _, tt := range []struct {
		name string
		s    *stats.Snapshot
	}{{"stats", full}, {"lone_stats", lone}, {"empty_stats", empty}} {
		got, want := StatsCSV(tt.s), oracle(tt.name)
		if firstLine(got) != firstLine(want) {
			t.Errorf("%s header differs", tt.name)
		}
		g, w := parseCSV(t, got), parseCSV(t, want)
		if len(g) != len(w) {
			t.Fatalf("%s: %d records, Locust wrote %d", tt.name, len(g), len(w))
		}
		for i := 1; i < len(g); i++ {
			for j := range w[i] {
				if !sameCell(StatsHeader[j], g[i][j], w[i][j]) {
					t.Errorf("%s record %d, %s = %q, Locust wrote %q", tt.name, i, StatsHeader[j], g[i][j], w[i][j])
				}
			}
		}
	}

	// Locust orders failures by a hash and exceptions as they came: compare
	// the records in any order, each byte for byte.
	sameRecords := func(name, got, want string) {
		t.Helper()
		g, w := parseCSV(t, got), parseCSV(t, want)
		if !slices.Equal(g[0], w[0]) {
			t.Errorf("%s header %q, want %q", name, g[0], w[0])
		}
		key := func(r []string) string { return strings.Join(r, "\x00") }
		gs, ws := mapKeys(g[1:], key), mapKeys(w[1:], key)
		slices.Sort(gs)
		slices.Sort(ws)
		if !slices.Equal(gs, ws) {
			t.Errorf("%s records differ from Locust's:\n got: %q\nwant: %q", name, gs, ws)
		}
		// And the quoting is Python's: the same bytes for each record.
		if len(got) != len(want) {
			t.Errorf("%s: %d bytes, Locust's has %d:\n got: %q\nwant: %q", name, len(got), len(want), got, want)
		}
	}
	sameRecords("failures", FailuresCSV(full), oracle("failures"))
	sameRecords("exceptions", ExceptionsCSV(full), oracle("exceptions"))
	sameRecords("empty failures", FailuresCSV(empty), FailuresCSV(nil))

	// History: every column but the two rates, which Locust takes from
	// the wall clock.
	for _, tt := range []struct {
		name string
		s    *stats.Snapshot
	}{{"stats_history", full}, {"empty_stats_history", empty}} {
		var b strings.Builder
		writeRow(&b, HistoryHeader...)
		got := b.String() + historyRows(normalize(tt.s), normalize(tt.s).Time.Unix(), false, nil)
		want := oracle(tt.name)
		if firstLine(got) != firstLine(want) {
			t.Errorf("%s header differs", tt.name)
		}
		g, w := parseCSV(t, got), parseCSV(t, want)
		if len(g) != len(w) {
			t.Fatalf("%s: %d records, Locust wrote %d", tt.name, len(g), len(w))
		}
		for i := 1; i < len(g); i++ {
			if len(g[i]) != len(w[i]) {
				t.Errorf("%s record %d: %d fields, want %d", tt.name, i, len(g[i]), len(w[i]))
				continue
			}
			for j := range g[i] {
				if j == 4 || j == 5 {
					continue
				}
				if !sameCell(HistoryHeader[j], g[i][j], w[i][j]) {
					t.Errorf("%s record %d, %s = %q, Locust wrote %q", tt.name, i, HistoryHeader[j], g[i][j], w[i][j])
				}
			}
		}
	}
}

func mapKeys(recs [][]string, key func([]string) string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = key(r)
	}
	return out
}

// Column shapes, as Locust writes them.
var (
	reInt   = regexp.MustCompile(`^-?[0-9]+$`)
	reFloat = regexp.MustCompile(`^-?[0-9]+\.[0-9]+(e[-+][0-9]+)?$|^-?[0-9](\.[0-9]+)?e[-+][0-9]+$`)
	reNum   = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?(e[-+][0-9]+)?$`) // an int, or a float
	reRate6 = regexp.MustCompile(`^[0-9]+\.[0-9]{6}$`)
	rePct   = regexp.MustCompile(`^([0-9]+|N/A)$`)
	reAny   = regexp.MustCompile(``)
)

func statsShapes() []*regexp.Regexp {
	s := []*regexp.Regexp{reAny, reAny, reInt, reInt, reNum, reFloat, reNum, reNum, reNum, reFloat, reFloat}
	for range stats.Percentiles {
		s = append(s, rePct)
	}
	return s
}

func historyShapes() []*regexp.Regexp {
	s := []*regexp.Regexp{reInt, reInt, reAny, reAny, reRate6, reRate6}
	for range stats.Percentiles {
		s = append(s, rePct)
	}
	return append(s, reInt, reInt, reNum, reFloat, reNum, reNum, reNum)
}

// checkShapes checks that every data record of a file has the shape of
// Locust's: the field count, the kind of number in each column, and an
// empty-type Aggregated row (the last row of a stats file, the last of each
// tick of a history file).
func checkShapes(t *testing.T, label, data string, shapes []*regexp.Regexp, history bool) {
	t.Helper()
	if !strings.HasSuffix(data, "\r\n") {
		t.Errorf("%s does not end with \\r\\n", label)
	}
	recs := parseCSV(t, data)
	if len(recs) < 2 {
		t.Fatalf("%s: no data rows", label)
	}
	for i, r := range recs[1:] {
		if len(r) != len(shapes) {
			t.Errorf("%s record %d: %d fields, want %d", label, i+1, len(r), len(shapes))
			continue
		}
		for j, re := range shapes {
			if !re.MatchString(r[j]) {
				t.Errorf("%s record %d: %s = %q does not look like Locust's", label, i+1, recs[0][j], r[j])
			}
		}
		typ, name := r[0], r[1]
		if history {
			typ, name = r[2], r[3]
		}
		if (name == "Aggregated") != (typ == "") {
			t.Errorf("%s record %d: type %q with name %q", label, i+1, typ, name)
		}
	}
	last := recs[len(recs)-1]
	if history && last[3] != "Aggregated" || !history && (last[0] != "" || last[1] != "Aggregated") {
		t.Errorf("%s: last record %q is not the Aggregated row", label, last)
	}
}

// TestRealRunShapes checks the files real Locust wrote, and ours, against
// the same column shapes, so that a reader that parses Locust's numbers
// parses ours.
func TestRealRunShapes(t *testing.T) {
	checkShapes(t, "Locust's stats", readFile(t, "testdata/locust/run_stats.csv"), statsShapes(), false)
	checkShapes(t, "Locust's history", readFile(t, "testdata/locust/run_stats_history.csv"), historyShapes(), true)
	checkShapes(t, "Locust's full history", readFile(t, "testdata/locust/run_full_stats_history.csv"), historyShapes(), true)

	dir := t.TempDir()
	for _, full := range []bool{false, true} {
		prefix := filepath.Join(dir, fmt.Sprint(full))
		w, err := New(prefix, full)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ticks(wideRun(), 14) {
			if err := w.Tick(s); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		checkShapes(t, "our stats", readFile(t, prefix+"_stats.csv"), statsShapes(), false)
		checkShapes(t, "our history", readFile(t, prefix+"_stats_history.csv"), historyShapes(), true)
	}
}

// wideRun is 12 seconds of samples over several endpoints, some failing.
func wideRun() []sample {
	var out []sample
	add := func(typ, name string, perSec int, base, spread float64, failEvery int, err string) {
		n := 0
		for sec := 0; sec < 12; sec++ {
			for k := 0; k < perSec; k++ {
				n++
				s := sample{
					Type: typ, Name: name, Size: int64(100 + n%7*13),
					MS: base + math.Mod(float64(n)*spread*0.618034, spread),
					At: float64(sec) + float64(k+1)/float64(perSec+1),
				}
				if failEvery > 0 && n%failEvery == 0 {
					s.Err = err
				}
				out = append(out, s)
			}
		}
	}
	add("GET", "/", 9, 2.3, 40, 0, "")
	add("GET", "/api/items", 5, 20, 280, 0, "")
	add("POST", "/api/items", 2, 150, 750, 7, "500 Server Error: Internal Server Error")
	add("DELETE", "/api/items/[id]", 1, 8, 30, 3, "404 Client Error: Not Found")
	add("GET", "/reports/slow", 1, 1200, 3600, 0, "")
	add("grpc", "inventory.Check, \"fast\"", 3, 0.4, 2, 0, "")
	return out
}

// ticks replays samples into one registry and returns a snapshot at the
// end of every second up to n, with a user count that ramps up.
func ticks(samples []sample, n int) []*stats.Snapshot {
	samples = sortedByTime(slices.Clone(samples))
	reg := stats.NewRegistry(2)
	reg.SetStart(t0)
	var out []*stats.Snapshot
	i := 0
	for sec := 1; sec <= n; sec++ {
		var batch []sample
		for ; i < len(samples) && samples[i].At < float64(sec); i++ {
			batch = append(batch, samples[i])
		}
		record(reg, batch)
		s := reg.Snapshot(t0.Add(time.Duration(sec)*time.Second + 200*time.Millisecond))
		s.Users = min(sec*2, 10)
		if sec == 3 {
			reg.Recorder(0).RecordException("TypeError: x is undefined", "script.js:12:5", "TypeError: x is undefined\n    at task (script.js:12:5)\n")
		}
		out = append(out, s)
	}
	return out
}

func sortedByTime(samples []sample) []sample {
	slices.SortStableFunc(samples, func(a, b sample) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	return samples
}

// TestGolden writes a 12-second run tick by tick, as the CLI does, and
// compares the four files with the golden ones.
func TestGolden(t *testing.T) {
	for _, full := range []bool{false, true} {
		name := "golden"
		if full {
			name = "golden_full"
		}
		t.Run(name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "out")
			w, err := New(prefix, full)
			if err != nil {
				t.Fatal(err)
			}
			snaps := ticks(wideRun(), 13)
			for _, s := range snaps[:len(snaps)-1] {
				if err := w.Tick(s); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Final(snaps[len(snaps)-1]); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{"stats", "stats_history", "failures", "exceptions"} {
				if full && part != "stats_history" {
					continue // the same as without full history
				}
				checkGolden(t, name+"_"+part+".csv", readFile(t, prefix+"_"+part+".csv"))
			}
		})
	}
}

// TestFullHistoryWindow checks that with full history the percentiles cover
// the last ten seconds, and without it the whole run, as in Locust.
func TestFullHistoryWindow(t *testing.T) {
	var samples []sample
	for sec := 0; sec < 20; sec++ {
		v := 10.0
		if sec < 5 {
			v = 100 // the first seconds are slow
		}
		samples = append(samples, sample{Type: "GET", Name: "/", MS: v, At: float64(sec) + 0.5})
	}
	snaps := ticks(samples, 20)
	prefix := filepath.Join(t.TempDir(), "w")
	for _, full := range []bool{false, true} {
		w, err := New(prefix, full)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snaps {
			if err := w.Tick(s); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		recs := parseCSV(t, readFile(t, prefix+"_stats_history.csv"))
		// Columns 6.. are 50% ... 100%; the last record is the last tick's
		// Aggregated row, the one before it (full) the row of "/".
		last := recs[len(recs)-1]
		p50, p100 := last[6], last[16]
		if full {
			if p50 != "10" || p100 != "10" {
				t.Errorf("full history, last tick: 50%% = %s, 100%% = %s; want 10 and 10 (the last 10 s)", p50, p100)
			}
			if len(recs) != 1+2*20 {
				t.Errorf("full history has %d records, want %d", len(recs), 1+2*20)
			}
			// Five seconds in, the window is the whole run so far.
			if r := recs[1+2*4]; r[3] != "/" || r[16] != "100" {
				t.Errorf("full history, tick 5: %q, want 100%% = 100", r)
			}
		} else {
			if p50 != "10" || p100 != "100" {
				t.Errorf("aggregated history, last tick: 50%% = %s, 100%% = %s; want 10 and 100 (the run)", p50, p100)
			}
			if len(recs) != 1+20 {
				t.Errorf("history has %d records, want %d", len(recs), 1+20)
			}
		}
		if ts := last[0]; ts != fmt.Sprint(t0.Unix()+20) {
			t.Errorf("timestamp %s, want %d", ts, t0.Unix()+20)
		}
		if users := last[1]; users != "10" {
			t.Errorf("user count %s, want 10", users)
		}
	}
}

// TestFullHistoryMemory checks that a long run keeps only about ten
// seconds of snapshots.
func TestFullHistoryMemory(t *testing.T) {
	w, err := New(filepath.Join(t.TempDir(), "m"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	reg := stats.NewRegistry(1)
	reg.SetStart(t0)
	for sec := 1; sec <= 200; sec++ {
		if err := w.Tick(reg.Snapshot(t0.Add(time.Duration(sec) * time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(w.recent); n > 12 {
		t.Errorf("keeps %d snapshots, want at most 12", n)
	}
}

func TestUnwritable(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "x")
	_, err := New(missing, false)
	if err == nil {
		t.Fatal("New in a missing directory succeeded")
	}
	if want := missing + "_stats.csv"; !strings.Contains(err.Error(), want) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %q should name %s and be fs.ErrNotExist", err, want)
	}
	if strings.Count(err.Error(), missing) != 1 {
		t.Errorf("error %q names the file more than once", err)
	}

	if _, err := New(dir+"/", false); err == nil || !strings.Contains(err.Error(), "separator") {
		t.Errorf("New(%q) = %v, want an error about the prefix", dir+"/", err)
	}
	if _, err := New("", false); err == nil {
		t.Error("New with an empty prefix succeeded")
	}

	// A history path that is a directory fails, naming it.
	blocked := filepath.Join(dir, "b")
	if err := os.Mkdir(blocked+"_stats_history.csv", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := New(blocked, false); err == nil || !strings.Contains(err.Error(), blocked+"_stats_history.csv") {
		t.Errorf("error %v should name the history file", err)
	}

	if os.Geteuid() != 0 { // root may write anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		if _, err := New(filepath.Join(ro, "x"), false); err == nil || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("New in a read-only directory: %v, want a permission error", err)
		}
	}
}

// TestWriteErrorThenRecovery checks that a failed rewrite is reported with
// the file's name, that the other files are still written, and that the
// next tick succeeds once the cause is gone.
func TestWriteErrorThenRecovery(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "r")
	w, err := New(prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	snaps := ticks(wideRun(), 4)
	// A directory where the stats file should be: the rename fails.
	if err := os.Remove(prefix + "_stats.csv"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(prefix+"_stats.csv", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(prefix+"_stats.csv", "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = w.Tick(snaps[2])
	if err == nil || !strings.Contains(err.Error(), prefix+"_stats.csv") {
		t.Fatalf("Tick = %v, want an error naming the stats file", err)
	}
	if got := readFile(t, prefix+"_failures.csv"); !strings.Contains(got, "404 Client Error") {
		t.Errorf("failures not written after the stats file failed:\n%s", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(prefix))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	if err := os.RemoveAll(prefix + "_stats.csv"); err != nil {
		t.Fatal(err)
	}
	if err := w.Tick(snaps[3]); err != nil {
		t.Fatalf("Tick after recovery: %v", err)
	}
	if recs := parseCSV(t, readFile(t, prefix+"_stats_history.csv")); len(recs) != 3 {
		t.Errorf("history has %d records, want the header and 2 rows", len(recs))
	}
}

func TestClose(t *testing.T) {
	w, err := New(filepath.Join(t.TempDir(), "c"), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Tick(nil); err == nil {
		t.Error("Tick after Close succeeded")
	}
}

// TestReadersSeeWholeFiles reads the stats file while ticks rewrite it:
// every read must be a complete file.
func TestReadersSeeWholeFiles(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "a")
	w, err := New(prefix, true)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	snaps := ticks(wideRun(), 12)
	if err := w.Tick(snaps[0]); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(prefix + "_stats.csv")
			if err != nil {
				t.Error(err)
				return
			}
			if !bytes.HasPrefix(b, []byte("Type,Name,")) || !bytes.HasSuffix(b, []byte("\r\n")) || !bytes.Contains(b, []byte("\r\n,Aggregated,")) {
				t.Errorf("read a partial file:\n%s", b)
				return
			}
		}
	}()
	for i := 0; i < 50; i++ {
		if err := w.Tick(snaps[i%len(snaps)]); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}

// TestConcurrentTicks is for the race detector.
func TestConcurrentTicks(t *testing.T) {
	w, err := New(filepath.Join(t.TempDir(), "c"), true)
	if err != nil {
		t.Fatal(err)
	}
	snaps := ticks(wideRun(), 4)
	var wg sync.WaitGroup
	for _, s := range snaps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Tick(s); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestEmptyAndNilSnapshot(t *testing.T) {
	want := StatsCSV(snapshot(nil, nil, time.Second, 0))
	for _, s := range []*stats.Snapshot{nil, {}} {
		if got := StatsCSV(s); got != want {
			t.Errorf("StatsCSV(%v) = %q, want %q", s, got, want)
		}
		if got := FailuresCSV(s); got != "Method,Name,Error,Occurrences\r\n" {
			t.Errorf("FailuresCSV = %q", got)
		}
		if got := ExceptionsCSV(s); got != "Count,Message,Traceback,Nodes\r\n" {
			t.Errorf("ExceptionsCSV = %q", got)
		}
		if got := historyRows(normalize(s), normalize(s).Time.Unix(), false, nil); !strings.Contains(got, ",0,,Aggregated,0.000000,0.000000,N/A,") {
			t.Errorf("historyRows = %q", got)
		}
	}
}

func TestExceptionPositionWithoutTraceback(t *testing.T) {
	s := snapshot(nil, []exception{{Count: 2, Msg: "Error: x", Position: "a.js:1:2"}}, time.Second, 1)
	if got, want := ExceptionsCSV(s), "Count,Message,Traceback,Nodes\r\n2,Error: x,a.js:1:2,local\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPyFloat(t *testing.T) {
	tenth, three := 0.1, 3.0 // variables: constant arithmetic would be exact
	tests := []struct {
		in   float64
		want string // what Python 3's str(float) prints
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{6, "6.0"},
		{0.5, "0.5"},
		{4.865050392920368, "4.865050392920368"},
		{2.5320740001006925, "2.5320740001006925"},
		{64.05882352941177, "64.05882352941177"},
		{tenth + 2*tenth, "0.30000000000000004"},
		{1 / three, "0.3333333333333333"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{0.000012345, "1.2345e-05"},
		{123456789012345.6, "123456789012345.6"},
		{1e15, "1000000000000000.0"},
		{9999999999999998, "9999999999999998.0"},
		{1e16, "1e+16"},
		{1.5e16, "1.5e+16"},
		{1e22, "1e+22"},
		{-2.25, "-2.25"},
		{math.Inf(1), "inf"},
		{math.NaN(), "nan"},
	}
	for _, tt := range tests {
		if got := pyFloat(tt.in); got != tt.want {
			t.Errorf("pyFloat(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteRow(t *testing.T) {
	tests := []struct {
		in   []string
		want string // what Python's csv.writer writes
	}{
		{[]string{"a", "b"}, "a,b\r\n"},
		{[]string{"", "Aggregated"}, ",Aggregated\r\n"},
		{[]string{""}, "\"\"\r\n"},
		{[]string{"a,b", `say "hi"`, "x\ny", "cr\r"}, "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\"cr\r\"\r\n"},
		{[]string{" lead", "tab\t", "semi;colon", "N/A"}, " lead,tab\t,semi;colon,N/A\r\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeRow(&b, tt.in...)
		if b.String() != tt.want {
			t.Errorf("writeRow(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

// TestCells pins the number formats of single cells to Locust's (its
// types: a float or the integer 0), with jsload's one rounding rule.
func TestCells(t *testing.T) {
	row := func(vals ...float64) *stats.Row {
		var samples []sample
		for _, v := range vals {
			samples = append(samples, sample{Type: "GET", Name: "/", MS: v, Size: 3})
		}
		return snapshot(samples, nil, time.Second, 0).Total
	}
	tests := []struct {
		name                      string
		r                         *stats.Row
		median, avg, min, max, sz string
	}{
		{"empty", &stats.Row{}, "0", "0.0", "0", "0", "0"},
		// Average, min and max keep their decimals (Locust's floats); the
		// median is whole ms, or the exact min or max when its rounding
		// falls outside them (as Locust's).
		{"one under a ms", row(0.375), "0.375", "0.375", "0.375", "0.375", "3.0"},
		{"median above max", row(12.75), "12.75", "12.75", "12.75", "12.75", "3.0"},
		{"halves to even", row(2.5, 2.5, 3.5), "2.5", "2.8333333333333335", "2.5", "3.5", "3.0"},
		{"zero", row(0), "0", "0.0", "0", "0", "3.0"},
		{"whole ms", row(1, 2, 3), "2", "2.0", "1.0", "3.0", "3.0"},
		{"rounded median", row(1, 2.75, 300), "3", "101.25", "1.0", "300.0", "3.0"},
	}
	for _, tt := range tests {
		got := []string{medianCell(tt.r), avgCell(tt.r), durCell(tt.r.Min), durCell(tt.r.Max), sizeCell(tt.r)}
		want := []string{tt.median, tt.avg, tt.min, tt.max, tt.sz}
		if !slices.Equal(got, want) {
			t.Errorf("%s: median, avg, min, max, size = %q, want %q", tt.name, got, want)
		}
	}
}

func TestPercentLabels(t *testing.T) {
	got := strings.Join(percentLabels(), ",")
	if want := "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"; got != want {
		t.Errorf("labels %s, want %s", got, want)
	}
}

func TestPaths(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "p")
	w, err := New(prefix, false)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, p := range []string{w.stats, w.historyPath, w.failures, w.exceptions} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got), *update)
}
