package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/cluster"
	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/js"
)

// swarm is what runs the users: the local engine, or a cluster's master.
type swarm interface {
	Start(users int, rate float64)
	StartClasses(users int, rate float64, names []string)
	StartArrival(rate float64, initial, maxVUs int)
	SetRate(rate float64)
	Users() int
	State() engine.State
	Done() <-chan struct{}
	Stop(ctx context.Context)
	IterationsStarted() int64
}

var (
	_ swarm = (*engine.Engine)(nil)
	_ swarm = (*cluster.Master)(nil)
)

// clusterJob is what a master sends its workers: the bundled script and
// the run's settings.
type clusterJob struct {
	Bundle js.Bundle  `json:"bundle"`
	Config config.Run `json:"config"`
}

// natsOptions are the NATS client options the flags ask for: credentials
// and TLS for --nats, and a worker's token for the master's embedded server.
func natsOptions(c *config.Cluster) []nats.Option {
	var opts []nats.Option
	if c.NATSCreds != "" {
		opts = append(opts, nats.UserCredentials(c.NATSCreds))
	}
	if c.NATSCA != "" {
		opts = append(opts, nats.RootCAs(c.NATSCA))
	}
	if c.Token != "" && c.NATS == "" && c.Worker {
		opts = append(opts, nats.UserInfo(cluster.WorkerUser, c.Token))
	}
	return opts
}

// masterOf is a running master with the local worker processes it started.
type masterOf struct {
	*cluster.Master
	procs *processes
	run   atomic.Pointer[js.Run] // the current test's description
}

// close tells the workers to quit and waits for local ones to exit.
func (m *masterOf) close() {
	m.Master.Close()
	m.procs.wait(5 * time.Second)
}

// startMaster starts a cluster's master for script and, with --processes,
// its local workers.
func startMaster(st *State, cfg *config.Run, script *js.Script, reg *stats.Registry, log *logger) (*masterOf, error) {
	c := &cfg.Cluster
	bundle := script.Bundle()
	files, err := script.DataFiles()
	if err != nil {
		return nil, err
	}
	bundle.Files = files
	job, err := json.Marshal(clusterJob{Bundle: bundle, Config: *cfg})
	if err != nil {
		return nil, fmt.Errorf("preparing the job for the workers: %v", err)
	}
	if len(bundle.Files) > 0 {
		job = gzipped(job) // data files (CSV, JSON) shrink several times
	}
	classes := make([]engine.Class, len(script.Classes))
	for i, k := range script.Classes {
		classes[i] = engine.Class{Name: k.Name, Weight: k.Weight, FixedCount: k.FixedCount}
	}
	host := c.MasterBindHost
	if host == "*" {
		host = ""
	}
	var m *cluster.Master
	current := func() *stats.Registry { return m.Registry() }
	mo := &masterOf{procs: &processes{}}
	currentRun := func() *js.Run { return mo.run.Load() }
	m, err = cluster.StartMaster(cluster.MasterConfig{
		Bind: net.JoinHostPort(host, strconv.Itoa(c.MasterBindPort)), Token: c.Token,
		NATS: c.NATS, Options: natsOptions(c), RunID: c.RunID, Version: Version, Job: job,
		Classes: classes, Registry: reg, Log: log, OnSpawned: spawnedHook(cfg, current, currentRun, log),
		Shared: script.SharedStore(),
	})
	if err != nil {
		return nil, err
	}
	if c.NATS == "" {
		where := m.Addr()
		if c.MasterBindHost == "" || c.MasterBindHost == "*" {
			_, port, _ := net.SplitHostPort(where)
			where = "port " + port + " of every interface"
		}
		log.Infof("Master listening for workers on %s (run id %q)", where, c.RunID)
		if c.Token == "" && !isLoopback(c.MasterBindHost) {
			log.Warnf("the master listens on %s without --cluster-token: anyone who can reach it can read the script and send statistics", orAll(c.MasterBindHost))
		}
	} else {
		log.Infof("Master using NATS at %s (run id %q)", m.Addr(), c.RunID)
	}
	mo.Master = m
	if c.Processes != 0 {
		if err := mo.procs.start(st, cfg, m, log); err != nil {
			mo.close()
			return nil, err
		}
	}
	return mo, nil
}

