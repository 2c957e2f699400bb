package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/shared"
	"github.com/jsload/jsload/internal/stats"
)

// MasterConfig configures a master.
type MasterConfig struct {
	// Bind is the host:port the embedded NATS server listens on, used
	// when NATS is "". An empty host or "*" means every interface.
	Bind string
	// Token, if set, is required from every client of the embedded server.
	Token string
	// NATS is the URL of an existing NATS deployment to use instead of
	// the embedded server; Options add credentials or TLS.
	NATS    string
	Options []nats.Option
	RunID   string
	Version string
	// Job is what every worker receives in its welcome: the bundled
	// script and its settings (the CLI's business).
	Job      []byte
	Classes  []engine.Class
	Registry *stats.Registry // where the workers' statistics go
	Log      Logger
	// Shared, when set, answers the workers' counter and queue calls
	// (subject "shared"): the script's store in the master's process.
	Shared shared.Store
	// OnSpawned is called when every worker reports its share running.
	OnSpawned func(counts map[string]int)
	// Interval and MissingAfter override the package defaults (tests).
	Interval, MissingAfter time.Duration
}

// LoadTimeout is how long a worker may take from its hello to its first
// report (loading the script) before the master forgets it.
const LoadTimeout = time.Minute

// WorkerInfo describes one worker, for the console and the web panel.
type WorkerInfo struct {
	ID      string  `json:"id"`
	Host    string  `json:"host"`
	PID     int     `json:"pid"`
	State   string  `json:"state"` // the worker's, or "missing"
	Users   int     `json:"user_count"`
	CPU     float64 `json:"cpu_usage"`
	Reports int64   `json:"reports"`
}

type workerState struct {
	hello
	joined   bool // it has reported once: its job is loaded
	missing  bool
	lastSeen time.Time
	lastRep  time.Time // its last report
	lastSeq  uint64
	assign   assignment
	epoch    uint64 // the assignment the worker last reported running
	state    string
	users    int
	counts   map[string]int
	done     bool
	cpu      float64
	reports  int64
}

// share is the number of users the worker was assigned.
func (w *workerState) share() int {
	n := 0
	for _, c := range w.assign.Counts {
		n += c
	}
	return n
}

// target is the load the whole swarm should run.
type target struct {
	active    bool
	users     int
	rate      float64
	names     []string
	byArrival bool // an arrival rate (StartArrival), not users
	arrival   float64
	initial   int
	maxVUs    int
	stopped   bool
	kill      bool
}

// Master coordinates workers. Its methods mirror the engine's, so that
// the CLI drives a cluster as it drives a local swarm.
type Master struct {
	cfg  MasterConfig
	ns   *server.Server
	nc   *nats.Conn
	subs []*nats.Subscription
	url  string

	mu        sync.Mutex
	reg       *stats.Registry
	workers   map[string]*workerState
	tgt       target
	setupData string
	epoch     uint64
	spawned   bool // OnSpawned was called for the current target
	done      chan struct{}
	doneOnce  bool
	lost      map[string]stats.LostWorker // workers lost during the current test, by id
	changed   chan struct{}               // closed and replaced on every worker update
	quit      chan struct{}
	closeOnce sync.Once
}

