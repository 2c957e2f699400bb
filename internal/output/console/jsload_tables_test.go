package console

import (
	"bytes"
	"github.com/jsload/jsload/internal/golden"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// arrivalRun is a run of an arrival-rate test: requests with times from
// the scheduled start, checks and dropped starts.
func arrivalRun() *stats.Snapshot {
	reg := stats.NewRegistry(2)
	reg.SetStart(t0)
	for i := 0; i < 200; i++ {
		d := ms(10 + float64(i%50))
		late := time.Duration(0)
		if i%10 == 0 {
			late = ms(float64(i) * 5) // every tenth iteration started late
		}
		rec := reg.Recorder(i)
		rec.Record(stats.Sample{Type: "GET", Name: "/items", Duration: d, Scheduled: d + late, At: t0.Add(time.Second)})
		if i%4 == 0 {
			rec.Record(stats.Sample{Type: "POST", Name: "/cart", Duration: 2 * d, Scheduled: 2*d + late, At: t0.Add(time.Second)})
		}
		rec.RecordCheck("status is 200", i%40 != 0)
		rec.RecordCheck("body has items", true)
	}
	// A closed-model row: no scheduled times.
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/health", Duration: ms(1), At: t0.Add(time.Second)})
	reg.Recorder(0).RecordCheck("multi\nline check", false)
	reg.Recorder(1).RecordDropped(42)
	return reg.Snapshot(t0.Add(10 * time.Second))
}

var thresholdRows = []threshold.Result{
	{Threshold: threshold.Threshold{Name: "GET /items", Expr: "p95 < 500"}, Measured: 58.25, Passed: true},
	{Threshold: threshold.Threshold{Name: "Aggregated", Expr: "failRate < 0.01"}, Measured: 0.012345678, Passed: false},
	{Threshold: threshold.Threshold{Name: "POST /checkout", Expr: "count > 0"}, NoData: true, Passed: false},
	{Threshold: threshold.Threshold{Name: "checks", Expr: "rate > 0.99"}, Measured: 0.995, Passed: true},
}

func TestJsloadTablesGolden(t *testing.T) {
	tests := []struct {
		name  string
		print func(w *bytes.Buffer)
	}{
		{"checks", func(w *bytes.Buffer) { Printer{}.PrintChecks(w, arrivalRun()) }},
		{"checks_narrow", func(w *bytes.Buffer) { Printer{NameWidth: 20}.PrintChecks(w, arrivalRun()) }},
		{"thresholds_plain", func(w *bytes.Buffer) { Printer{}.PrintThresholds(w, thresholdRows, false) }},
		{"thresholds_color", func(w *bytes.Buffer) { Printer{}.PrintThresholds(w, thresholdRows, true) }},
		{"thresholds_passed", func(w *bytes.Buffer) { Printer{}.PrintThresholds(w, thresholdRows[:1], false) }},
		{"scheduled", func(w *bytes.Buffer) { Printer{}.PrintScheduled(w, arrivalRun()) }},
		{"scheduled_narrow", func(w *bytes.Buffer) { Printer{NameWidth: 20}.PrintScheduled(w, arrivalRun()) }},
		{"dropped", func(w *bytes.Buffer) { Printer{}.PrintDropped(w, arrivalRun()) }},
		{"cut_off", func(w *bytes.Buffer) {
			s := arrivalRun()
			s.CutOff = 7
			Printer{}.PrintCutOff(w, s)
		}},
		{"lost_workers", func(w *bytes.Buffer) {
			s := arrivalRun()
			s.LostWorkers = []stats.LostWorker{
				{ID: "host-a_101", Host: "host-a", Users: 6, LastReport: t0.Add(4 * time.Second), Why: "missing"},
				{ID: "host-b_202", Host: "host-b", Users: 3, LastReport: t0.Add(7 * time.Second), Why: "left"},
			}
			Printer{}.PrintLostWorkers(w, s)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.print(&b)
			checkGolden(t, tt.name, b.Bytes())
		})
	}
}

// TestScheduledLayout checks that the scheduled table has the columns of
// the percentile table, character for character.
func TestScheduledLayout(t *testing.T) {
	s := arrivalRun()
	var pct, sched bytes.Buffer
	Printer{}.PrintPercentiles(&pct, s)
	Printer{}.PrintScheduled(&sched, s)
	p, q := strings.Split(pct.String(), "\n"), strings.Split(sched.String(), "\n")
	if q[0] != scheduledTitle {
		t.Errorf("title %q", q[0])
	}
	if p[1] != q[1] || p[2] != q[2] {
		t.Errorf("header or separator differs:\n%s\n%s\n%s\n%s", p[1], q[1], p[2], q[2])
	}
	for i := 3; i < len(q)-2; i++ {
		if len(q[i]) != len(p[1]) {
			t.Errorf("line %d is %d wide, the header %d:\n%s", i, len(q[i]), len(p[1]), q[i])
		}
	}
	if strings.Contains(sched.String(), "/health") {
		t.Error("a row without scheduled times is listed")
	}
	// The late starts show: the scheduled 99th percentile of /items is
	// well above the plain one.
	items := s.Rows[slicesIndex(s.Rows, "/items")]
	if items.SchedPercentile(0.99) <= items.Percentile(0.99) {
		t.Errorf("scheduled p99 %v <= p99 %v", items.SchedPercentile(0.99), items.Percentile(0.99))
	}
}

func slicesIndex(rows []*stats.Row, name string) int {
	for i, r := range rows {
		if r.Name == name {
			return i
		}
	}
	return -1
}

func TestJsloadTablesPrintNothing(t *testing.T) {
	closed := snapshot([]sample{{typ: "GET", name: "/", ms: 1, at: 0.5}}, nil, time.Second)
	for _, s := range []*stats.Snapshot{closed, nil, {}} {
		var b bytes.Buffer
		Printer{}.PrintChecks(&b, s)
		Printer{}.PrintScheduled(&b, s)
		Printer{}.PrintDropped(&b, s)
		Printer{}.PrintThresholds(&b, nil, true)
		if b.Len() != 0 {
			t.Errorf("printed for a run without checks, scheduled times or dropped starts:\n%s", b.String())
		}
	}
}

func TestThresholdColors(t *testing.T) {
	var plain, colored bytes.Buffer
	Printer{}.PrintThresholds(&plain, thresholdRows, false)
	Printer{}.PrintThresholds(&colored, thresholdRows, true)
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("escape codes without color")
	}
	esc := regexp.MustCompile("\x1b\\[[0-9;]*m")
	green := regexp.MustCompile("\x1b\\[32;1mPASS\x1b\\[0[0-9;]*m")
	red := regexp.MustCompile("\x1b\\[31;1mFAIL\x1b\\[0[0-9;]*m")
	if n, m := len(green.FindAllString(colored.String(), -1)), len(red.FindAllString(colored.String(), -1)); n != 2 || m != 2 {
		t.Errorf("%d green PASS and %d red FAIL, want 2 and 2:\n%q", n, m, colored.String())
	}
	// Without the escapes the colored table is the plain one.
	if stripped := esc.ReplaceAllString(colored.String(), ""); stripped != plain.String() {
		t.Errorf("colored table differs from the plain one beyond the colors:\n%s", golden.FirstDiff(stripped, plain.String()))
	}
}

