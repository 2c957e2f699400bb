package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/cluster"
	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/js"
)

// logger writes timestamped lines to stderr, filtered by level.
type logger struct {
	mu     sync.Mutex
	w      io.Writer
	level  int
	status string // the live status line shown, if any
	prefix string // before every message ("worker: ")
}

func levelIndex(l string) int {
	for i, x := range config.LogLevels {
		if strings.EqualFold(x, l) {
			return i
		}
	}
	return 1
}

func (l *logger) log(level string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	tag := strings.ToUpper(level)
	switch level {
	case "warning":
		tag = color.YellowString(tag)
	case "error", "critical":
		tag = color.RedString(tag)
	}
	l.mu.Lock()
	if levelIndex(level) < l.level {
		l.mu.Unlock()
		return
	}
	msg = l.prefix + msg
	if l.status != "" {
		io.WriteString(l.w, "\r\033[K") // the live status line gives way
	}
	fmt.Fprintf(l.w, "[%s] %s: %s\n", time.Now().Format("2006-01-02 15:04:05"), tag, msg)
	if l.status != "" {
		io.WriteString(l.w, l.status)
	}
	l.mu.Unlock()
}

// set changes the level and the prefix of a logger already in use.
func (l *logger) set(level int, prefix string) {
	l.mu.Lock()
	l.level, l.prefix = level, prefix
	l.mu.Unlock()
}

// setStatus shows s as the live status line (on a terminal): one line that
// each update overwrites; "" clears it.
func (l *logger) setStatus(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status == "" && s == "" {
		return
	}
	io.WriteString(l.w, "\r\033[K"+s)
	l.status = s
}

func (l *logger) Infof(f string, a ...any)  { l.log("info", f, a...) }
func (l *logger) Warnf(f string, a ...any)  { l.log("warning", f, a...) }
func (l *logger) Errorf(f string, a ...any) { l.log("error", f, a...) }
func (l *logger) Debugf(f string, a ...any) { l.log("debug", f, a...) }

// lockedWriter shares the logger's lock so that trace lines and log lines
// do not interleave.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// vuFactory adapts the script's VUs to the engine.
type vuFactory struct {
	script *js.Script
	env    *js.Env
}

func (f *vuFactory) NewVU(ctx context.Context, id, class int) (engine.VU, error) {
	vu, err := f.script.NewVU(ctx, f.env, id, class)
	if err != nil {
		return nil, err
	}
	return vu, nil
}

