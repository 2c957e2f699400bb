package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/stats"
)

var testClasses = []engine.Class{{Name: "Shopper", Weight: 3}, {Name: "Browser", Weight: 1}, {Name: "Admin", FixedCount: 1}}

type testLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLog) add(level, f string, a ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, level+": "+fmt.Sprintf(f, a...))
	l.mu.Unlock()
}
func (l *testLog) Infof(f string, a ...any)  { l.add("info", f, a...) }
func (l *testLog) Warnf(f string, a ...any)  { l.add("warning", f, a...) }
func (l *testLog) Errorf(f string, a ...any) { l.add("error", f, a...) }
func (l *testLog) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// vu records one sample per task into its worker's registry and counts
// it in made, the ground truth.
type vu struct {
	rec  stats.Recorder
	made *atomic.Int64
	n    int
}

func (v *vu) OnStart(context.Context) {}
func (v *vu) RunTask(context.Context) error {
	v.n++
	v.rec.Record(stats.Sample{Type: "GET", Name: "/", Duration: time.Duration(v.n%97) * time.Millisecond})
	v.made.Add(1)
	return nil
}
func (v *vu) WaitTime(time.Duration) time.Duration { return 5 * time.Millisecond }
func (v *vu) OnStop(context.Context)               {}
func (v *vu) Close()                               {}

type job struct {
	reg  *stats.Registry
	made *atomic.Int64
	data chan string
}

func (j *job) Registry() *stats.Registry { return j.reg }
func (j *job) Close()                    {}
func (j *job) Begin(setupData string) (Swarm, error) {
	select {
	case j.data <- setupData:
	default:
	}
	return engine.New(engine.Config{Classes: testClasses, Factory: j}), nil
}
func (j *job) NewVU(_ context.Context, id, _ int) (engine.VU, error) {
	return &vu{rec: j.reg.Recorder(id), made: j.made}, nil
}

type testWorker struct {
	w      *Worker
	cancel context.CancelFunc
	kill   context.CancelFunc
	err    chan error
	job    *job
}

const (
	testInterval = 50 * time.Millisecond
	testMissing  = time.Second // generous: -race on a slow machine
)

