package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/shared"
	"github.com/jsload/jsload/internal/stats"
)

// Swarm is what a worker runs its share of users with: the engine.
type Swarm interface {
	StartCounts(counts []int, rate float64)
	StartArrival(rate float64, initial, maxVUs int)
	SetRate(rate float64)
	Users() int
	UserCounts() map[string]int
	State() engine.State
	Done() <-chan struct{}
	Stop(ctx context.Context)
}

var _ Swarm = (*engine.Engine)(nil)

// Job is a worker's side of a test: made from the master's job by
// WorkerConfig.Prepare.
type Job interface {
	// Registry is where the job's users record; the worker drains it.
	Registry() *stats.Registry
	// Begin makes a swarm for a test, with setup()'s result.
	Begin(setupData string) (Swarm, error)
	Close()
}

// A Job may also implement these, to follow the run.
type (
	// Placer is told the worker's 0-based index among the master's
	// workers and their number, before a test starts and when they change.
	Placer interface{ Place(index, count int) }
	// SpawnNotifier is told, once per ramp, that the whole swarm (every
	// worker's share) is running, with its number of users: the master
	// forwards its spawning complete, as Locust's does.
	SpawnNotifier interface{ SpawningComplete(users int) }
	// TestEnder is told that a test's users have stopped.
	TestEnder interface{ EndTest() }
)

// WorkerConfig configures a worker.
type WorkerConfig struct {
	URL     string // the master's NATS server, or the shared NATS deployment
	Options []nats.Option
	RunID   string
	Version string
	ID      string // "" for hostname_random
	// Prepare loads the master's job (the bundled script and settings).
	Prepare func(ctx context.Context, job []byte) (Job, error)
	Log     Logger
	// Interval and MissingAfter override the package defaults (tests).
	Interval, MissingAfter time.Duration
}

// Worker runs users for a master.
type Worker struct {
	cfg       WorkerConfig
	nc        *nats.Conn
	connected chan struct{} // closed once nc is set

	job       Job
	swarm     Swarm
	byArrival bool // the swarm runs an arrival rate
	applied   uint64
	stopping  chan struct{} // closed when the swarm's Stop returns; nil when not stopping
	killStop  context.CancelFunc
	deferred  *assignment // what to run once the stop is over

	seq       uint64
	pending   []byte          // sent, not yet acknowledged
	pendReq   int64           // the requests in pending
	sent      int64           // requests the master acknowledged
	acc       *stats.Snapshot // recorded since pending was made
	lastAck   time.Time
	paused    bool
	finishing bool   // quitting: no assignment starts users any more
	idleStop  bool   // the stop under way is an idle one (no test)
	doneSaid  bool   // the master was told at once that the swarm's users all stopped
	spawnedAt uint64 // the assignment whose spawning complete the job was told
	jobBytes  []byte
	failed    error  // the master's new job cannot run here
	state     string // when there is no swarm: "ready", or "stopped" after a test
	cpu       cpuMeter
}

// NewWorker returns a worker; Run connects it.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Interval <= 0 {
		cfg.Interval = Interval
	}
	if cfg.MissingAfter <= 0 {
		cfg.MissingAfter = MissingAfter
	}
	if cfg.ID == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		cfg.ID = fmt.Sprintf("%s_%s", sanitize(host), hex.EncodeToString(b))
	}
	return &Worker{cfg: cfg, acc: &stats.Snapshot{}, state: "ready", connected: make(chan struct{})}
}

// sanitize keeps a host name usable in a NATS subject.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) == 0 {
		return "worker"
	}
	return string(b)
}

// ID is the worker's id, as the master lists it.
func (w *Worker) ID() string { return w.cfg.ID }