func newRunCmd(st *State) *cobra.Command {
	cfg := config.Default()
	watch := false
	var cpuProfile, memProfile string
	cmd := &cobra.Command{
		Use:   "run SCRIPT",
		Short: "Run a load test script",
		Long: `Run a load test. SCRIPT is a JavaScript or TypeScript file; relative imports are
bundled, and "jsload" is built in. Every flag can also be set with an environment
variable (JSLOAD_SPAWN_RATE for --spawn-rate) or in the script's exported options
(spawnRate); flags win over the environment, which wins over the script.`,
		Example: `  jsload run scripts/locustfile.js --host http://localhost:8080 --headless -u 10 -r 2 -t 30s`,
		Args: func(cmd *cobra.Command, args []string) error {
			if isWorker(cmd, st) {
				if len(args) > 1 {
					return usageError{fmt.Errorf("a worker takes at most one script (it needs none: the master sends it), got %d arguments", len(args))}
				}
				return nil
			}
			if len(args) != 1 {
				return usageError{fmt.Errorf("run takes exactly one script, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			stop, err := startProfiles(cpuProfile, memProfile)
			if err != nil {
				return usageError{err}
			}
			defer stop()
			if isWorker(cmd, st) {
				cfg.Cluster.Worker = true
				return runWorker(cmd, st, args, &cfg)
			}
			return runTest(cmd, st, args[0], &cfg, watch)
		},
	}
	runFlags(cmd.Flags(), &cfg)
	cmd.Flags().BoolVar(&watch, "watch", false, "re-bundle and restart the run when the script or a file it imports changes")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to FILE (for developing jsload)")
	cmd.Flags().StringVar(&memProfile, "memprofile", "", "write a Go heap profile at the end of the run to FILE (for developing jsload)")
	_ = cmd.Flags().MarkHidden("cpuprofile")
	_ = cmd.Flags().MarkHidden("memprofile")
	cmd.Flags().SortFlags = false
	return cmd
}

// isWorker tells whether --worker (or JSLOAD_WORKER) was given.
func isWorker(cmd *cobra.Command, st *State) bool {
	if f := cmd.Flags().Lookup("worker"); f != nil && f.Changed {
		return f.Value.String() == "true"
	}
	b, _ := strconv.ParseBool(st.Getenv("JSLOAD_WORKER"))
	return b
}

func runTest(cmd *cobra.Command, st *State, path string, cfg *config.Run, watch bool) error {
	sig := watchSignals(st)
	defer sig.close()
	if watch {
		if cfg.Cluster.Master || cfg.Cluster.Processes != 0 {
			return usageError{errors.New("--watch restarts a local test: drop --master")}
		}
		return watchLoop(cmd, st, path, sig)
	}
	script, err := loadScript(sig.stopCtx, cmd.Flags(), st, path)
	if err != nil {
		return err
	}
	if err := resolveConfig(cmd.Flags(), st, script, cfg); err != nil {
		return err
	}
	p, err := preparePlan(script, cfg)
	if err != nil {
		return err
	}
	var code int
	if cfg.Headless {
		code, _ = execute(st, script, cfg, p, sig, nil)
	} else {
		if p.shape || p.open || len(p.stages) > 0 || len(p.thresholds) > 0 || cfg.Iterations > 0 || cfg.CSV != "" || cfg.JSON != "" || cfg.HTML != "" {
			return usageError{errors.New("shapes, stages, arrival rates, thresholds, --iterations and file outputs run headless for now: add --headless")}
		}
		code = runPanel(st, script, cfg, sig)
	}
	if code != ExitOK {
		return exitError{code}
	}
	return nil
}

// preparePlan applies tag filters and reads stages, shape and thresholds.
func preparePlan(script *js.Script, cfg *config.Run) (*plan, error) {
	if err := script.FilterTags(cfg.Tags, cfg.ExcludeTags); err != nil {
		return nil, usageError{err}
	}
	p, err := makePlan(cfg, script)
	if err != nil {
		return nil, usageError{err}
	}
	return p, nil
}

// loadScript loads the script with what its top-level code may need (the
// host from the command line or the environment), or explains why not.
func loadScript(ctx context.Context, fs *pflag.FlagSet, st *State, path string) (*js.Script, error) {
	opt := js.LoadOptions{HTTP: httpc.Options{UserAgent: userAgent()}}
	if f := fs.Lookup("host"); f != nil && f.Changed {
		opt.Host = f.Value.String()
	} else {
		opt.Host = st.Getenv("JSLOAD_HOST")
	}
	if f := fs.Lookup("insecure-skip-tls-verify"); f != nil && f.Value.String() == "true" {
		opt.HTTP.InsecureSkipVerify = true
	}
	script, err := js.Load(ctx, path, opt)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(st.Stderr, "jsload: stopped while loading %s\n", path)
			return nil, exitError{ExitInvalid}
		}
		fmt.Fprintln(st.Stderr, err.Error())
		return nil, exitError{ExitInvalid}
	}
	return script, nil
}

// resolveConfig fills cfg from the script's options and the environment
// where the command line is silent, and checks it.
func resolveConfig(fs *pflag.FlagSet, st *State, script *js.Script, cfg *config.Run) error {
	if err := applySources(fs, st.Getenv, script.Options); err != nil {
		return usageError{err}
	}
	if cfg.SingleUser {
		if f := fs.Lookup("users"); f.Changed && cfg.Users != 1 {
			return usageError{fmt.Errorf("--single-user runs one user: drop -u %d", cfg.Users)}
		}
		cfg.ApplySingleUser(fs.Lookup("iterations").Changed || cfg.Iterations > 0, cfg.RunTime > 0)
	}
	c := &cfg.Cluster
	if c.Processes != 0 {
		c.Master = true
		if !fs.Lookup("expect-workers").Changed && st.Getenv("JSLOAD_EXPECT_WORKERS") == "" {
			c.ExpectWorkers = c.Processes
			if c.Processes < 0 {
				c.ExpectWorkers = runtime.NumCPU()
			}
		}
	}
	if c.Master {
		if err := cluster.CheckRunID(c.RunID); err != nil {
			return usageError{err}
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

// signals turns interrupts into a graceful stop (the first) and an
// immediate one (the second).
type signals struct {
	stop    chan struct{}   // closed by the first interrupt
	stopCtx context.Context // canceled by the first interrupt
	cancel  context.CancelFunc
	killCtx context.Context
	kill    context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	log     *logger
	timeout time.Duration
}

func watchSignals(st *State) *signals {
	s := &signals{stop: make(chan struct{}), done: make(chan struct{}), log: &logger{w: st.Stderr}}
	s.killCtx, s.kill = context.WithCancel(context.Background())
	s.stopCtx, s.cancel = context.WithCancel(s.killCtx)
	go func() {
		n := 0
		for {
			select {
			case <-s.done:
				return
			case <-st.Signals:
				n++
				s.mu.Lock()
				log, timeout := s.log, s.timeout
				s.mu.Unlock()
				if n == 1 && timeout > 0 {
					log.Infof("stopping: letting running tasks finish for up to %v; press Ctrl-C again to stop at once", timeout)
					close(s.stop)
					s.cancel()
				} else if n == 1 {
					log.Infof("stopping; press Ctrl-C again to stop at once")
					close(s.stop)
					s.cancel()
				} else {
					log.Warnf("stopping at once")
					s.kill()
					return
				}
			}
		}
	}()
	return s
}

// use sets the logger and stop timeout the interrupt messages mention.
func (s *signals) use(log *logger, timeout time.Duration) {
	s.mu.Lock()
	s.log, s.timeout = log, timeout
	s.mu.Unlock()
}

func (s *signals) close() {
	close(s.done)
	s.kill()
}

// execute runs one test and prints its results. It returns the exit code,
// and whether the test ended because restart fired.
func execute(st *State, script *js.Script, cfg *config.Run, p *plan, sig *signals, restart <-chan struct{}) (code int, restarted bool) {
	log := &logger{w: st.Stderr, level: levelIndex(cfg.LogLevel)}
	sig.use(log, cfg.StopTimeout)
	hostless := cfg.Host == ""
	for _, c := range script.Classes {
		if c.Host != "" {
			hostless = false
		}
	}
	if hostless {
		log.Warnf("no host given (--host, options.host or a class's static host): relative URLs will fail")
	}

	reg := stats.NewRegistry(4 * runtime.GOMAXPROCS(0))
	out := tablesTo(st, cfg)
	var eng swarm
	live := func() *stats.Snapshot {
		s := reg.Snapshot(time.Now())
		if eng != nil {
			s.Users = eng.Users()
		}
		return s
	}
	outs, err := openOutputs(cfg, st.Stdout, report.Meta{Script: script.Path, Host: cfg.Host, Version: Version, Start: time.Now(), Users: cfg.Users, Args: st.Args}, log, live)
	if err != nil {
		log.Errorf("%v", err)
		return ExitInvalid, false
	}
	defer outs.close()
	env, hostMissing := newEnv(st, cfg, reg, log, cfg.Host)
	killCtx := sig.killCtx

	var master *masterOf
	if cfg.Cluster.Master {
		m, err := startMaster(st, cfg, script, reg, log)
		if err != nil {
			log.Errorf("%v", err)
			return ExitInvalid, false
		}
		defer m.close()
		if err := waitWorkers(sig.stopCtx, m, &cfg.Cluster, log); err != nil {
			if sig.stopCtx.Err() != nil {
				log.Infof("stopped while waiting for workers: no test ran")
				return max(cfg.ExitCodeOnError, 1), false
			}
			log.Errorf("%v", err)
			return max(cfg.ExitCodeOnError, 1), false
		}
		master = m
	}

	start := time.Now()
	reg.SetStart(start)
	if script.HasSetup {
		data, err := script.RunSetup(sig.stopCtx, env)
		if err != nil {
			if sig.stopCtx.Err() != nil {
				log.Infof("stopped during setup(): no user was started")
				printFinal(out, reg, 0, time.Now())
				return ExitOK, false
			}
			log.Errorf("setup() failed: %v", err)
			printFinal(out, reg, 0, time.Now())
			return max(cfg.ExitCodeOnError, 1), false
		}
		env.SetupData = data
	}

	if master != nil {
		master.SetSetupData(env.SetupData)
		eng = master
	} else {
		eng = local{newEngine(cfg, script, env, reg, log)}
	}
	if cfg.RunTime > 0 {
		log.Infof("Run time limit set to %v", cfg.RunTime)
	}
	if cfg.Iterations > 0 {
		log.Infof("Iteration limit set to %d tasks", cfg.Iterations)
	}
	if p.open && cfg.ResetStats {
		log.Warnf("--reset-stats has no effect with an arrival rate: there is no spawning phase to end")
	}
	if !p.open && cfg.MaxVUs > 0 {
		log.Warnf("--max-vus only applies with --arrival-rate (or stages of rate)")
	}
	// How the load is set: a shape, stages, an arrival rate, or -u/-r.
	var shape *js.Shape
	var lastStep js.ShapeStep
	var lastStage stage
	switch {
	case p.shape:
		var err error
		if shape, err = script.NewShape(sig.stopCtx, env); err == nil {
			defer shape.Close()
			var step js.ShapeStep
			var end bool
			step, end, err = shape.Tick(sig.stopCtx, 0, 0, cfg.RunTime)
			if err == nil && end {
				log.Infof("shape() returned null at the start: nothing to run")
				printFinal(out, reg, 0, time.Now())
				return ExitOK, false
			}
			if err == nil {
				lastStep = step
				log.Infof("Shape: %d users at a rate of %g per second%s", step.Users, step.SpawnRate, classList(step.Classes))
				eng.StartClasses(step.Users, step.SpawnRate, step.Classes)
			}
		}
		if err != nil {
			log.Errorf("shape(): %v", err)
			return ExitInvalid, false
		}
	case p.open:
		rate := cfg.ArrivalRate
		if len(p.stages) > 0 {
			lastStage = p.stages[0]
			rate = lastStage.Rate
		}
		maxVUs := cfg.MaxVUs
		if maxVUs == 0 {
			maxVUs = max(cfg.Users, 100)
		}
		log.Infof("Arrival rate %g iterations per second, %d users to start with, at most %d", rate, min(cfg.Users, maxVUs), maxVUs)
		eng.StartArrival(rate, cfg.Users, maxVUs)
	case len(p.stages) > 0:
		lastStage = p.stages[0]
		log.Infof("Stage 1 of %d: %d users at a rate of %g per second for %v", len(p.stages), lastStage.Users, lastStage.SpawnRate, lastStage.Duration)
		eng.Start(lastStage.Users, lastStage.SpawnRate)
	default:
		log.Infof("Ramping to %d users at a rate of %g per second", cfg.Users, cfg.SpawnRate)
		eng.Start(cfg.Users, cfg.SpawnRate)
	}
	control := time.NewTicker(time.Second)
	defer control.Stop()
	var aborted []threshold.Result

	shapeFailed := false
	// On a terminal, a one-line live status between the periodic tables.
	liveStatus := st.Stderr == os.Stderr && isTerminal(os.Stderr) && !cfg.Verbose
	var runTimer <-chan time.Time
	if cfg.RunTime > 0 {
		t := time.NewTimer(cfg.RunTime)
		defer t.Stop()
		runTimer = t.C
	}
	tick := time.NewTicker(cfg.PrintStats)
	defer tick.Stop()
wait:
	for {
		select {
		case <-tick.C:
			if !cfg.OnlySummary {
				s := reg.Snapshot(time.Now())
				s.Users = eng.Users()
				log.setStatus("")
				console.Printer{Color: isTerminal(out)}.PrintStats(out, s, true)
			}
		case <-runTimer:
			log.Infof("--run-time limit reached, shutting down")
			break wait
		case <-sig.stop:
			break wait
		case <-killCtx.Done():
			break wait
		case <-restart:
			restarted = true
			break wait
		case <-hostMissing:
			break wait
		case <-control.C:
			snap := live()
			outs.tick(snap)
			elapsed := time.Since(start)
			if liveStatus {
				log.setStatus(statusLine(snap, elapsed, cfg.RunTime))
			}
			if shape != nil {
				step, end, err := shape.Tick(sig.stopCtx, elapsed, eng.Users(), cfg.RunTime)
				if err != nil {
					log.Errorf("shape(): %v; stopping the test", err)
					shapeFailed = true
					break wait
				}
				if end {
					log.Infof("shape() returned null: shutting down")
					break wait
				}
				if !sameStep(step, lastStep) {
					lastStep = step
					log.Infof("Shape: %d users at a rate of %g per second%s", step.Users, step.SpawnRate, classList(step.Classes))
					eng.StartClasses(step.Users, step.SpawnRate, step.Classes)
				}
			} else if len(p.stages) > 0 {
				stg, ok := p.stageAt(elapsed)
				if !ok {
					log.Infof("the last stage is over, shutting down")
					break wait
				}
				if stg != lastStage {
					lastStage = stg
					n := p.stageNumber(elapsed)
					if p.open {
						log.Infof("Stage %d of %d: %g iterations per second for %v", n, len(p.stages), stg.Rate, stg.Duration)
						eng.SetRate(stg.Rate)
					} else {
						log.Infof("Stage %d of %d: %d users at a rate of %g per second for %v", n, len(p.stages), stg.Users, stg.SpawnRate, stg.Duration)
						eng.Start(stg.Users, stg.SpawnRate)
					}
				}
			}
			if aborted = abortingThresholds(p.thresholds, reg); len(aborted) > 0 {
				for _, r := range aborted {
					log.Errorf("threshold %q on %s failed (measured %s): stopping the test (abortOnFail)", r.Expr, r.Name, formatMeasured(r))
				}
				break wait
			}
		case <-eng.Done():
			if cfg.Iterations > 0 && eng.IterationsStarted() >= cfg.Iterations {
				log.Infof("all %d iterations done, shutting down", cfg.Iterations)
			} else {
				log.Infof("every user has stopped, shutting down")
			}
			break wait
		}
	}
	log.setStatus("")
	users := eng.Users()
	runEnd := time.Now()
	if restarted {
		// The script changed: the old run has nothing left to finish.
		stopCtx, cancel := context.WithCancel(killCtx)
		cancel()
		eng.Stop(stopCtx)
	} else {
		eng.Stop(killCtx)
	}
	if script.HasTeardown && !restarted {
		if err := script.RunTeardown(killCtx, env); err != nil {
			log.Errorf("teardown() failed: %v", err)
		}
	}
	final := printFinal(out, reg, users, runEnd)
	code = ExitOK
	if final.HasErrors() || shapeFailed {
		code = cfg.ExitCodeOnError
	}
	console.PrintScheduled(out, final)
	console.PrintDropped(out, final)
	console.PrintChecks(out, final)
	var results []threshold.Result
	if len(p.thresholds) > 0 {
		results = threshold.EvaluateAll(p.thresholds, final)
		console.PrintThresholds(out, results, !color.NoColor && isTerminal(out))
		for _, r := range results {
			if !r.Passed {
				code = ExitThreshold
			}
		}
	}
	if !outs.final(final, results) {
		code = max(code, ExitOnError)
	}
	if panicked.Load() {
		code = ExitInternal
	}
	select {
	case <-hostMissing:
		code = ExitInvalid
	default:
	}
	log.Infof("Shutting down (exit code %d)", code)
	return code, restarted
}

// printFinal prints the final tables. Rates are over the run: from its
// start until it was told to stop, or until the last request that finished
// after that (during the stop timeout), not the time spent in onStop hooks
// and teardown.
func printFinal(w io.Writer, reg *stats.Registry, users int, runEnd time.Time) *stats.Snapshot {
	s := reg.Snapshot(time.Now())
	s.Users = users
	end := runEnd
	if s.Total.Last.After(end) {
		end = s.Total.Last
	}
	if end.Before(s.Time) {
		s.Time = end
	}
	console.Printer{Color: isTerminal(w)}.PrintSummary(w, s)
	return s
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%q: %d", k, m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// startProfiles starts the developer profiles asked for; the returned
// function writes them.
func startProfiles(cpu, mem string) (func(), error) {
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("--cpuprofile: %v", err)
		}
		cpuFile = f
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if mem != "" {
			if f, err := os.Create(mem); err == nil {
				runtime.GC()
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}, nil
}

// newEnv makes what a run's users share: the host, the statistics, and the
// logging of exceptions. The channel is closed when a relative URL is used
// without a host.
func newEnv(st *State, cfg *config.Run, reg *stats.Registry, log *logger, host string) (*js.Env, chan struct{}) {
	var excOnce sync.Map
	hostMissing := make(chan struct{})
	env := &js.Env{
		Host:     host,
		HTTP:     httpc.Options{UserAgent: userAgent(), InsecureSkipVerify: cfg.InsecureSkipVerify},
		Registry: reg,
		Out:      st.Stderr,
		OnHostMissing: sync.OnceFunc(func() {
			log.Errorf("%s; stopping the test", js.ErrNoHost)
			close(hostMissing)
		}),
		OnException: func(vu int, where string, se *js.ScriptError) {
			if cfg.Verbose {
				log.Errorf("in %s (VU %d): %s\n%s", where, vu, se.Error(), se.Stack)
				return
			}
			if _, seen := excOnce.LoadOrStore(se.GroupKey(), true); seen {
				return
			}
			log.Errorf("in %s (VU %d): %s\n%s\n(further occurrences are counted in the exceptions table)", where, vu, se.Error(), se.Stack)
		},
	}
	if cfg.Verbose {
		env.Verbose = &lockedWriter{w: st.Stderr, mu: &log.mu}
	}
	return env, hostMissing
}

// newEngine makes the engine of one run: users of the script's classes,
// failed starts counted as exceptions, --reset-stats once spawned, and
// dropped arrival-rate starts counted.
func newEngine(cfg *config.Run, script *js.Script, env *js.Env, reg *stats.Registry, log *logger) *engine.Engine {
	classes := make([]engine.Class, len(script.Classes))
	for i, c := range script.Classes {
		classes[i] = engine.Class{Name: c.Name, Weight: c.Weight, FixedCount: c.FixedCount}
	}
	var vuErrOnce sync.Map
	return engine.New(engine.Config{
		Classes:     classes,
		Factory:     &vuFactory{script: script, env: env},
		StopTimeout: cfg.StopTimeout,
		Iterations:  cfg.Iterations,
		OnError: func(err error) {
			// A user that cannot start is a script exception like any other.
			var se *js.ScriptError
			if !errors.As(err, &se) {
				se = &js.ScriptError{Msg: err.Error()}
			}
			pos := ""
			if se.File != "" {
				pos = fmt.Sprintf("%s:%d:%d", se.File, se.Line, se.Column)
			}
			reg.Recorder(0).RecordException(se.Msg, pos, se.Stack)
			if _, seen := vuErrOnce.LoadOrStore(se.GroupKey(), true); !seen {
				log.Errorf("a user could not start: %v", err)
			}
		},
		OnSpawned: spawnedHook(cfg, func() *stats.Registry { return reg }, log),
		OnDropped: func(n int64) { reg.Recorder(0).RecordDropped(n) },
		OnPanic: func(err error) {
			panicked.Store(true)
			log.Errorf("internal error in a user (a bug in jsload; please report it with this trace): %v", err)
		},
	})
}

// spawnedHook logs that every user is running, and resets the statistics
// the first time with --reset-stats.
func spawnedHook(cfg *config.Run, reg func() *stats.Registry, log *logger) func(map[string]int) {
	var resetOnce atomic.Bool
	return func(counts map[string]int) {
		log.Infof("All users spawned: %s (%d total users)", formatCounts(counts), sum(counts))
		if cfg.ResetStats && resetOnce.CompareAndSwap(false, true) {
			log.Infof("Resetting stats")
			reg().Reset()
		}
	}
}

// panicked records that a user's goroutine panicked: the exit code is then
// ExitInternal.
var panicked atomic.Bool