func startTestMaster(t *testing.T, reg *stats.Registry, log Logger, spawned func(map[string]int)) *Master {
	t.Helper()
	m, err := StartMaster(MasterConfig{Bind: "127.0.0.1:0", RunID: "t", Version: "v1", Job: []byte("the job"), Classes: testClasses,
		Registry: reg, Log: log, OnSpawned: spawned, Interval: testInterval, MissingAfter: testMissing})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func startTestWorker(t *testing.T, m *Master, id, version string, made *atomic.Int64) *testWorker {
	t.Helper()
	j := &job{reg: stats.NewRegistry(2), made: made, data: make(chan string, 1)}
	tw := &testWorker{err: make(chan error, 1), job: j}
	w := NewWorker(WorkerConfig{URL: "nats://" + m.Addr(), RunID: "t", Version: version, ID: id, Log: &testLog{},
		Interval: testInterval, MissingAfter: testMissing,
		Prepare: func(_ context.Context, b []byte) (Job, error) {
			if string(b) != "the job" {
				return nil, fmt.Errorf("job %q", b)
			}
			return j, nil
		}})
	tw.w = w
	ctx, cancel := context.WithCancel(context.Background())
	kill, killCancel := context.WithCancel(context.Background())
	tw.cancel, tw.kill = cancel, killCancel
	go func() { tw.err <- w.Run(ctx, kill) }()
	t.Cleanup(func() { cancel(); killCancel(); <-tw.err })
	return tw
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// reportsOf is how many reports m has had from worker id.
func reportsOf(m *Master, id string) int64 {
	for _, info := range m.Workers() {
		if info.ID == id {
			return info.Reports
		}
	}
	return 0
}

func TestSplitRotatesRemainders(t *testing.T) {
	t.Parallel()
	// 3 workers, classes of 4, 4 and 1 users: 9 users, 3 each.
	per := make([]int, 3)
	offset := 0
	for _, total := range []int{4, 4, 1} {
		for j := range per {
			per[j] += split(total, 3, j, offset)
		}
		offset = (offset + total%3) % 3
	}
	if per[0] != 3 || per[1] != 3 || per[2] != 3 {
		t.Errorf("users per worker %v, want 3 each", per)
	}
}

// Three workers share the users by class, the master's statistics equal
// what the workers' users made, a worker that vanishes is noticed and its
// users go to the others, and a stop reaches everyone.
func TestMasterAndWorkers(t *testing.T) {
	t.Parallel()
	reg := stats.NewRegistry(1)
	log := &testLog{}
	spawned := make(chan map[string]int, 8)
	m := startTestMaster(t, reg, log, func(c map[string]int) { spawned <- c })
	ws := []*testWorker{
		startTestWorker(t, m, "w1", "v1", new(atomic.Int64)),
		startTestWorker(t, m, "w2", "v1", new(atomic.Int64)),
		startTestWorker(t, m, "w3", "v1", new(atomic.Int64)),
	}
	if err := m.WaitWorkers(context.Background(), 3, 10*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	m.SetSetupData(`{"token":"x"}`)
	m.Start(13, 0)
	want := map[string]int{"Shopper": 9, "Browser": 3, "Admin": 1}
	select {
	case got := <-spawned:
		if !maps.Equal(got, want) {
			t.Errorf("spawned %v, want %v", got, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("never spawned")
	}
	for _, w := range ws {
		if d := <-w.job.data; d != `{"token":"x"}` {
			t.Errorf("setup data %q", d)
		}
	}
	per := map[string]int{}
	for _, info := range m.Workers() {
		per[info.ID] = info.Users
		if info.Users < 4 || info.Users > 5 {
			t.Errorf("worker %s runs %d users, want 4 or 5 (13 over 3)", info.ID, info.Users)
		}
	}

	// w3 vanishes without a word, after a few reports: its connection
	// closes mid-run.
	r0 := reportsOf(m, "w3")
	eventually(t, "w3 reporting", func() bool { return reportsOf(m, "w3") >= r0+5 })
	<-ws[2].w.connected
	ws[2].w.nc.Close()
	eventually(t, "w3 marked missing", func() bool { return log.has("worker w3 on") && log.has("is missing") })
	eventually(t, "its users given to w1 and w2", func() bool {
		n := 0
		for _, info := range m.Workers() {
			if info.ID != "w3" {
				n += info.Users
			}
		}
		return n == 13
	})
	if u := m.Users(); u != 13 {
		t.Errorf("Users() = %d with w3 missing, want 13", u)
	}
	if lost := m.LostWorkers(); len(lost) != 1 || lost[0].ID != "w3" || lost[0].Why != "missing" || lost[0].Users == 0 || lost[0].LastReport.IsZero() {
		t.Errorf("lost workers %+v, want w3, missing, with its users and last report", lost)
	}

	m.Stop(context.Background())
	for _, info := range m.Workers() {
		if info.ID != "w3" && (info.State != "stopped" || info.Users != 0) {
			t.Errorf("after Stop, worker %s is %s with %d users", info.ID, info.State, info.Users)
		}
	}
	// Everything w1 and w2 made is in, and what w3 sent before it
	// vanished: what the master acknowledged, plus perhaps the report
	// whose answer was lost when the connection closed.
	ws[2].kill()
	ws[2].cancel()
	ws[2].err <- <-ws[2].err
	got := reg.Snapshot(time.Now()).Total.Requests
	want12 := ws[0].job.made.Load() + ws[1].job.made.Load()
	w3 := ws[2].w
	if got != want12+w3.sent && got != want12+w3.sent+w3.pendReq {
		t.Errorf("master counted %d requests; w1 and w2 made %d, w3 had %d acknowledged (+%d unacknowledged)", got, want12, w3.sent, w3.pendReq)
	}
	if w3.sent == 0 || want12 == 0 {
		t.Errorf("no statistics reached the master: w3 sent %d, w1+w2 made %d, got %d", w3.sent, want12, got)
	}
}

func TestVersionMismatchRefused(t *testing.T) {
	t.Parallel()
	log := &testLog{}
	m := startTestMaster(t, stats.NewRegistry(1), log, nil)
	var made atomic.Int64
	w := startTestWorker(t, m, "old", "v0", &made)
	select {
	case err := <-w.err:
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "jsload v1") || !strings.Contains(err.Error(), "jsload v0") {
			t.Errorf("err = %v, want a refusal naming both versions", err)
		}
		w.err <- err
	case <-time.After(10 * time.Second):
		t.Fatal("a worker of another version was not refused")
	}
	if !log.has("refused worker old") {
		t.Error("the master did not log the refusal")
	}
}

// A worker started before its master says it is waiting, and connects
// once the master is up.
func TestWorkerWaitsForMaster(t *testing.T) {
	t.Parallel()
	log := &testLog{}
	w := NewWorker(WorkerConfig{URL: "nats://127.0.0.1:1", RunID: "t", Version: "v1", ID: "early", Log: log,
		Prepare: func(context.Context, []byte) (Job, error) { return nil, errors.New("unused") }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx, ctx) }()
	eventually(t, "the second attempt", func() bool { return log.has("cannot reach the master at nats://127.0.0.1:1 (attempt 2") })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want the context's", err)
	}
}

func TestRunID(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"default", "run-42", "A_b"} {
		if err := CheckRunID(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a.b", "a b", "*", ">", strings.Repeat("x", 65)} {
		if CheckRunID(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// deafen makes the master stop hearing workers, as a network split would,
// until the returned function heals it.
func (m *Master) deafen(t *testing.T) (heal func()) {
	for _, s := range m.subs {
		if err := s.Unsubscribe(); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		m.subs = nil
		for name, h := range map[string]func(*nats.Msg){"hello": m.onHello, "report": m.onReport, "problem": m.onProblem} {
			s, err := m.nc.Subscribe(subject(m.cfg.RunID, name), h)
			if err != nil {
				t.Fatal(err)
			}
			m.subs = append(m.subs, s)
		}
	}
}

// During a split the master marks the worker missing and the worker pauses
// its users (so that the load does not double when they are given to
// others); once it heals, the worker is used again, without a restart.
func TestSplitHeals(t *testing.T) {
	t.Parallel()
	reg := stats.NewRegistry(1)
	log := &testLog{}
	m := startTestMaster(t, reg, log, nil)
	w := startTestWorker(t, m, "solo", "v1", new(atomic.Int64))
	if err := m.WaitWorkers(context.Background(), 1, 10*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	m.Start(5, 0)
	eventually(t, "5 users", func() bool { return m.Users() == 5 })
	heal := m.deafen(t)
	eventually(t, "the worker marked missing", func() bool { return log.has("worker solo on") && log.has("is missing") })
	wlog := w.w.cfg.Log.(*testLog)
	eventually(t, "the worker pausing", func() bool { return wlog.has("pausing this worker's users") })
	heal()
	eventually(t, "the worker back", func() bool { return log.has("worker solo is back") })
	eventually(t, "5 users again", func() bool { return m.Users() == 5 })
	if lost := m.LostWorkers(); len(lost) != 0 {
		t.Errorf("a worker that came back (and resent what it measured) is counted lost: %+v", lost)
	}
	if !wlog.has("the master answers again") {
		t.Error("the worker did not say the master is back")
	}
	before := reg.Snapshot(time.Now()).Total.Requests
	eventually(t, "statistics flowing again", func() bool { return reg.Snapshot(time.Now()).Total.Requests > before })
	m.Stop(context.Background())
}

// Two tests share one NATS server (--nats): each master sees only its own
// run's workers. A worker stopped on its machine says goodbye and its users
// go to the others at once.
func TestSharedNATS(t *testing.T) {
	t.Parallel()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	// Shut down last, after the masters and workers (cleanups run in
	// reverse): workers that lose the server retry their last report for
	// seconds.
	t.Cleanup(ns.Shutdown)
	url := ns.ClientURL()
	start := func(run string, log *testLog) *Master {
		m, err := StartMaster(MasterConfig{NATS: url, RunID: run, Version: "v1", Job: []byte("the job"), Classes: testClasses,
			Registry: stats.NewRegistry(1), Log: log, Interval: testInterval, MissingAfter: testMissing})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		return m
	}
	logA, logB := &testLog{}, &testLog{}
	a, b := start("a", logA), start("b", logB)
	worker := func(run, id string) *testWorker {
		j := &job{reg: stats.NewRegistry(1), made: new(atomic.Int64), data: make(chan string, 1)}
		tw := &testWorker{err: make(chan error, 1), job: j}
		tw.w = NewWorker(WorkerConfig{URL: url, RunID: run, Version: "v1", ID: id, Log: &testLog{}, Interval: testInterval, MissingAfter: testMissing,
			Prepare: func(context.Context, []byte) (Job, error) { return j, nil }})
		ctx, cancel := context.WithCancel(context.Background())
		tw.cancel, tw.kill = cancel, func() {}
		go func() { tw.err <- tw.w.Run(ctx, context.Background()) }()
		t.Cleanup(func() { cancel(); <-tw.err })
		return tw
	}
	a1, _, _ := worker("a", "a1"), worker("a", "a2"), worker("b", "b1")
	if err := a.WaitWorkers(context.Background(), 2, 10*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitWorkers(context.Background(), 1, 10*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	// Once every worker has reported a few times to its own master, each
	// master knows exactly its run's workers.
	eventually(t, "reports from every worker", func() bool {
		return reportsOf(a, "a1") >= 3 && reportsOf(a, "a2") >= 3 && reportsOf(b, "b1") >= 3
	})
	ids := func(m *Master) string {
		var s []string
		for _, info := range m.Workers() {
			s = append(s, info.ID)
		}
		return strings.Join(s, ",")
	}
	if x, y := ids(a), ids(b); x != "a1,a2" || y != "b1" {
		t.Fatalf("run a has workers %q, run b %q: want a1,a2 and b1", x, y)
	}
	if n, m := a.Healthy(), b.Healthy(); n != 2 || m != 1 {
		t.Fatalf("run a has %d workers, run b %d: want 2 and 1", n, m)
	}
	a.Start(6, 0)
	eventually(t, "6 users in run a", func() bool { return a.Users() == 6 })
	a1.cancel()
	defer func() {
		if t.Failed() {
			t.Logf("master a: %q", logA.lines)
		}
	}()
	eventually(t, "a1's goodbye", func() bool { return logA.has("worker a1 left: its 3 users go to the other workers") })
	eventually(t, "a2 running all 6", func() bool { return a.Users() == 6 && len(a.Workers()) == 1 })
	if b.Users() != 0 {
		t.Errorf("run b has %d users: it was never started", b.Users())
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// masterOnPort starts a master on a fixed port (to be started again there);
// closing it is the test's business.
func masterOnPort(t *testing.T, port int, job string) *Master {
	t.Helper()
	m, err := StartMaster(MasterConfig{Bind: fmt.Sprintf("127.0.0.1:%d", port), RunID: "t", Version: "v1", Job: []byte(job), Classes: testClasses,
		Registry: stats.NewRegistry(1), Log: &testLog{}, Interval: testInterval, MissingAfter: testMissing})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A master that crashes and is started again finds its workers again:
// they reconnect, say hello anew and take the new master's assignments.
func TestMasterRestart(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	start := func() *Master { return masterOnPort(t, port, "the job") }
	m1 := start()
	startTestWorker(t, m1, "w", "v1", new(atomic.Int64))
	if err := m1.WaitWorkers(context.Background(), 1, 10*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	m1.Start(5, 0)
	eventually(t, "5 users", func() bool { return m1.Users() == 5 })
	// A crash: no quit is sent.
	close(m1.quit)
	m1.nc.Close()
	m1.shutdownServer()

	m2 := start()
	defer m2.Close()
	if err := m2.WaitWorkers(context.Background(), 1, 15*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	m2.Start(2, 0)
	eventually(t, "2 users under the new master", func() bool { return m2.Users() == 2 })
}

// A client without the master's password (anyone on the network, with no
// token) cannot tell workers to quit, send them assignments, or answer
// their hellos: the embedded server's permissions refuse it.
func TestWorkersCannotImpersonateTheMaster(t *testing.T) {
	t.Parallel()
	reg := stats.NewRegistry(1)
	m := startTestMaster(t, reg, &testLog{}, nil)
	violations := make(chan error, 16)
	evil, err := nats.Connect("nats://"+m.Addr(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer evil.Close()
	heard := make(chan *nats.Msg, 16)
	evil.Subscribe(subject("t", "hello"), func(msg *nats.Msg) { heard <- msg })
	evil.Flush() // the subscription is in place before the worker says hello
	w := startTestWorker(t, m, "w", "v1", new(atomic.Int64))
	if err := m.WaitWorkers(context.Background(), 1, 10*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	evil.Publish(subject("t", "all"), []byte(`{"quit":true}`))
	evil.Publish(subject("t", "w.w"), []byte(`{"epoch":999999,"counts":[100]}`))
	evil.Flush() // the server has handled both before the master's assignment
	m.Start(2, 0)
	// Had the forged assignment (a later epoch) been delivered, before the
	// master's, the worker would run 100 users and ignore the master's.
	eventually(t, "2 users", func() bool { return m.Users() == 2 })
	// Had the quit been delivered, the worker would have stopped
	// reporting: it reports on.
	r0 := reportsOf(m, "w")
	eventually(t, "reports after the start", func() bool { return reportsOf(m, "w") >= r0+3 })
	select {
	case err := <-w.err:
		t.Fatalf("the worker quit on a stranger's word: %v", err)
	case <-heard:
		t.Fatal("a stranger heard a worker's hello")
	default:
	}
	select {
	case err := <-violations:
		if !strings.Contains(err.Error(), "Permissions Violation") {
			t.Errorf("the stranger was told %v, want a permissions violation", err)
		}
	case <-time.After(15 * time.Second):
		t.Error("no permissions violation reported to the stranger")
	}
}

// A master started again with another script: its workers load the new one.
func TestMasterRestartNewScript(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	start := func(job string) *Master { return masterOnPort(t, port, job) }
	m1 := start("job 1")
	var mu sync.Mutex
	var loaded []string
	j := &job{reg: stats.NewRegistry(1), made: new(atomic.Int64), data: make(chan string, 4)}
	wlog := &testLog{}
	w := NewWorker(WorkerConfig{URL: "nats://" + m1.Addr(), RunID: "t", Version: "v1", ID: "w", Log: wlog, Interval: testInterval, MissingAfter: testMissing,
		Prepare: func(_ context.Context, b []byte) (Job, error) {
			mu.Lock()
			loaded = append(loaded, string(b))
			mu.Unlock()
			return j, nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx, context.Background()) }()
	defer func() { cancel(); <-errc }()
	if err := m1.WaitWorkers(context.Background(), 1, 10*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	m1.Start(3, 0)
	eventually(t, "3 users", func() bool { return m1.Users() == 3 })
	close(m1.quit) // a crash
	m1.nc.Close()
	m1.shutdownServer()
	m2 := start("job 2")
	defer m2.Close()
	if err := m2.WaitWorkers(context.Background(), 1, 15*time.Second, func(int, time.Duration) {}); err != nil {
		t.Fatal(err)
	}
	// The old test's users stop though the new master has not started one.
	eventually(t, "the old users stopped", func() bool {
		ws := m2.Workers()
		return len(ws) == 1 && ws[0].Users == 0 && ws[0].State == "ready"
	})
	mu.Lock()
	got := strings.Join(loaded, ",")
	mu.Unlock()
	if got != "job 1,job 2" {
		t.Errorf("jobs loaded %q, want job 1 then job 2", got)
	}
	if s := m2.Registry().Snapshot(time.Now()); s.Total.Requests != 0 {
		t.Errorf("the new master counted %d requests of the old test", s.Total.Requests)
	}
}

// selfStopping users stop themselves after one task each.
type selfStopping struct{ vu }

func (v *selfStopping) RunTask(ctx context.Context) error {
	v.vu.RunTask(ctx)
	return engine.ErrStopUser
}

type stoppingJob struct{ *job }

func (j stoppingJob) Begin(string) (Swarm, error) {
	return engine.New(engine.Config{Classes: testClasses, Factory: j}), nil
}
func (j stoppingJob) NewVU(_ context.Context, id, _ int) (engine.VU, error) {
	return &selfStopping{vu{rec: j.reg.Recorder(id), made: j.made}}, nil
}

// When every user everywhere stops itself, the master's Done closes, and
// the worker does not spin meanwhile: with its periodic reports off, it
// reports exactly twice (when it is ready, and once when its users have all
// stopped), then falls silent, so silent that the master marks it missing.
func TestDoneWhenEveryUserStopped(t *testing.T) {
	t.Parallel()
	m := startTestMaster(t, stats.NewRegistry(1), &testLog{}, nil)
	// Started before the worker comes: the worker's first report brings
	// its assignment, whatever time passes until then.
	m.Start(4, 0)
	j := stoppingJob{&job{reg: stats.NewRegistry(1), made: new(atomic.Int64)}}
	w := NewWorker(WorkerConfig{URL: "nats://" + m.Addr(), RunID: "t", Version: "v1", ID: "w", Log: &testLog{}, Interval: time.Hour, MissingAfter: testMissing,
		Prepare: func(context.Context, []byte) (Job, error) { return j, nil }})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Run(ctx, context.Background()) }()
	defer func() { cancel(); <-errc }()
	select {
	case <-m.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("Done never closed")
	}
	if got := m.Registry().Snapshot(time.Now()).Total.Requests; got != 4 {
		t.Errorf("%d requests, want one per user (4)", got)
	}
	eventually(t, "the worker silent and marked missing", func() bool { return m.Workers()[0].State == "missing" })
	if r := m.Workers()[0].Reports; r != 2 {
		t.Errorf("%d reports, want 2 (ready, and users all stopped): the worker spins", r)
	}
}