// StartMaster starts the embedded NATS server (unless cfg.NATS is set),
// connects, and starts listening for workers.
func StartMaster(cfg MasterConfig) (*Master, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = Interval
	}
	if cfg.MissingAfter <= 0 {
		cfg.MissingAfter = MissingAfter
	}
	m := &Master{cfg: cfg, reg: cfg.Registry, workers: map[string]*workerState{}, done: make(chan struct{}), changed: make(chan struct{}), quit: make(chan struct{})}
	opts := append([]nats.Option{nats.Name("jsload master"), nats.MaxReconnects(-1), nats.ReconnectWait(500 * time.Millisecond)}, cfg.Options...)
	if cfg.NATS == "" {
		host, port, err := net.SplitHostPort(cfg.Bind)
		if err != nil {
			return nil, fmt.Errorf("--master-bind-host/--master-bind-port %q: %v", cfg.Bind, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("--master-bind-port %q: not a port", port)
		}
		if host == "" || host == "*" {
			host = "0.0.0.0"
		}
		// Fail at once, not after the server's start timeout, when the
		// port is taken.
		if l, err := net.Listen("tcp", net.JoinHostPort(host, port)); err != nil {
			return nil, fmt.Errorf("the master cannot listen on %s: %v", net.JoinHostPort(host, port), err)
		} else {
			l.Close()
		}
		if p == 0 {
			p = -1 // any free port (NATS reads 0 as its default, 4222)
		}
		masterPass := randomHex(16)
		o := &server.Options{
			ServerName: "jsload-master",
			Host:       host,
			Port:       p,
			NoLog:      true,
			NoSigs:     true,
			MaxPayload: 64 << 20, // a bundled script with its source map
			// The master may do anything; a worker (anyone without the
			// master's password, with the token if there is one) may only
			// announce itself, report, and hear its assignments: it cannot
			// answer hellos, send assignments or tell workers to quit.
			Users: []*server.User{
				{Username: masterUser, Password: masterPass},
				{Username: WorkerUser, Password: cfg.Token, Permissions: workerPermissions(cfg.RunID)},
			},
		}
		if cfg.Token == "" {
			o.NoAuthUser = WorkerUser
		}
		ns, err := server.NewServer(o)
		if err != nil {
			return nil, fmt.Errorf("starting the master's NATS server: %v", err)
		}
		go ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			ns.Shutdown()
			return nil, fmt.Errorf("the master cannot listen on %s", net.JoinHostPort(host, port))
		}
		m.ns = ns
		m.url = ns.ClientURL()
		opts = append(opts, nats.InProcessServer(ns), nats.UserInfo(masterUser, masterPass))
	} else {
		m.url = cfg.NATS
	}
	nc, err := nats.Connect(m.url, opts...)
	if err != nil {
		m.shutdownServer()
		return nil, fmt.Errorf("connecting to NATS at %s: %v", redact(m.url), err)
	}
	m.nc = nc
	// The welcome carries the job in one message (base64 in JSON).
	if n := int64(len(cfg.Job))*4/3 + 1024; n > nc.MaxPayload() {
		m.Close()
		return nil, fmt.Errorf("the job for the workers (the bundled script and its data files, %.1f MB once encoded) is larger than NATS's largest message here (%.1f MB): use smaller data files, or raise max_payload on your NATS server", float64(n)/1e6, float64(nc.MaxPayload())/1e6)
	}
	for name, h := range map[string]nats.MsgHandler{"hello": m.onHello, "report": m.onReport, "problem": m.onProblem, "bye": m.onBye} {
		sub, err := nc.Subscribe(subject(cfg.RunID, name), h)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("subscribing on NATS: %v", err)
		}
		m.subs = append(m.subs, sub)
	}
	if cfg.Shared != nil {
		sub, err := nc.Subscribe(subject(cfg.RunID, "shared"), func(msg *nats.Msg) {
			_ = msg.Respond(shared.Serve(context.Background(), cfg.Shared, msg.Data))
		})
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("subscribing on NATS: %v", err)
		}
		m.subs = append(m.subs, sub)
	}
	if err := nc.Flush(); err != nil {
		m.Close()
		return nil, fmt.Errorf("NATS at %s: %v", redact(m.url), err)
	}
	go m.monitor()
	return m, nil
}

// The embedded server's users.
const (
	masterUser = "jsload-master"
	// WorkerUser is the user workers connect as; its password is the
	// cluster token.
	WorkerUser = "jsload-worker"
)