// Run connects to the master (retrying with backoff until ctx ends), runs
// what it is assigned, and returns when the master says quit (nil), when
// ctx ends (after stopping its users and sending its last statistics), or
// when the master refuses it or the job cannot be loaded.
//
// Canceling kill makes the last stop interrupt running tasks at once.
func (w *Worker) Run(ctx, kill context.Context) error {
	if err := w.connect(ctx); err != nil {
		return err
	}
	defer w.nc.Close()
	jobBytes, err := w.hello(ctx)
	if err != nil {
		return err
	}
	w.cfg.Log.Infof("connected: loading the master's script")
	job, err := w.cfg.Prepare(ctx, jobBytes)
	if err != nil {
		w.sendProblem(err)
		return err
	}
	w.job, w.jobBytes = job, jobBytes
	defer func() { w.job.Close() }()

	assigns := make(chan *assignment, 16)
	quit := make(chan struct{}, 1)
	spawned := make(chan spawnedNews, 4)
	sub1, err := w.nc.Subscribe(subject(w.cfg.RunID, "w."+w.cfg.ID), func(m *nats.Msg) {
		var a assignment
		if json.Unmarshal(m.Data, &a) == nil {
			select {
			case assigns <- &a:
			default: // the next report's reply carries it too
			}
		}
	})
	if err != nil {
		return fmt.Errorf("subscribing on NATS: %v", err)
	}
	defer sub1.Unsubscribe()
	sub2, err := w.nc.Subscribe(subject(w.cfg.RunID, "all"), func(m *nats.Msg) {
		var b broadcast
		if json.Unmarshal(m.Data, &b) != nil {
			return
		}
		if b.Quit {
			select {
			case quit <- struct{}{}:
			default:
			}
		}
		if e, ok := b.Spawned[w.cfg.ID]; ok {
			select {
			case spawned <- spawnedNews{epoch: e, users: b.SpawnedUsers}:
			default: // the next report's reply says it too
			}
		}
	})
	if err != nil {
		return fmt.Errorf("subscribing on NATS: %v", err)
	}
	defer sub2.Unsubscribe()
	w.cfg.Log.Infof("ready: waiting for the master to start a test")

	tick := time.NewTicker(w.cfg.Interval)
	defer tick.Stop()
	w.lastAck = time.Now()
	w.cpu.sample()
	w.report(ctx) // at once: the master counts this worker from its first report
	for {
		var swarmDone <-chan struct{}
		if w.swarm != nil && w.stopping == nil && !w.doneSaid {
			swarmDone = w.swarm.Done()
		}
		select {
		case <-ctx.Done():
			w.cfg.Log.Infof("stopping this worker's users and sending their last statistics")
			w.finish(kill)
			b, _ := json.Marshal(problem{Worker: w.cfg.ID})
			_ = w.nc.Publish(subject(w.cfg.RunID, "bye"), b)
			_ = w.nc.FlushTimeout(time.Second)
			return nil
		case n := <-spawned:
			if n.epoch == w.applied {
				w.spawningComplete(n.users)
			}
		case <-quit:
			w.cfg.Log.Infof("the master said quit")
			w.finish(kill)
			return nil
		case a := <-assigns:
			w.apply(ctx, a)
		case <-w.stopping:
			w.stopped(ctx)
			w.report(ctx)
		case <-swarmDone:
			w.doneSaid = true // once: the channel stays closed
			w.report(ctx)
		case <-tick.C:
			w.report(ctx)
		}
		if w.failed != nil {
			return w.failed
		}
	}
}

