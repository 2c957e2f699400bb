package web_test

import (
	"errors"
	"sync"
	"time"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/web"
)

// fakeController records what the panel asks for and serves a registry's
// statistics. Start moves "ready"/"stopped" to "running", and changes the
// users of a running test, like the CLI's controller.
type fakeController struct {
	mu       sync.Mutex
	state    engine.State
	starts   []web.StartRequest
	stops    int
	resets   int
	users    int
	reg      *stats.Registry
	hist     *report.History
	info     web.Info
	summary  *report.Summary
	startErr error
	counts   map[string]int        // running users per class (UserCounts)
	ths      []web.ThresholdResult // ThresholdResults
	histOn   bool                  // --csv-full-history (FullHistoryCSV)
	earlier  []*report.History     // the earlier tests' histories (EarlierHistories)
	histPath string
	// fillOnStart makes a start fill in 20 seconds of statistics, as if
	// the test had been running (for the browser test).
	fillOnStart bool
}

var _ web.Controller = (*fakeController)(nil)

func newFake() *fakeController {
	return &fakeController{
		state: engine.Ready,
		reg:   stats.NewRegistry(1),
		hist:  report.NewHistory(),
		info: web.Info{
			Script: "scripts/locustfile.js", Host: "http://localhost:8080",
			Users: 10, SpawnRate: 2, RunTime: 90 * time.Second,
			Classes: []web.ClassInfo{
				{Name: "Admin", FixedCount: 1, Tasks: []web.TaskInfo{{Name: "audit", Weight: 1, Share: 100}}},
				{Name: "Shopper", Weight: 3, Tasks: []web.TaskInfo{
					{Name: "browse", Weight: 3, Share: 75}, {Name: "buy", Weight: 1, Share: 25}}},
				{Name: "Visitor", Weight: 1, Tasks: []web.TaskInfo{{Name: "home", Weight: 1, Share: 100}}},
			},
		},
	}
}

// running fills the fake with a running test: requests over the last
// seconds, failures, an exception and a history.
func (f *fakeController) running() *fakeController {
	f.mu.Lock()
	f.state, f.users = engine.Running, 25
	f.mu.Unlock()
	f.fill(25)
	return f
}

// fill records 20 seconds of requests ending now, and their history, with
// users ramping up to users. The caller holds f.mu or is alone.
func (f *fakeController) fill(users int) {
	now := time.Now()
	start := now.Add(-20 * time.Second)
	f.reg.SetStart(start)
	rec := f.reg.Recorder(0)
	i := 0
	for s := 1; s <= 20; s++ {
		// Ten requests of each kind a second, then the second's history point.
		for ; i < s*10; i++ {
			at := start.Add(time.Duration(i) * 100 * time.Millisecond)
			rec.Record(stats.Sample{Type: "GET", Name: "/entries", Duration: time.Duration(100+i) * time.Millisecond, Size: 1024, At: at})
			if i%2 == 0 {
				rec.Record(stats.Sample{Type: "POST", Name: "/api/users", Duration: time.Duration(200+i) * time.Millisecond, Size: 20, At: at})
			}
			if i%20 == 0 {
				rec.Record(stats.Sample{Type: "GET", Name: "/shujie", Duration: time.Millisecond, Err: "404 Client Error: Not Found", At: at})
			}
		}
		snap := f.reg.Snapshot(start.Add(time.Duration(s) * time.Second))
		snap.Users = min(s*max(users/10, 1), users)
		f.hist.Add(snap)
	}
	rec.RecordException("TypeError: Cannot read property 'id' of undefined", "scripts/locustfile.js:12:5", "TypeError: Cannot read property 'id' of undefined\n    at browse (scripts/locustfile.js:12:5)")
}

func (f *fakeController) Start(r web.StartRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.startErr != nil {
		return f.startErr
	}
	scripted := f.info.Plan.Kind != "" && f.info.Plan.Kind != "users"
	if r.Users == 0 && !scripted && (f.state == engine.Ready || f.state == engine.Stopped) {
		return errors.New("a test needs at least 1 user")
	}
	f.starts = append(f.starts, r)
	f.users = r.Users
	if f.state == engine.Ready || f.state == engine.Stopped {
		f.state = engine.Running
		if r.Host != "" {
			f.info.Host = r.Host // Info describes the current test
		}
		if f.fillOnStart {
			if f.hist.Len() > 0 {
				f.earlier = append(f.earlier, f.hist)
			}
			f.reg.Reset()
			f.hist = report.NewHistory()
			defer f.fill(r.Users) // before the unlock
		}
	}
	return nil
}

func (f *fakeController) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops++
	if f.state != engine.Ready {
		f.state = engine.Stopped
	}
	f.users = 0
}

func (f *fakeController) Reset() {
	f.mu.Lock()
	f.resets++
	f.mu.Unlock()
	f.reg.Reset()
}

func (f *fakeController) State() engine.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

func (f *fakeController) Snapshot() *stats.Snapshot {
	s := f.reg.Snapshot(time.Now())
	f.mu.Lock()
	s.Users = f.users
	f.mu.Unlock()
	return s
}

func (f *fakeController) History() *report.History {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hist
}

func (f *fakeController) Info() web.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.info
}

func (f *fakeController) Summary() *report.Summary {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.summary
}

func (f *fakeController) lastStart() (web.StartRequest, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.starts) == 0 {
		return web.StartRequest{}, 0
	}
	return f.starts[len(f.starts)-1], len(f.starts)
}

func (f *fakeController) UserCounts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts
}

func (f *fakeController) Logs() []string {
	return []string{"[2026-01-02 15:04:05] INFO: Starting a test", "[2026-01-02 15:04:06] WARNING: something to see"}
}

func (f *fakeController) FullHistoryCSV() (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.histPath, f.histOn
}

func (f *fakeController) ThresholdResults() []web.ThresholdResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ths
}

func (f *fakeController) EarlierHistories() []*report.History {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*report.History(nil), f.earlier...)
}