func workerPermissions(run string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			subject(run, "hello"), subject(run, "report"), subject(run, "problem"), subject(run, "bye"), subject(run, "shared")}},
		Subscribe: &server.SubjectPermission{Allow: []string{subject(run, "w.*"), subject(run, "all"), "_INBOX.>"}},
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Addr is the address workers connect to (the embedded server's), or the
// NATS URL.
func (m *Master) Addr() string {
	if m.ns != nil {
		if a, ok := m.ns.Addr().(*net.TCPAddr); ok {
			return a.String()
		}
	}
	return redact(m.url)
}

func (m *Master) shutdownServer() {
	if m.ns != nil {
		m.ns.Shutdown()
		m.ns.WaitForShutdown()
	}
}

// redact hides a password in a URL for messages.
func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return u
}

func (m *Master) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

func (m *Master) onHello(msg *nats.Msg) {
	var h hello
	if err := json.Unmarshal(msg.Data, &h); err != nil || h.Worker == "" {
		m.respond(msg, welcome{Refused: "unreadable hello: " + errText(err)})
		return
	}
	if h.Protocol != Protocol || h.Version != m.cfg.Version {
		why := fmt.Sprintf("this master runs jsload %s (protocol %d), the worker jsload %s (protocol %d): run the same jsload version on every machine", m.cfg.Version, Protocol, h.Version, h.Protocol)
		m.cfg.Log.Warnf("refused worker %s on %s: %s", h.Worker, h.Host, why)
		m.respond(msg, welcome{Refused: why})
		return
	}
	m.mu.Lock()
	w := m.workers[h.Worker]
	if w == nil {
		w = &workerState{hello: h, state: "loading"}
		m.workers[h.Worker] = w
	} else if w.missing {
		w.missing = false
		delete(m.lost, h.Worker)
		m.cfg.Log.Infof("worker %s is back", h.Worker)
	}
	w.lastSeen = time.Now()
	m.rebalanceLocked()
	m.notifyLocked()
	m.mu.Unlock()
	m.respond(msg, welcome{Job: m.cfg.Job})
}

func errText(err error) string {
	if err == nil {
		return "no worker id"
	}
	return err.Error()
}

func (m *Master) respond(msg *nats.Msg, v any) {
	b, _ := json.Marshal(v)
	_ = msg.Respond(b)
}

func (m *Master) onReport(msg *nats.Msg) {
	r, err := decodeReport(msg.Data)
	if err != nil {
		m.cfg.Log.Warnf("an unreadable report on NATS: %v", err)
		return
	}
	m.mu.Lock()
	w := m.workers[r.Worker]
	if w == nil {
		m.mu.Unlock()
		m.respond(msg, reply{Unknown: true})
		return
	}
	if r.Seq > w.lastSeq {
		w.lastSeq = r.Seq
		// Statistics before any test of this master are an earlier
		// master's (it restarted): they are left out.
		if len(r.Stats) > 0 && m.tgt.active {
			if err := m.reg.AbsorbWire(r.Stats); err != nil {
				m.cfg.Log.Errorf("worker %s sent statistics this master cannot read (%v); they are left out", r.Worker, err)
			}
		}
	}
	w.lastSeen = time.Now()
	w.lastRep = w.lastSeen
	w.state, w.users, w.counts, w.done, w.cpu, w.epoch = r.State, r.Users, r.Counts, r.Done, r.CPU, r.Epoch
	w.reports++
	if w.missing {
		w.missing = false
		delete(m.lost, r.Worker) // it resends what it measured meanwhile
		if w.joined {
			m.cfg.Log.Infof("worker %s is back: it gets a share of the users again", r.Worker)
			m.rebalanceLocked()
		}
	}
	if !w.joined {
		w.joined = true
		m.cfg.Log.Infof("worker %s on %s (pid %d, %d cores) is ready: %d worker(s)", w.Worker, w.Host, w.PID, w.Cores, m.healthyLocked())
		m.rebalanceLocked()
	}
	var rp reply
	if w.epoch != w.assign.Epoch {
		a := w.assign // the worker has not applied it yet
		rp.Assign = &a
	}
	m.checkLocked()
	if m.spawned && w.epoch == w.assign.Epoch {
		rp.Spawned = true
		for _, n := range m.totalsLocked() {
			rp.SpawnedUsers += n
		}
	}
	m.notifyLocked()
	m.mu.Unlock()
	m.respond(msg, rp)
}