func TestThresholdValue(t *testing.T) {
	for _, tt := range []struct {
		row  threshold.Result
		want string
	}{
		{threshold.Result{Measured: 58.25}, "58.25"},
		{threshold.Result{Measured: 0.012345678}, "0.0123"},
		{threshold.Result{Measured: 1200}, "1200"},
		{threshold.Result{NoData: true, Measured: 3}, "no data"},
		{threshold.Result{Measured: math.NaN()}, "NaN"},
	} {
		if got := thresholdValue(tt.row); got != tt.want {
			t.Errorf("thresholdValue(%+v) = %q, want %q", tt.row, got, tt.want)
		}
	}
}

func TestJsloadTablesOneWrite(t *testing.T) {
	s := arrivalRun()
	for name, print := range map[string]func(w *countingWriter){
		"checks":     func(w *countingWriter) { Printer{}.PrintChecks(w, s) },
		"thresholds": func(w *countingWriter) { Printer{}.PrintThresholds(w, thresholdRows, true) },
		"scheduled":  func(w *countingWriter) { Printer{}.PrintScheduled(w, s) },
		"dropped":    func(w *countingWriter) { Printer{}.PrintDropped(w, s) },
	} {
		var w countingWriter
		print(&w)
		if w.writes != 1 {
			t.Errorf("%s: %d writes, want 1", name, w.writes)
		}
	}
}

func TestFailureCellsInColor(t *testing.T) {
	reg := stats.NewRegistry(1)
	t0 := time.Unix(1_700_000_000, 0)
	reg.SetStart(t0)
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/bad", Duration: time.Millisecond, Err: "500", At: t0})
	reg.Recorder(0).Record(stats.Sample{Type: "GET", Name: "/good", Duration: time.Millisecond, At: t0})
	s := reg.Snapshot(t0.Add(time.Second))
	var plain, colored bytes.Buffer
	Printer{}.PrintStats(&plain, s, false)
	Printer{Color: true}.PrintStats(&colored, s, false)
	if !strings.Contains(colored.String(), "\x1b[31m  1(100.00%)\x1b[0m") {
		t.Errorf("no red failure cell:\n%q", colored.String())
	}
	stripped := strings.NewReplacer("\x1b[31m", "", "\x1b[0m", "").Replace(colored.String())
	if stripped != plain.String() {
		t.Errorf("colour changed the layout:\n%s\n%s", stripped, plain.String())
	}
	if strings.Count(colored.String(), "\x1b[31m") != 2 { // /bad and Aggregated, not /good
		t.Errorf("colored cells: %d", strings.Count(colored.String(), "\x1b[31m"))
	}
}