func orAll(h string) string {
	if h == "" || h == "*" {
		return "every interface"
	}
	return h
}

// startAndWait starts a headless run's master and waits for its workers.
// When it cannot, it returns a nil master and the exit code, having said
// why.
func startAndWait(st *State, cfg *config.Run, script *js.Script, reg *stats.Registry, sig *signals, log *logger) (*masterOf, int) {
	m, err := startMaster(st, cfg, script, reg, log)
	if err != nil {
		log.Errorf("%v", err)
		return nil, ExitInvalid
	}
	if err := waitWorkers(sig.stopCtx, m, &cfg.Cluster, log); err != nil {
		m.close()
		if sig.stopCtx.Err() != nil {
			log.Infof("stopped while waiting for workers: no test ran")
			return nil, sig.exitCode()
		}
		log.Errorf("%v", err)
		return nil, max(cfg.ExitCodeOnError, 1)
	}
	return m, ExitOK
}

// waitWorkers waits for --expect-workers, saying how many are there.
func waitWorkers(ctx context.Context, m *masterOf, c *config.Cluster, log *logger) error {
	if m.Healthy() >= c.ExpectWorkers {
		return nil
	}
	limit := "forever"
	if c.MaxWait > 0 {
		limit = "up to " + c.MaxWait.String()
	}
	log.Infof("Waiting for %d worker(s) to connect (%s)", c.ExpectWorkers, limit)
	last := -1
	err := m.WaitWorkers(ctx, c.ExpectWorkers, c.MaxWait, func(have int, left time.Duration) {
		secs := int((left + time.Second - 1) / time.Second)
		if have != last || secs%10 == 0 || (secs <= 5 && secs > 0) {
			last = have
			if c.MaxWait > 0 {
				log.Infof("%d of %d workers connected; giving up in %ds", have, c.ExpectWorkers, secs)
			} else {
				log.Infof("%d of %d workers connected", have, c.ExpectWorkers)
			}
		}
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("%v (--expect-workers %d, --expect-workers-max-wait %v): is `jsload run --worker --master-host HOST` running?", err, c.ExpectWorkers, c.MaxWait)
	}
	return err
}

// processes are the local workers a master started (--processes).
type processes struct {
	mu    sync.Mutex
	cmds  []*exec.Cmd
	exits []chan struct{}
}

func (p *processes) start(st *State, cfg *config.Run, m *cluster.Master, log *logger) error {
	c := &cfg.Cluster
	n := c.Processes
	if n < 0 {
		n = runtime.NumCPU()
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("--processes: cannot find jsload's own executable: %v", err)
	}
	args := []string{"run", "--worker", "--run-id", c.RunID, "--loglevel", cfg.LogLevel}
	if c.NATS != "" {
		args = append(args, "--nats", c.NATS)
		if c.NATSCreds != "" {
			args = append(args, "--nats-creds", c.NATSCreds)
		}
		if c.NATSCA != "" {
			args = append(args, "--nats-ca", c.NATSCA)
		}
	} else {
		_, port, _ := net.SplitHostPort(m.Addr())
		args = append(args, "--master-host", "127.0.0.1", "--master-port", port)
	}
	env := append(os.Environ(), fmt.Sprintf("%s=%d", parentPIDEnv, os.Getpid()))
	if c.Token != "" {
		env = append(env, "JSLOAD_CLUSTER_TOKEN="+c.Token)
	}
	log.Infof("Starting %d local worker process(es)", n)
	for i := 0; i < n; i++ {
		cmd := exec.Command(exe, args...)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = st.Stderr, st.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("--processes: starting a worker: %v", err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		p.mu.Lock()
		p.cmds = append(p.cmds, cmd)
		p.exits = append(p.exits, done)
		p.mu.Unlock()
	}
	return nil
}

// wait waits for the local workers to exit (they quit when the master
// closes), killing those still there after d.
func (p *processes) wait(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	deadline := time.After(d)
	for i, done := range p.exits {
		select {
		case <-done:
		case <-deadline:
			_ = p.cmds[i].Process.Kill()
			<-done
		}
	}
}

// parentPIDEnv tells a worker started by --processes its master's pid.
const parentPIDEnv = "JSLOAD_PARENT_PID"

// watchParent stops a worker whose master process (pid) has gone, even by
// SIGKILL: the worker is then re-parented.
func watchParent(ctx context.Context, pid int, log *logger, stop func()) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != pid {
				log.Warnf("the master process (pid %d) is gone: quitting", pid)
				stop()
				return
			}
		}
	}
}