func (m *Master) onProblem(msg *nats.Msg) {
	var p problem
	if json.Unmarshal(msg.Data, &p) != nil {
		return
	}
	m.cfg.Log.Errorf("worker %s cannot run the test: %s", p.Worker, p.Error)
	m.mu.Lock()
	if w := m.workers[p.Worker]; w != nil {
		delete(m.workers, p.Worker)
		m.rebalanceLocked()
		m.notifyLocked()
	}
	m.mu.Unlock()
}

// onBye forgets a worker that is leaving (stopped on its own machine).
func (m *Master) onBye(msg *nats.Msg) {
	var p problem
	if json.Unmarshal(msg.Data, &p) != nil {
		return
	}
	m.mu.Lock()
	if w := m.workers[p.Worker]; w != nil {
		delete(m.workers, p.Worker)
		what := ""
		if n := w.share(); n > 0 && m.tgt.active && !m.tgt.stopped {
			what = fmt.Sprintf(": its %d users go to the other workers", n)
		}
		m.cfg.Log.Infof("worker %s left%s", p.Worker, what)
		m.loseLocked(w, "left")
		m.rebalanceLocked()
		m.checkLocked()
		m.notifyLocked()
	}
	m.mu.Unlock()
}

// monitor marks workers that stopped reporting as missing.
func (m *Master) monitor() {
	t := time.NewTicker(m.cfg.Interval / 2)
	defer t.Stop()
	for {
		select {
		case <-m.quit:
			return
		case now := <-t.C:
			m.mu.Lock()
			lost := false
			for _, w := range m.sortedLocked() {
				if !w.joined {
					if now.Sub(w.lastSeen) > LoadTimeout {
						m.cfg.Log.Warnf("worker %s on %s connected but did not load the script within %v: forgetting it", w.Worker, w.Host, LoadTimeout)
						delete(m.workers, w.Worker)
					}
					continue
				}
				if !w.missing && now.Sub(w.lastSeen) > m.cfg.MissingAfter {
					w.missing = true
					lost = true
					what := "it had no users"
					if n := w.share(); n > 0 && m.tgt.active && !m.tgt.stopped {
						what = fmt.Sprintf("its %d users go to the other workers", n)
					}
					m.cfg.Log.Warnf("worker %s on %s is missing (no report for %v): %s", w.Worker, w.Host, m.cfg.MissingAfter, what)
					m.loseLocked(w, "missing")
				}
			}
			if lost {
				m.rebalanceLocked()
				m.checkLocked()
				m.notifyLocked()
			}
			m.mu.Unlock()
		}
	}
}

func (m *Master) sortedLocked() []*workerState {
	ws := make([]*workerState, 0, len(m.workers))
	for _, w := range m.workers {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Worker < ws[j].Worker })
	return ws
}

// healthy lists the workers that report, by id.
func (m *Master) healthy() []*workerState {
	var out []*workerState
	for _, w := range m.sortedLocked() {
		if w.joined && !w.missing {
			out = append(out, w)
		}
	}
	return out
}

func (m *Master) healthyLocked() int {
	n := 0
	for _, w := range m.workers {
		if w.joined && !w.missing {
			n++
		}
	}
	return n
}

// totalsLocked is the number of users of each class the target asks for.
func (m *Master) totalsLocked() []int {
	classes := m.cfg.Classes
	if len(m.tgt.names) > 0 {
		classes = slices.Clone(classes)
		for i := range classes {
			if !slices.Contains(m.tgt.names, classes[i].Name) {
				classes[i].Weight, classes[i].FixedCount = 0, 0
			}
		}
	}
	return engine.Distribute(classes, m.tgt.users)
}

