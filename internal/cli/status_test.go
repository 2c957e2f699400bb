package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/output"
	"github.com/jsload/jsload/internal/stats"
)

// TestStatusLineMatchesTable feeds the periodic table and the status line
// the same ticks, as a run does, and checks that each tick's status line
// shows the req/s and failures/s of the Aggregated row printed at that
// tick: same snapshot, same formula, same format. Under a second of run,
// both show "-".
func TestStatusLineMatchesTable(t *testing.T) {
	start := time.Date(2025, 1, 2, 3, 4, 5, 600_000_000, time.UTC) // mid-second
	reg := stats.NewRegistry(2)
	reg.SetStart(start)
	// 7 requests a second, every third one failing, for 14 s, at times that
	// make the rates long decimals (8.25 would show as 8.2 with one).
	for i := 0; i < 14*7; i++ {
		at := start.Add(time.Duration(i) * time.Second / 7)
		s := stats.Sample{Type: "GET", Name: "/", Duration: 3 * time.Millisecond, At: at}
		if i%3 == 0 {
			s.Err = "HTTP 500"
		}
		reg.Recorder(i).Record(s)
	}
	var tables, status bytes.Buffer
	log := newLogger(&status, "INFO")
	set := &output.Set{}
	set.Add("console", &output.Console{W: &tables, Every: 100 * time.Millisecond})
	set.Add("status", &statusOutput{log: log})
	set.Start(start)
	ticks := []time.Duration{300 * time.Millisecond, 700 * time.Millisecond, 1500 * time.Millisecond, 2400 * time.Millisecond, 5 * time.Second, 9900 * time.Millisecond, 13200 * time.Millisecond}
	for i, d := range ticks {
		tables.Reset()
		snap := reg.Snapshot(start.Add(d))
		snap.Users = 3
		set.Tick(snap)
		var agg string
		for _, l := range strings.Split(tables.String(), "\n") {
			if strings.Contains(l, "Aggregated") {
				agg = l
			}
		}
		_, rates, ok := strings.Cut(agg, "%) |")
		if _, rates, ok = strings.Cut(rates, "|"); !ok {
			t.Fatalf("tick %d: no Aggregated row in\n%s", i, tables.String())
		}
		f := strings.Fields(rates)
		line := log.status
		if !strings.Contains(line, "  |  "+f[0]+" req/s  |  ") || !strings.Contains(line, " failures ("+f[1]+"/s)") {
			t.Errorf("tick at %v: status %q, table shows %s req/s and %s failures/s", d, line, f[0], f[1])
		}
		// Until 1.4 s in, the window holds less than a second of the run (the
		// 0.4 s of its first second, then no complete second).
		wantDash := d < 1400*time.Millisecond
		if (f[0] == "-") != wantDash {
			t.Errorf("tick at %v: table shows %q req/s", d, f[0])
		}
	}
}

// TestLoggedExceptionIsTheTablesFirst: many users raise one exception
// group (one position) with a different message each time, at once; the
// message logged is the one the exceptions table keeps.
func TestLoggedExceptionIsTheTablesFirst(t *testing.T) {
	t.Parallel()
	src := `import { task, constant } from "jsload";
export const options = { waitTime: constant(0) };
export const broken = task(() => {
  throw new TypeError("item " + Math.floor(Math.random() * 1e9) + " is undefined");
});
`
	for round := 0; round < 3; round++ {
		r := run(t, nil, nil, "run", script(t, src), "--headless", "-u", "8", "-r", "1000", "-i", "80")
		re := regexp.MustCompile(`TypeError: item (\d+) is undefined`)
		logged := re.FindAllStringSubmatch(r.stderr, -1)
		if len(logged) != 1 {
			t.Fatalf("logged %d times, want once:\n%s", len(logged), r.stderr)
		}
		table := regexp.MustCompile(`(?m)^80 +\S*main\.js:4:\d+: TypeError: item (\d+) is undefined`).FindStringSubmatch(r.stdout)
		if table == nil {
			t.Fatalf("no exception row for 80 occurrences:\n%s", r.stdout)
		}
		if table[1] != logged[0][1] {
			t.Errorf("round %d: the log names item %s, the exceptions table item %s", round, logged[0][1], table[1])
		}
	}
}
