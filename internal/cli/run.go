package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/cluster"
	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/k6summary"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/js"
)

// vuFactory adapts the script's VUs to the engine.
type vuFactory struct {
	script *js.Script
	env    *js.Env
	// prepared are users made before the test (prepare.go); nil for none.
	prepared *preparedUsers
}

func (f *vuFactory) NewVU(ctx context.Context, id, class int) (engine.VU, error) {
	if vu := f.prepared.take(id); vu != nil {
		if err := vu.Ready(ctx, class); err != nil {
			vu.Close()
			return nil, err
		}
		return vu, nil
	}
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
(spawnRate), and in a configuration file (--config FILE, or ./jsload.conf when
present: "spawn-rate = 2" lines). Flags win over the environment, which wins over
the file, which wins over the script. A script's own parameters (export
parameters) are flags too: "jsload run SCRIPT --help" lists them.`,
		Example: `  jsload run scripts/locustfile.js --host http://localhost:8080 --headless -u 10 -r 2 -t 30s
  jsload run scripts/locustfile.js --help     # also lists the script's own parameters`,
		// Flags are parsed in RunE, in two steps: the script's parameters
		// are flags too, known once it is loaded (params.go).
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, raw []string) error {
			builtin, params := splitRunArgs(cmd.Flags(), raw)
			st.paramArgs = params
			if err := cmd.Flags().Parse(builtin); err != nil {
				return usageError{flagHint(cmd, plainValueError(err))}
			}
			args := cmd.Flags().Args()
			if h, _ := cmd.Flags().GetBool("help"); h {
				return runHelp(cmd, st, args)
			}
			file, err := readConfigFile(cmd.Flags(), st.Getenv)
			if err != nil {
				return usageError{err}
			}
			if err := applyFileToExtras(cmd.Flags(), st.Getenv, file); err != nil {
				return usageError{err}
			}
			if isWorker(cmd, st) {
				if len(args) > 1 {
					return usageError{fmt.Errorf("a worker takes at most one script (it needs none: the master sends it), got %d arguments", len(args))}
				}
			} else if len(args) != 1 {
				if err := noParams(cmd.Flags(), st); err != nil {
					return err
				}
				return usageError{fmt.Errorf("run takes exactly one script, got %d arguments", len(args))}
			}
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
	log := newLogger(st.Stderr, cfg.LogLevel)
	p, err := preparePlan(script, cfg, log)
	if err != nil {
		return err
	}
	defer quitScript(script, cfg.StopTimeout)
	var code int
	if cfg.Headless {
		code, _ = execute(st, script, cfg, p, sig, log, nil)
	} else {
		if cfg.Iterations > 0 || fileOutputAsked(cfg) {
			return usageError{errors.New("--iterations and file outputs (--csv, --html, --json) run headless for now: add --headless (the panel has the CSV files and the report under Download data)")}
		}
		if script.HasHandleSummary || cfg.Summary == "k6" {
			log.Warnf("the web panel shows its own results: handleSummary() and --summary k6 apply to headless runs (--headless)")
		}
		code = runPanel(st, script, cfg, sig, log, p)
	}
	if code != ExitOK {
		return exitError{code}
	}
	return nil
}

