package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/engine"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/js"
)

// logger writes timestamped lines to stderr, filtered by level.
type logger struct {
	mu    sync.Mutex
	w     io.Writer
	level int
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
	if levelIndex(level) < l.level {
		return
	}
	msg := fmt.Sprintf(format, args...)
	tag := strings.ToUpper(level)
	switch level {
	case "warning":
		tag = color.YellowString(tag)
	case "error", "critical":
		tag = color.RedString(tag)
	}
	l.mu.Lock()
	fmt.Fprintf(l.w, "[%s] %s: %s\n", time.Now().Format("2006-01-02 15:04:05"), tag, msg)
	l.mu.Unlock()
}

func (l *logger) Infof(f string, a ...any)  { l.log("info", f, a...) }
func (l *logger) Warnf(f string, a ...any)  { l.log("warning", f, a...) }
func (l *logger) Errorf(f string, a ...any) { l.log("error", f, a...) }
func (l *logger) Debugf(f string, a ...any) { l.log("debug", f, a...) }

// vuFactory adapts the script's VUs to the engine.
type vuFactory struct {
	script *js.Script
	env    *js.Env
}

func (f *vuFactory) NewVU(id, class int) (engine.VU, error) {
	vu, err := f.script.NewVU(f.env, id, class)
	if err != nil {
		return nil, err
	}
	return engineVU{vu}, nil
}

// engineVU maps the script's stop-user signal to the engine's.
type engineVU struct{ *js.VU }

func (v engineVU) RunTask(ctx context.Context) error {
	if err := v.VU.RunTask(ctx); errors.Is(err, js.ErrStopUser) {
		return engine.ErrStopUser
	}
	return nil
}

var _ engine.VU = engineVU{}

func newRunCmd(st *State) *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   "run SCRIPT",
		Short: "Run a load test script",
		Long: `Run a load test. SCRIPT is a JavaScript or TypeScript file; relative imports are
bundled, and "jsload" is built in. Every flag can also be set with an environment
variable (JSLOAD_SPAWN_RATE for --spawn-rate) or in the script's exported options
(spawnRate); flags win over the environment, which wins over the script.`,
		Example: `  jsload run scripts/locustfile.js --host http://localhost:8080 --headless -u 10 -r 2 -t 30s`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("run takes exactly one script, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTest(cmd, st, args[0], &cfg)
		},
	}
	runFlags(cmd.Flags(), &cfg)
	cmd.Flags().SortFlags = false
	return cmd
}

func runTest(cmd *cobra.Command, st *State, path string, cfg *config.Run) error {
	for name, what := range notYet {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return usageError{fmt.Errorf("--%s: %s is not available in this version of jsload yet", name, what)}
		}
	}
	script, err := js.Load(path)
	if err != nil {
		fmt.Fprintln(st.Stderr, err.Error())
		return exitError{ExitInvalid}
	}
	if err := applySources(cmd.Flags(), st.Getenv, script.Options); err != nil {
		return usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	if !cfg.Headless {
		return usageError{errors.New("the web panel is not available in this version of jsload yet: add --headless to run in the console")}
	}
	log := &logger{w: st.Stderr, level: levelIndex(cfg.LogLevel)}
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
	var excOnce sync.Map
	httpc.Version = Version
	env := &js.Env{
		Host:     cfg.Host,
		Registry: reg,
		Out:      st.Stderr,
		OnHostMissing: sync.OnceFunc(func() {
			log.Errorf("%s", js.ErrNoHost)
		}),
		OnException: func(vu int, where string, se *js.ScriptError) {
			key := se.Error()
			if _, seen := excOnce.LoadOrStore(key, true); seen {
				return
			}
			log.Errorf("in %s (VU %d): %s\n%s\n(further occurrences are counted in the exceptions table)", where, vu, se.Error(), se.Stack)
		},
	}

	// Signals: the first stops the test gracefully, the second at once.
	stopReq := make(chan struct{})
	killCtx, kill := context.WithCancel(context.Background())
	defer kill()
	sigDone := make(chan struct{})
	defer close(sigDone)
	go func() {
		n := 0
		for {
			select {
			case <-sigDone:
				return
			case <-st.Signals:
				n++
				if n == 1 {
					log.Infof("stopping: letting running tasks finish for up to %v; press Ctrl-C again to stop at once", cfg.StopTimeout)
					close(stopReq)
				} else {
					log.Warnf("stopping at once")
					kill()
					return
				}
			}
		}
	}()

	start := time.Now()
	reg.SetStart(start)
	if script.HasSetup {
		data, err := script.RunSetup(killCtx, env)
		if err != nil {
			log.Errorf("setup() failed: %v", err)
			printFinal(st.Stdout, reg, 0, cfg)
			return exitError{max(cfg.ExitCodeOnError, 1)}
		}
		env.SetupData = data
	}

	classes := make([]engine.Class, len(script.Classes))
	for i, c := range script.Classes {
		classes[i] = engine.Class{Name: c.Name, Weight: c.Weight, FixedCount: c.FixedCount}
	}
	var vuErrOnce sync.Map
	eng := engine.New(engine.Config{
		Classes:     classes,
		Factory:     &vuFactory{script: script, env: env},
		StopTimeout: cfg.StopTimeout,
		OnError: func(err error) {
			if _, seen := vuErrOnce.LoadOrStore(err.Error(), true); !seen {
				log.Errorf("a user could not start: %v", err)
			}
		},
		OnSpawned: func(counts map[string]int) {
			log.Infof("All users spawned: %s (%d total users)", formatCounts(counts), sum(counts))
		},
	})
	if cfg.RunTime > 0 {
		log.Infof("Run time limit set to %v", cfg.RunTime)
	}
	log.Infof("Ramping to %d users at a rate of %g per second", cfg.Users, cfg.SpawnRate)
	eng.Start(cfg.Users, cfg.SpawnRate)

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
				console.PrintStats(st.Stdout, s, true)
				fmt.Fprintln(st.Stdout)
			}
		case <-runTimer:
			log.Infof("--run-time limit reached, shutting down")
			break wait
		case <-stopReq:
			break wait
		case <-killCtx.Done():
			break wait
		case <-eng.Done():
			log.Infof("every user has stopped, shutting down")
			break wait
		}
	}
	users := eng.Users()
	eng.Stop(killCtx)
	if script.HasTeardown {
		if err := script.RunTeardown(killCtx, env); err != nil {
			log.Errorf("teardown() failed: %v", err)
		}
	}
	final := printFinal(st.Stdout, reg, users, cfg)
	code := ExitOK
	if final.HasErrors() {
		code = cfg.ExitCodeOnError
	}
	log.Infof("Shutting down (exit code %d)", code)
	if code != ExitOK {
		return exitError{code}
	}
	return nil
}

func printFinal(w io.Writer, reg *stats.Registry, users int, cfg *config.Run) *stats.Snapshot {
	s := reg.Snapshot(time.Now())
	s.Users = users
	console.PrintSummary(w, s)
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