// rebalanceLocked gives every healthy worker its share of the target and
// sends the assignments that changed.
func (m *Master) rebalanceLocked() {
	ws := m.healthy()
	k := len(ws)
	if k == 0 {
		return
	}
	shares := make([]assignment, k)
	switch {
	case !m.tgt.active:
		for j := range shares {
			shares[j] = assignment{Idle: true}
		}
	case m.tgt.stopped:
		for j := range shares {
			shares[j] = assignment{Stop: true, Kill: m.tgt.kill}
		}
	case m.tgt.byArrival:
		for j := range shares {
			shares[j] = assignment{ByArrival: true, Arrival: m.tgt.arrival / float64(k), Initial: split(m.tgt.initial, k, j, 0), MaxVUs: int(math.Ceil(float64(m.tgt.maxVUs) / float64(k))), SetupData: m.setupData}
		}
	default:
		rate := m.tgt.rate
		if rate > 0 && !math.IsInf(rate, 1) {
			rate /= float64(k)
		}
		for j := range shares {
			shares[j] = assignment{Counts: make([]int, len(m.cfg.Classes)), Rate: rate, SetupData: m.setupData}
		}
		// Remainders rotate over the workers from class to class, so that
		// no worker gets every class's extra user.
		offset := 0
		for i, total := range m.totalsLocked() {
			for j := range shares {
				shares[j].Counts[i] = split(total, k, j, offset)
			}
			offset = (offset + total%k) % k
		}
	}
	for j, w := range ws {
		a := shares[j]
		a.Index, a.Workers = j, k
		if w.assign.Epoch > 0 && sameAssignment(a, w.assign) {
			continue
		}
		m.epoch++
		a.Epoch = m.epoch
		w.assign = a
		b, _ := json.Marshal(a)
		_ = m.nc.Publish(subject(m.cfg.RunID, "w."+w.Worker), b)
		m.spawned = false // the swarm changes: spawned again once it has
	}
}

// split is worker j's part of n over k workers, the remainder going to
// the workers from offset on.
func split(n, k, j, offset int) int {
	c := n / k
	if (j-offset+k)%k < n%k {
		c++
	}
	return c
}

func sameAssignment(a, b assignment) bool {
	return a.Rate == b.Rate && a.ByArrival == b.ByArrival && a.Arrival == b.Arrival && a.Initial == b.Initial && a.MaxVUs == b.MaxVUs &&
		a.SetupData == b.SetupData && a.Stop == b.Stop && a.Kill == b.Kill && a.Idle == b.Idle && slices.Equal(a.Counts, b.Counts) &&
		a.Index == b.Index && a.Workers == b.Workers
}

// checkLocked calls OnSpawned once the swarm runs the target, and closes
// Done when every user everywhere has stopped by itself.
func (m *Master) checkLocked() {
	if !m.tgt.active || m.tgt.stopped || m.doneOnce && (m.spawned || m.tgt.byArrival) {
		return
	}
	n, applied, done := 0, true, true
	for _, w := range m.workers {
		if !w.joined || w.missing {
			continue
		}
		n++
		if w.epoch != w.assign.Epoch {
			applied = false
		}
		if !w.done {
			done = false
		}
	}
	if n == 0 || !applied {
		return
	}
	if done && !m.doneOnce {
		m.doneOnce = true
		close(m.done)
	}
	if !m.spawned && !m.tgt.byArrival {
		got := map[string]int{}
		for _, w := range m.workers {
			if !w.joined || w.missing {
				continue
			}
			if w.state != "running" {
				return
			}
			for k, v := range w.counts {
				got[k] += v
			}
		}
		totals := m.totalsLocked()
		for i, c := range m.cfg.Classes {
			if got[c.Name] != totals[i] {
				return
			}
		}
		m.spawned = true
		m.announceSpawnedLocked()
		ws := m.healthy()
		per := make([]string, len(ws))
		for j, w := range ws {
			per[j] = fmt.Sprintf("%s %d", w.Worker, w.users)
		}
		m.cfg.Log.Infof("Users per worker: %s", strings.Join(per, ", "))
		if m.cfg.OnSpawned != nil {
			go m.cfg.OnSpawned(got) // not under m.mu: it may call back
		}
	}
}

