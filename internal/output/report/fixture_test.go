package report

import (
	"time"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// t0 is when the fixture run starts.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// rng is a small deterministic generator (splitmix64), so that the
// fixture is the same with every Go version.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// between returns a number in [a, b).
func (r *rng) between(a, b float64) float64 { return a + (b-a)*r.float() }

const fixtureSeconds = 180

// fixtureUsers is the number of running users during second sec: a ramp
// to 50, a step to 80 at two minutes, and the end.
func fixtureUsers(sec int) int {
	switch {
	case sec < 10:
		return 5 * (sec + 1)
	case sec < 120:
		return 50
	default:
		return 80
	}
}

// fixtureRun replays a three-minute shop test second by second into a
// registry, adding a history point every second, and returns the final
// snapshot and the history.
func fixtureRun() (*stats.Snapshot, *History) {
	reg := stats.NewRegistry(4)
	reg.SetStart(t0)
	h := NewHistory()
	r := rng(42)
	for sec := 0; sec < fixtureSeconds; sec++ {
		users := fixtureUsers(sec)
		slow := 1.0
		if users > 50 {
			slow = 2.2 // the server struggles with 80 users
		}
		n := users * 2
		for i := 0; i < n; i++ {
			at := t0.Add(time.Duration(sec)*time.Second + time.Duration(float64(time.Second)*(float64(i)+0.5)/float64(n)))
			rec := reg.Recorder(i)
			s := stats.Sample{At: at, Size: 512}
			switch p := r.float(); {
			case p < 0.45:
				s.Type, s.Name = "GET", "/"
				s.Duration = ms(r.between(4, 28) * slow)
				s.Size = 6120
			case p < 0.75:
				s.Type, s.Name = "GET", "/api/items"
				s.Duration = ms(r.between(35, 140) * slow)
				s.Size = 18230
				// An arrival-rate scenario: some iterations start late.
				late := 0.0
				if r.float() < 0.2 {
					late = r.between(5, 400) * slow
				}
				s.Scheduled = s.Duration + ms(late)
				rec.RecordCheck("items status is 200", true)
				rec.RecordCheck("items list is not empty", r.float() > 0.004)
			case p < 0.93:
				s.Type, s.Name = "POST", "/api/items"
				s.Duration = ms(r.between(90, 380) * slow)
				s.Size = 240
				if r.float() < 0.02 || sec >= 90 && sec < 100 && r.float() < 0.4 {
					s.Err = "500 Server Error: Internal Server Error"
				}
			case p < 0.98:
				s.Type, s.Name = "DELETE", "/api/items/[id]"
				s.Duration = ms(r.between(10, 45) * slow)
				s.Size = 0
				if r.float() < 0.15 {
					s.Err = "404 Client Error: Not Found"
				}
			default:
				s.Type, s.Name = "GET", "/reports/monthly"
				s.Duration = ms(r.between(800, 2600) * slow)
				s.Size = 220_400
				if r.float() < 0.03 {
					s.Err = "request timed out after 5s (read tcp 127.0.0.1:51234->127.0.0.1:8080)"
				}
			}
			rec.Record(s)
		}
		if sec == 37 || sec == 38 || sec == 141 {
			reg.Recorder(1).RecordException("TypeError: Cannot read properties of undefined (reading 'id')", "scripts/shop.js:42:17",
				"TypeError: Cannot read properties of undefined (reading 'id')\n    at checkout (scripts/shop.js:42:17)\n    at task (scripts/shop.js:58:5)")
		}
		if sec == 150 {
			reg.Recorder(2).RecordException("Error: cart <empty> & \"unexpected\"", "", "")
			reg.Recorder(2).RecordDropped(17)
		}
		snap := reg.Snapshot(t0.Add(time.Duration(sec+1) * time.Second))
		snap.Users = users
		h.Add(snap)
	}
	final := reg.Snapshot(t0.Add(fixtureSeconds * time.Second))
	final.Users = fixtureUsers(fixtureSeconds - 1)
	return final, h
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

var fixtureMeta = Meta{
	Script:  "scripts/shop.js",
	Host:    "http://localhost:8080",
	Version: "0.4.0-test",
	Start:   t0,
	End:     t0.Add(fixtureSeconds * time.Second),
	Users:   80,
	Args:    []string{"run", "scripts/shop.js", "--headless", "-u", "80", "-r", "5", "-t", "3m", "--html", "report.html"},
}

// fixtureSummary is the summary of the fixture run, with three thresholds.
func fixtureSummary() *Summary {
	final, h := fixtureRun()
	p95 := float64(final.Total.Percentile(0.95)) / float64(time.Millisecond)
	return Build(fixtureMeta, final, h, []threshold.Result{
		{Threshold: threshold.Threshold{Name: "http_req_duration", Expr: "p(95) < 500"}, Measured: p95, Passed: p95 < 500},
		{Threshold: threshold.Threshold{Name: "http_req_failed", Expr: "rate < 0.05"}, Measured: final.Total.FailRatio(), Passed: final.Total.FailRatio() < 0.05},
		{Threshold: threshold.Threshold{Name: "checks", Expr: "rate > 0.99"}, Measured: 0.998, Passed: true},
	})
}