// preparePlan applies tag filters and makes the test's plan, which reports
// to log.
func preparePlan(script *js.Script, cfg *config.Run, log *logger) (*testPlan, error) {
	if err := script.FilterTags(cfg.Tags, cfg.ExcludeTags); err != nil {
		return nil, usageError{err}
	}
	p, err := makePlan(cfg, script, log)
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
	if opt.Host == "" {
		opt.Host = fileHost(fs, st.Getenv)
	}
	if f := fs.Lookup("insecure-skip-tls-verify"); f != nil && f.Value.String() == "true" {
		opt.HTTP.TLS.InsecureSkipVerify = true
	}
	if f := fs.Lookup("env"); f != nil {
		if v, ok := f.Value.(envVarValue); ok {
			opt.Vars = scriptVars(*v.m)
		}
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
	opts, err := expandScriptOptions(script.Options, filepath.Dir(script.Path))
	if err != nil {
		return usageError{err}
	}
	if script.K6 {
		if sc := k6StagesScenario(opts); sc != nil {
			opts = withScenarios(opts, sc)
			script.Options = withScenarios(script.Options, sc)
		}
		if opts, err = k6ScriptOptions(opts, script.Metrics); err != nil {
			return usageError{err}
		}
		// The plan reads the stages and thresholds from the script
		// (readStages, readThresholds): in jsload's shapes.
		o := maps.Clone(script.Options)
		for _, k := range []string{"stages", "thresholds"} {
			if v, ok := opts[k]; ok {
				o[k] = v
			}
		}
		script.Options = o
	}
	if _, ok := opts["config"]; ok {
		return usageError{errNoConfigInOptions}
	}
	given := givenFlags(fs)
	file, err := readConfigFile(fs, st.Getenv)
	if err != nil {
		return usageError{err}
	}
	if err := checkFileKeys(file, fs, script); err != nil {
		return usageError{err}
	}
	if err := applySources(fs, st.Getenv, file, opts); err != nil {
		return usageError{err}
	}
	if err := resolveParams(fs, st, script, file, cfg); err != nil {
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
	if script.K6 {
		_, scenarios := script.Options["scenarios"]
		if err := k6Defaults(fs, cfg, opts, scenarios); err != nil {
			return usageError{err}
		}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{nameSource(err, given, st.Getenv, opts)}
	}
	if err := k6summary.CheckTrendStats(cfg.SummaryTrendStats); err != nil {
		return usageError{nameSource(fmt.Errorf("--summary-trend-stats: %v", err), given, st.Getenv, opts)}
	}
	if err := loadTLSFiles(given, st.Getenv, cfg); err != nil {
		return usageError{err}
	}
	return nil
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

// scriptVars is what __ENV shows: the process environment with --env's
// variables over it, or nil (the process environment) when there are none.
func scriptVars(given map[string]string) map[string]string {
	if len(given) == 0 {
		return nil
	}
	vars := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	for k, v := range given {
		vars[k] = v
	}
	return vars
}

// newEnv makes what a run's users share: the host, the statistics, and the
// logging of exceptions. The channel is closed when a relative URL is used
// without a host.
func newEnv(st *State, cfg *config.Run, reg *stats.Registry, log *logger, host string) (*js.Env, chan struct{}) {
	hostMissing := make(chan struct{})
	env := &js.Env{
		Vars:     scriptVars(cfg.Vars),
		Run:      js.NewRun(),
		Host:     host,
		HTTP:     httpc.Options{UserAgent: userAgent(), TLS: httpc.TLSOptions{InsecureSkipVerify: cfg.InsecureSkipVerify}},
		Registry: reg,
		Out:      st.Stderr,
		OnHostMissing: sync.OnceFunc(func() {
			log.Errorf("%s; stopping the test", js.ErrNoHost)
			close(hostMissing)
		}),
		OnException: func(vu int, where string, se *js.ScriptError, first bool) {
			if strings.Contains(se.Msg, js.ErrNoHost) {
				return // said once by OnHostMissing; counted with its place in the exceptions table
			}
			if cfg.Verbose {
				log.Errorf("in %s (VU %d): %s\n%s", where, vu, se.Error(), se.Stack)
				return
			}
			if !first {
				// The statistics keep the first of each group, the one
				// logged: the same registry-wide choice decides both.
				return
			}
			log.Errorf("in %s (VU %d): %s\n%s\n(further occurrences are counted in the exceptions table)", where, vu, se.Error(), se.Stack)
		},
	}
	applyHTTPConfig(&env.HTTP, cfg)
	if cfg.Verbose {
		env.Verbose = &lockedWriter{w: st.Stderr, mu: &log.mu}
	}
	return env, hostMissing
}

// newEngine makes the engine of one run: users of the script's classes,
// failed starts counted as exceptions, --reset-stats once spawned, and
// dropped arrival-rate starts counted, and a panic in a user (a bug in
// jsload) noted in panicked. Its Stop notes the tasks and onStop hooks it
// cut off.
func newEngine(cfg *config.Run, script *js.Script, env *js.Env, reg *stats.Registry, log *logger, panicked *atomic.Bool) *notingEngine {
	return newEngineWith(cfg, script, &vuFactory{script: script, env: env}, env, reg, log, panicked)
}

// newEngineWith is newEngine with the users made by factory.
func newEngineWith(cfg *config.Run, script *js.Script, factory engine.Factory, env *js.Env, reg *stats.Registry, log *logger, panicked *atomic.Bool) *notingEngine {
	classes := make([]engine.Class, len(script.Classes))
	for i, c := range script.Classes {
		classes[i] = engine.Class{Name: c.Name, Weight: c.Weight, FixedCount: c.FixedCount}
	}
	onSpawned := spawnedHook(cfg, func() *stats.Registry { return reg }, func() *js.Run {
		if cfg.Cluster.Worker {
			return nil // a worker's spawning completes when the master says so
		}
		return env.Run
	}, log)
	if _, ok := factory.(*scenarioFactory); ok {
		onSpawned = nil // a scenario's users follow its schedule, said by the plan
	}
	return &notingEngine{cfg: cfg, log: log, Engine: engine.New(engine.Config{
		Classes:     classes,
		Factory:     factory,
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
			if reg.Recorder(0).RecordException(se.Msg, pos, se.Stack) {
				log.Errorf("a user could not start: %v", err)
			}
		},
		OnSpawned: onSpawned,
		OnDropped: func(n int64) { reg.Recorder(0).RecordDropped(n) },
		OnPanic: func(err error) {
			panicked.Store(true)
			log.Errorf("internal error in a user (a bug in jsload; please report it with this trace): %v", err)
		},
	})}
}

// notingEngine is an engine whose Stop says, once, what the stop cut off:
// tasks still running when --stop-timeout passed, and onStop hooks that
// did not finish within their bound.
type notingEngine struct {
	*engine.Engine
	cfg      *config.Run
	log      *logger
	scenario string // the k6 scenario it runs (plan_scenarios.go); "" for none
}

func (e *notingEngine) Stop(ctx context.Context) {
	e.Engine.Stop(ctx)
	tasks, onStops := e.CutOff()
	if e.scenario != "" {
		if tasks > 0 {
			e.log.Infof("scenario %s: %s interrupted at its end (gracefulStop %v)", e.scenario, plural(tasks, "iteration was", "iterations were"), e.cfg.StopTimeout)
		}
		return
	}
	switch {
	case tasks > 0 && e.cfg.StopTimeout == 0:
		e.log.Infof("%s interrupted by the stop (--stop-timeout is 0: running tasks are not waited for)", plural(tasks, "task was", "tasks were"))
	case tasks > 0:
		e.log.Warnf("%s still running %v after the stop (--stop-timeout) and interrupted; raise --stop-timeout to let tasks finish", plural(tasks, "task was", "tasks were"), e.cfg.StopTimeout)
	}
	if onStops > 0 {
		e.log.Warnf("onStop was cut off before it returned in %s (an onStop may take max(--stop-timeout, 5s), %v here)", plural(onStops, "user", "users"), max(e.cfg.StopTimeout, 5*time.Second))
	}
}

// plural is "1 task was" or "3 tasks were".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// spawnedHook logs that every user is running, resets the statistics
// the first time with --reset-stats, and completes spawning in the run
// (when run returns one).
func spawnedHook(cfg *config.Run, reg func() *stats.Registry, run func() *js.Run, log *logger) func(map[string]int) {
	var resetOnce atomic.Bool
	return func(counts map[string]int) {
		log.Infof("All users spawned: %s (%d total users)", formatCounts(counts), sum(counts))
		if cfg.ResetStats && resetOnce.CompareAndSwap(false, true) {
			log.Infof("Resetting stats")
			reg().Reset()
		}
		if r := run(); r != nil {
			r.SpawningComplete(sum(counts))
		}
	}
}