// announceSpawnedLocked tells the workers at once that the swarm is
// spawned (report replies say it too, for a worker that missed it).
func (m *Master) announceSpawnedLocked() {
	b := broadcast{Spawned: map[string]uint64{}}
	for _, n := range m.totalsLocked() {
		b.SpawnedUsers += n
	}
	for _, w := range m.healthy() {
		b.Spawned[w.Worker] = w.assign.Epoch
	}
	data, _ := json.Marshal(b)
	_ = m.nc.Publish(subject(m.cfg.RunID, "all"), data)
}

// setTarget changes the target under the lock.
func (m *Master) setTarget(change func(t *target)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tgt
	change(&t)
	if t.active && (!m.tgt.active || m.tgt.stopped) && !t.stopped {
		m.lost = nil // a new test: no worker lost in it yet
	}
	if m.tgt.stopped && t.active && !t.stopped {
		// A new test after a stop (the web panel): a fresh Done.
		if m.doneOnce {
			m.done = make(chan struct{})
			m.doneOnce = false
		}
	}
	m.tgt = t
	m.rebalanceLocked()
	m.notifyLocked()
}

// Use sends the workers' statistics to reg from now on (a new test in the
// web panel).
func (m *Master) Use(reg *stats.Registry) {
	m.mu.Lock()
	m.reg = reg
	m.mu.Unlock()
}

// Registry is where the workers' statistics go.
func (m *Master) Registry() *stats.Registry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reg
}

// SetSetupData is what setup() returned, passed to every user.
func (m *Master) SetSetupData(s string) {
	m.mu.Lock()
	m.setupData = s
	m.mu.Unlock()
}

// Start sets the swarm's target: users over all classes at rate per second
// in total.
func (m *Master) Start(users int, rate float64) { m.StartClasses(users, rate, nil) }

// StartClasses is Start with the users spread over the named classes only.
func (m *Master) StartClasses(users int, rate float64, names []string) {
	m.setTarget(func(t *target) { *t = target{active: true, users: users, rate: rate, names: names} })
}

// StartArrival starts an open-model test: the rate and the pool are split
// over the workers.
func (m *Master) StartArrival(rate float64, initial, maxVUs int) {
	m.setTarget(func(t *target) {
		*t = target{active: true, byArrival: true, arrival: rate, initial: initial, maxVUs: maxVUs}
	})
}

// SetRate changes an open-model test's rate.
func (m *Master) SetRate(rate float64) {
	m.setTarget(func(t *target) {
		if t.byArrival && !t.stopped {
			t.arrival = rate
		}
	})
}

// Users is the number of users the healthy workers run.
func (m *Master) Users() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, w := range m.workers {
		if w.joined && !w.missing {
			n += w.users
		}
	}
	return n
}

// UserCounts is the number of running users per class, over the workers.
func (m *Master) UserCounts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	got := map[string]int{}
	for _, c := range m.cfg.Classes {
		got[c.Name] = 0
	}
	for _, w := range m.healthy() {
		for k, v := range w.counts {
			got[k] += v
		}
	}
	return got
}

// State is the swarm's state: Ready before the first start, Stopping until
// every worker has stopped after a stop.
func (m *Master) State() engine.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case !m.tgt.active:
		return engine.Ready
	case m.tgt.stopped:
		for _, w := range m.healthy() {
			if w.state != engine.Stopped.String() && w.state != engine.Ready.String() {
				return engine.Stopping
			}
		}
		return engine.Stopped
	case m.spawned || m.tgt.byArrival:
		return engine.Running
	}
	return engine.Spawning
}

// Done is closed when every worker's users have stopped by themselves.
func (m *Master) Done() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.done
}

// IterationsStarted is not counted in a cluster (the CLI refuses -i).
func (m *Master) IterationsStarted() int64 { return 0 }