// workerFlags are the flags a worker takes; the rest come from the master.
var workerFlags = map[string]bool{"worker": true, "master-host": true, "master-port": true, "nats": true, "nats-creds": true,
	"nats-ca": true, "cluster-token": true, "run-id": true, "loglevel": true, "help": true}

// workerConfig checks a worker's flags (the master sets the rest) and
// fills cfg from them and the environment.
func workerConfig(cmd *cobra.Command, st *State, cfg *config.Run) error {
	var bad error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if (f.Name == "master" || f.Name == "processes") && bad == nil {
			bad = usageError{fmt.Errorf("--%s and --worker exclude each other: a process is a master or a worker", f.Name)}
		}
		if !workerFlags[f.Name] && bad == nil {
			bad = usageError{fmt.Errorf("--%s is the master's to set: a worker takes only --master-host, --master-port, --nats, --nats-creds, --nats-ca, --cluster-token, --run-id and --loglevel", f.Name)}
		}
	})
	if bad != nil {
		return bad
	}
	if err := noParams(cmd.Flags(), st); err != nil {
		return err
	}
	file, err := readConfigFile(cmd.Flags(), st.Getenv)
	if err != nil {
		return usageError{err}
	}
	if err := applySources(cmd.Flags(), st.Getenv, workerKeys(file), nil); err != nil {
		return usageError{err}
	}
	if err := cluster.CheckRunID(cfg.Cluster.RunID); err != nil {
		return usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

// runWorker runs `jsload run --worker [SCRIPT]`.
func runWorker(cmd *cobra.Command, st *State, args []string, cfg *config.Run) error {
	if err := workerConfig(cmd, st, cfg); err != nil {
		return err
	}
	c := &cfg.Cluster
	sig := watchSignals(st)
	defer sig.close()
	log := newLogger(st.Stderr, cfg.LogLevel)
	sig.use(log, 0)
	var own *js.Bundle
	if len(args) == 1 {
		s, err := loadScript(sig.stopCtx, cmd.Flags(), st, args[0])
		if err != nil {
			return err
		}
		b := s.Bundle()
		own = &b
	}
	url := c.NATS
	if url == "" {
		url = "nats://" + net.JoinHostPort(c.MasterHost, strconv.Itoa(c.MasterPort))
	}
	var jobErr error
	var panicked atomic.Bool // a user of any job this worker ran panicked
	var w *cluster.Worker
	w = cluster.NewWorker(cluster.WorkerConfig{
		URL: url, Options: natsOptions(c), RunID: c.RunID, Version: Version, Log: log,
		Prepare: func(ctx context.Context, b []byte) (cluster.Job, error) {
			j, err := prepareJob(ctx, st, b, own, log, &panicked)
			if err == nil {
				j.env.Shared = w.Shared() // counters and queues are the master's
			}
			jobErr = err
			if err == nil {
				sig.use(log, j.cfg.StopTimeout) // what a Ctrl-C here will wait for
			}
			return j, err
		},
	})
	log.set(levelIndex(cfg.LogLevel), "worker "+w.ID()+": ")
	log.Infof("connecting to the master at %s", url)
	ctx := sig.stopCtx
	if pid, err := strconv.Atoi(st.Getenv(parentPIDEnv)); err == nil && pid > 1 {
		// Started by a master's --processes: quit if the master dies.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go watchParent(ctx, pid, log, cancel)
	}
	err := w.Run(ctx, sig.killCtx)
	switch {
	case err == nil:
		if panicked.Load() {
			return exitError{ExitInternal}
		}
		return nil
	case errors.Is(err, context.Canceled):
		log.Infof("stopped before a master answered")
		return exitError{ExitOnError}
	case jobErr != nil:
		fmt.Fprintln(st.Stderr, jobErr.Error())
		return exitError{ExitInvalid}
	case errors.Is(err, cluster.ErrRefused):
		log.Errorf("%v", err)
		return exitError{ExitInvalid}
	}
	log.Errorf("%v", err)
	return exitError{ExitOnError}
}

// workerJob is a worker's side of the master's job.
type workerJob struct {
	st       *State
	cfg      config.Run
	script   *js.Script
	reg      *stats.Registry
	env      *js.Env
	log      *logger
	panicked *atomic.Bool
	life     *js.Lifecycle // the process runtime during a test that has one

	satMu   sync.Mutex
	satStop func() // stops the saturation watch of the test running (saturation.go)
}

func prepareJob(ctx context.Context, st *State, b []byte, own *js.Bundle, log *logger, panicked *atomic.Bool) (*workerJob, error) {
	var j clusterJob
	if bytes.HasPrefix(b, gzipMagic) {
		var err error
		if b, err = gunzip(b); err != nil {
			return nil, fmt.Errorf("reading the master's job: %v", err)
		}
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("reading the master's job: %v", err)
	}
	if own != nil && !js.SameSources(*own, j.Bundle) {
		return nil, fmt.Errorf("the script given to this worker (%s) differs from the master's (%s): give both the same files, or none to the worker", own.Path, j.Bundle.Path)
	}
	cfg := j.Config
	cfg.Cluster.Worker, cfg.Cluster.Master, cfg.Cluster.Processes = true, false, 0
	cfg.ResetStats = false // the master resets its statistics
	cfg.Iterations = 0
	// The TLS files are the master's: their contents came in the PEM fields.
	cfg.TLS.Cert, cfg.TLS.Key, cfg.TLS.CA = "", "", ""
	script, err := js.LoadBundle(ctx, j.Bundle, js.LoadOptions{Host: cfg.Host, Vars: scriptVars(cfg.Vars), HTTP: httpc.Options{UserAgent: userAgent(), TLS: httpc.TLSOptions{InsecureSkipVerify: cfg.InsecureSkipVerify}}})
	if err != nil {
		return nil, err
	}
	if err := script.FilterTags(cfg.Tags, cfg.ExcludeTags); err != nil {
		return nil, err
	}
	log.Infof("running %s from the master, host %s", j.Bundle.Path, orNone(cfg.Host))
	reg := stats.NewRegistry(4 * runtime.GOMAXPROCS(0))
	limitNames(reg, &cfg)
	// The sub-metrics the master's thresholds judge, found in the same
	// script and options as the master finds them, are recorded here.
	wants, err := k6WorkerWants(script)
	if err != nil {
		return nil, fmt.Errorf("the master's thresholds: %v", err)
	}
	reg.Want(wants)
	env, _ := newEnv(st, &cfg, reg, log, cfg.Host)
	if env.Params, err = script.ParamValues(cfg.Params); err != nil {
		return nil, fmt.Errorf("the master's parameters: %v", err)
	}
	env.Run.Parameters = env.Params
	return &workerJob{st: st, cfg: cfg, script: script, reg: reg, env: env, log: log, panicked: panicked}, nil
}

func (j *workerJob) Registry() *stats.Registry { return j.reg }

// Close fires the script's quitting listeners: the worker leaves it.
func (j *workerJob) Close() {
	j.EndTest()
	quitScript(j.script, j.cfg.StopTimeout)
}

func (j *workerJob) Begin(setupData string) (cluster.Swarm, error) {
	j.env.SetupData = setupData
	return j.beginWorkerTest()
}

// gzipMagic starts a gzipped job; a JSON job cannot start so.
var gzipMagic = []byte{0x1f, 0x8b}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