// connect dials NATS, retrying with backoff and saying so.
func (w *Worker) connect(ctx context.Context) error {
	opts := append([]nats.Option{
		nats.Name("jsload worker " + w.cfg.ID),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				w.cfg.Log.Warnf("lost the connection to the master (%v); reconnecting", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { w.cfg.Log.Infof("reconnected to the master") }),
	}, w.cfg.Options...)
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		nc, err := nats.Connect(w.cfg.URL, opts...)
		if err == nil {
			w.nc = nc
			close(w.connected)
			return nil
		}
		if errors.Is(err, nats.ErrAuthorization) {
			return fmt.Errorf("the master at %s refused this worker's credentials: check --cluster-token (or the NATS credentials)", redact(w.cfg.URL))
		}
		w.cfg.Log.Warnf("cannot reach the master at %s (attempt %d: %v); retrying in %v", redact(w.cfg.URL), attempt, err, wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// hello announces the worker until a master answers, and returns its job.
func (w *Worker) hello(ctx context.Context) ([]byte, error) {
	host, _ := os.Hostname()
	b, _ := json.Marshal(hello{Worker: w.cfg.ID, Version: w.cfg.Version, Protocol: Protocol, Host: host, PID: os.Getpid(), Cores: runtime.NumCPU()})
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		msg, err := w.request(ctx, "hello", b)
		if err == nil {
			var wl welcome
			if err := json.Unmarshal(msg.Data, &wl); err != nil {
				return nil, fmt.Errorf("an unreadable answer from the master: %v", err)
			}
			if wl.Refused != "" {
				return nil, fmt.Errorf("%w: %s", ErrRefused, wl.Refused)
			}
			return wl.Job, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if attempt == 1 || attempt%10 == 0 {
			w.cfg.Log.Warnf("connected to NATS at %s, but no master answers for run %q yet (%v); retrying", redact(w.cfg.URL), w.cfg.RunID, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}

// Shared is the master's store of counters and queues, as this worker's
// users use it: each call is a request to the master. Use it once Run has
// connected (from WorkerConfig.Prepare on).
func (w *Worker) Shared() shared.Store {
	return shared.NewRemote(func(ctx context.Context, req []byte) ([]byte, error) {
		msg, err := w.request(ctx, "shared", req)
		if err != nil {
			return nil, fmt.Errorf("asking the master: %v", err)
		}
		return msg.Data, nil
	})
}

// request sends a request and waits up to 2 s for the answer.
func (w *Worker) request(ctx context.Context, name string, b []byte) (*nats.Msg, error) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return w.nc.RequestWithContext(rctx, subject(w.cfg.RunID, name), b)
}

func (w *Worker) sendProblem(err error) {
	b, _ := json.Marshal(problem{Worker: w.cfg.ID, Error: err.Error()})
	_ = w.nc.Publish(subject(w.cfg.RunID, "problem"), b)
	_ = w.nc.FlushTimeout(time.Second)
}

// apply runs a new assignment.
func (w *Worker) apply(ctx context.Context, a *assignment) {
	if a.Epoch <= w.applied {
		return
	}
	if w.stopping != nil {
		if a.Kill && w.killStop != nil {
			w.killStop()
		}
		if !a.Stop {
			w.deferred = a // once the stop is over
		}
		w.applied = a.Epoch
		return
	}
	w.applied = a.Epoch
	if w.finishing {
		return // quitting: no new users
	}
	if p, ok := w.job.(Placer); ok && a.Workers > 0 {
		p.Place(a.Index, a.Workers)
	}
	switch {
	case a.Stop || a.Idle:
		if w.swarm == nil {
			if a.Idle {
				w.state = "ready"
			}
			return
		}
		w.stopSwarm(a.Kill, a.Idle)
	case len(a.Counts) == 0 && !a.ByArrival:
		// Nothing to run (yet).
		if w.swarm != nil {
			w.swarm.StartCounts(nil, 0)
		}
	default:
		if w.swarm == nil {
			w.state = "ready"
			sw, err := w.job.Begin(a.SetupData)
			if err != nil {
				w.cfg.Log.Errorf("cannot start users: %v", err)
				w.sendProblem(err)
				return
			}
			w.swarm, w.byArrival, w.doneSaid = sw, false, false
		}
		if a.ByArrival {
			if w.byArrival {
				w.swarm.SetRate(a.Arrival)
			} else {
				w.byArrival = true
				w.swarm.StartArrival(a.Arrival, a.Initial, a.MaxVUs)
			}
			return
		}
		w.swarm.StartCounts(a.Counts, a.Rate)
	}
}

// stopSwarm starts stopping the swarm (at once with kill); stopped is
// called when it has. After an idle stop the worker is "ready", else
// "stopped".
func (w *Worker) stopSwarm(kill, idle bool) {
	stopCtx, cancel := context.WithCancel(context.Background())
	if kill {
		cancel()
	}
	w.killStop = cancel
	ch := make(chan struct{})
	w.stopping = ch
	w.idleStop = idle
	sw := w.swarm
	go func() {
		sw.Stop(stopCtx)
		close(ch)
	}()
}

// stopped is called when the swarm's Stop has returned.
func (w *Worker) stopped(ctx context.Context) {
	w.stopping, w.killStop, w.swarm, w.byArrival = nil, nil, nil, false
	w.endTest()
	w.state = "stopped"
	if w.idleStop {
		w.state = "ready"
	}
	if a := w.deferred; a != nil {
		w.deferred = nil
		w.applied = a.Epoch - 1
		w.apply(ctx, a)
	}
}

// report sends the worker's state and a statistics delta, and applies the
// assignment the master answers with.
func (w *Worker) report(ctx context.Context) {
	if w.job == nil {
		return
	}
	w.acc.Merge(w.job.Registry().Drain(time.Now()))
	if w.pending == nil && !empty(w.acc) {
		w.seq++
		w.pending = stats.AppendSnapshot(nil, w.acc)
		w.pendReq = w.acc.Total.Requests
		w.acc = &stats.Snapshot{}
	}
	r := report{Worker: w.cfg.ID, Epoch: w.applied, State: w.state, CPU: w.cpu.sample()}
	if w.pending != nil {
		r.Seq, r.Stats = w.seq, w.pending
	}
	if w.swarm != nil {
		r.State = w.swarm.State().String()
		r.Users = w.swarm.Users()
		r.Counts = w.swarm.UserCounts()
		select {
		case <-w.swarm.Done():
			r.Done = true
		default:
		}
		if w.stopping != nil {
			r.State = "stopping"
		}
	}
	if r.State == "stopped" && !empty(w.acc) {
		r.State = "stopping" // the last statistics are still to be sent
	}
	msg, err := w.request(ctx, "report", r.encode())
	if err != nil {
		if !w.paused && time.Since(w.lastAck) > w.cfg.MissingAfter && w.swarm != nil && w.stopping == nil {
			w.cfg.Log.Warnf("the master has not answered for %v: pausing this worker's users until it does", w.cfg.MissingAfter.Round(time.Second))
			w.paused = true
			if w.byArrival {
				w.swarm.SetRate(0)
			} else {
				w.swarm.StartCounts(nil, 0)
			}
			w.applied = 0 // take the master's assignment again, whatever its epoch
		}
		return
	}
	w.lastAck = time.Now()
	var rp reply
	if json.Unmarshal(msg.Data, &rp) != nil {
		return
	}
	if r.Stats != nil && !rp.Unknown { // an unknown worker's statistics are not absorbed
		w.pending = nil
		w.sent += w.pendReq
	}
	if w.paused {
		w.paused = false
		w.cfg.Log.Infof("the master answers again")
	}
	if rp.Unknown {
		w.rejoin(ctx)
		return
	}
	if rp.Assign != nil {
		w.apply(ctx, rp.Assign)
	}
	if rp.Spawned {
		w.spawningComplete(rp.SpawnedUsers)
	}
}

// spawnedNews is the master's word that the swarm is spawned, for the
// worker's assignment epoch.
type spawnedNews struct {
	epoch uint64
	users int
}

// spawningComplete tells the job, once per assignment, that the whole
// swarm is spawned.
func (w *Worker) spawningComplete(users int) {
	if w.swarm == nil || w.stopping != nil || w.spawnedAt == w.applied {
		return
	}
	w.spawnedAt = w.applied
	if n, ok := w.job.(SpawnNotifier); ok {
		n.SpawningComplete(users)
	}
}

// endTest tells the job that a test's users have stopped.
func (w *Worker) endTest() {
	if e, ok := w.job.(TestEnder); ok {
		e.EndTest()
	}
}

// rejoin handles a master that does not know this worker (it restarted):
// the users of the old test stop, the worker announces itself again, and
// takes the new master's assignments whatever their epochs. If the master
// now runs another script, the worker loads it.
func (w *Worker) rejoin(ctx context.Context) {
	w.cfg.Log.Warnf("the master does not know this worker (it restarted?): stopping its users and announcing it again")
	if w.swarm != nil && w.stopping == nil {
		w.stopSwarm(false, true)
	}
	w.pending, w.acc = nil, &stats.Snapshot{} // the old test's
	w.applied = 0
	job, err := w.hello(ctx)
	if err != nil {
		w.cfg.Log.Errorf("announcing this worker again: %v", err)
		return
	}
	if bytes.Equal(job, w.jobBytes) {
		return
	}
	w.cfg.Log.Infof("the master runs another test now: loading its script")
	if w.stopping != nil {
		<-w.stopping
		w.stopped(ctx)
	}
	w.job.Close()
	j, err := w.cfg.Prepare(ctx, job)
	if err != nil {
		w.sendProblem(err)
		w.failed = err
		return
	}
	w.job, w.jobBytes = j, job
	w.job.Registry().Drain(time.Now()) // nothing of the old test
}

func empty(s *stats.Snapshot) bool {
	return len(s.Rows) == 0 && len(s.Failures) == 0 && len(s.Exceptions) == 0 && len(s.Checks) == 0 && s.Dropped == 0 && s.CutOff == 0 && len(s.Metrics) == 0 && len(s.HTTPSubs) == 0
}

// finish stops the users (at once when kill is canceled) and sends
// everything not yet sent, trying for a few seconds.
func (w *Worker) finish(kill context.Context) {
	w.finishing = true
	if w.swarm != nil {
		if w.stopping == nil {
			w.swarm.Stop(kill)
		} else {
			select {
			case <-w.stopping:
			case <-kill.Done():
				if w.killStop != nil {
					w.killStop()
				}
				<-w.stopping
			}
		}
		w.swarm, w.stopping = nil, nil
		w.state = "stopped"
		w.endTest()
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		w.report(context.Background())
		if w.pending == nil && empty(w.acc) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.cfg.Log.Warnf("the master did not acknowledge this worker's last statistics")
}