// Workers describes every worker known, healthy or missing, by id.
func (m *Master) Workers() []WorkerInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []WorkerInfo
	for _, w := range m.sortedLocked() {
		st := w.state
		if w.missing {
			st = "missing"
		}
		out = append(out, WorkerInfo{ID: w.Worker, Host: w.Host, PID: w.PID, State: st, Users: w.users, CPU: w.cpu, Reports: w.reports})
	}
	return out
}

// loseLocked notes that w was lost (why: "missing" or "left") when a test
// is running: its statistics count up to its last report.
func (m *Master) loseLocked(w *workerState, why string) {
	if !m.tgt.active || m.tgt.stopped || !w.joined {
		return
	}
	if m.lost == nil {
		m.lost = map[string]stats.LostWorker{}
	}
	m.lost[w.Worker] = stats.LostWorker{ID: w.Worker, Host: w.Host, Users: w.users, LastReport: w.lastRep, Why: why}
}

// LostWorkers are the workers lost during the current (or last) test that
// did not come back, by id: those that went missing and those that left.
func (m *Master) LostWorkers() []stats.LostWorker {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]stats.LostWorker, 0, len(m.lost))
	for _, l := range m.lost {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Healthy is the number of workers reporting.
func (m *Master) Healthy() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.healthyLocked()
}

// WaitWorkers waits until n workers are connected, calling progress every
// second with how many are; maxWait > 0 bounds the wait.
func (m *Master) WaitWorkers(ctx context.Context, n int, maxWait time.Duration, progress func(have int, left time.Duration)) error {
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		m.mu.Lock()
		have, ch := m.healthyLocked(), m.changed
		m.mu.Unlock()
		if have >= n {
			return nil
		}
		left := time.Duration(0)
		if maxWait > 0 {
			left = maxWait - time.Since(start)
			if left <= 0 {
				return fmt.Errorf("only %d of %d workers connected within %v", have, n, maxWait)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-tick.C:
			progress(have, left)
		}
	}
}

// Stop stops every worker's users gracefully (each worker applies the stop
// timeout it was given) and returns once every healthy worker has stopped
// and sent its last statistics. Canceling ctx makes the workers interrupt
// their users at once; Stop then waits at most a few more seconds.
func (m *Master) Stop(ctx context.Context) {
	m.mu.Lock()
	running := m.tgt.active && !m.tgt.stopped
	m.mu.Unlock()
	if !running {
		return
	}
	m.setTarget(func(t *target) { t.stopped = true })
	killed := ctx.Done()
	var deadline <-chan time.Time
	for {
		m.mu.Lock()
		all := true
		for _, w := range m.healthy() {
			if w.epoch != w.assign.Epoch || (w.state != "stopped" && w.state != "ready") {
				all = false
			}
		}
		ch := m.changed
		m.mu.Unlock()
		if all {
			return
		}
		select {
		case <-ch:
		case <-killed:
			killed = nil
			m.setTarget(func(t *target) { t.kill = true })
			deadline = time.After(m.cfg.MissingAfter)
		case <-deadline:
			m.cfg.Log.Warnf("some workers did not confirm the stop: their last statistics may be missing")
			return
		}
	}
}

// Close tells every worker to quit and shuts the connection and the
// embedded server down.
func (m *Master) Close() {
	m.closeOnce.Do(func() {
		close(m.quit)
		if m.nc != nil {
			b, _ := json.Marshal(broadcast{Quit: true})
			_ = m.nc.Publish(subject(m.cfg.RunID, "all"), b)
			_ = m.nc.FlushTimeout(time.Second)
			if m.ns != nil {
				// Still listening: the workers send what they have not
				// sent yet, then leave; the master's own connection
				// remains.
				deadline := time.Now().Add(3 * time.Second)
				for m.ns.NumClients() > 1 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
			}
			for _, s := range m.subs {
				_ = s.Unsubscribe()
			}
			m.nc.Close()
		}
		m.shutdownServer()
	})
}
