package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/js"
)

// pollEvery is how often --watch looks at the script's files.
const pollEvery = 250 * time.Millisecond

// watchLoop is `jsload run --watch`: run, and re-bundle and restart when
// the script or a file it imports changes, until Ctrl-C. A script that does
// not load is reported and waited on like a finished run.
func watchLoop(cmd *cobra.Command, st *State, path string, sig *signals) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return usageError{err}
	}
	// Flags cannot change while watching: check them once, alone.
	if _, err := flagConfig(cmd, st, nil); err != nil {
		return err
	}
	files := []string{abs}
	code := ExitOK
	var changedFile string // set by the watcher before it closes changed
	log := &logger{w: st.Stderr, level: 1}
	for run := 1; ; run++ {
		script, err := loadScript(sig.stopCtx, cmd.Flags(), st, path)
		if err == nil {
			files = script.Files
			var cfg *config.Run
			var p *testPlan
			var runLog *logger
			cfg, err = freshConfig(cmd, st, script)
			if err == nil {
				runLog = newLogger(st.Stderr, cfg.LogLevel)
				p, err = preparePlan(script, cfg, runLog)
			}
			if err == nil && !cfg.Headless {
				err = usageError{errors.New("--watch runs headless: add --headless")}
			}
			if err == nil {
				changed := make(chan struct{})
				stop := make(chan struct{})
				go func() {
					if f := waitChange(files, stop); f != "" {
						changedFile = f
						close(changed)
					}
				}()
				var restarted bool
				code, restarted = execute(st, script, cfg, p, sig, runLog, changed)
				close(stop)
				quitScript(script, cfg.StopTimeout) // this version of the script is done with
				if restarted {
					separator(st, run+1, changedFile)
					continue
				}
			}
		}
		if err != nil {
			code = ExitInvalid
			var ue usageError
			if errors.As(err, &ue) {
				fmt.Fprintf(st.Stderr, "jsload: %v\n", err)
			} else {
				fmt.Fprintln(st.Stderr, err.Error())
			}
			var se *js.ScriptError
			if errors.As(err, &se) && se.File != "" {
				if p, e := filepath.Abs(se.File); e == nil && !slices.Contains(files, p) {
					files = append(files, p)
				}
			}
		}
		select {
		case <-sig.stop:
			return codeErr(code)
		case <-sig.killCtx.Done():
			return codeErr(code)
		default:
		}
		log.Infof("watching %s for changes (Ctrl-C to quit)", describeFiles(files))
		f := waitChange(files, sig.stop)
		if f == "" {
			return codeErr(code)
		}
		separator(st, run+1, f)
	}
}

func codeErr(code int) error {
	if code == ExitOK {
		return nil
	}
	return exitError{code}
}

func separator(st *State, run int, path string) {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
			path = rel
		}
	}
	fmt.Fprintf(st.Stdout, "\n======== run %d: %s changed, restarting (%s) ========\n\n", run, path, time.Now().Format("15:04:05"))
}

func describeFiles(files []string) string {
	if len(files) == 1 {
		return files[0]
	}
	return fmt.Sprintf("%s and %d imported files", files[0], len(files)-1)
}

// freshConfig builds the configuration for one run from scratch: defaults,
// then the flags given on the command line, then the environment and this
// version of the script's options where the flags are silent.
func freshConfig(cmd *cobra.Command, st *State, script *js.Script) (*config.Run, error) {
	return flagConfig(cmd, st, script)
}

// flagConfig builds a configuration from the command line's flags and, when
// script is not nil, the environment and the script's options; with a nil
// script it checks the flags alone.
func flagConfig(cmd *cobra.Command, st *State, script *js.Script) (*config.Run, error) {
	cfg := config.Default()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	runFlags(fs, &cfg)
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) {
		nf := fs.Lookup(f.Name)
		if nf == nil || err != nil {
			return
		}
		v := f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			v = strings.Join(sv.GetSlice(), ",")
		}
		err = setFlag(fs, nf, v)
		nf.Changed = true
	})
	if err != nil {
		return nil, usageError{err}
	}
	if script == nil {
		if err := cfg.Validate(); err != nil {
			return nil, usageError{err}
		}
		if !cfg.Headless {
			return nil, usageError{errors.New("--watch runs headless: add --headless")}
		}
		for _, th := range cfg.Thresholds {
			if _, err := threshold.ParseFlag(th); err != nil {
				return nil, usageError{err}
			}
		}
		return &cfg, nil
	}
	if err := resolveConfig(fs, st, script, &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// fileState is what waitChange compares.
type fileState struct {
	mod  time.Time
	size int64
	ok   bool
}

func stateOf(files []string) []fileState {
	out := make([]fileState, len(files))
	for i, f := range files {
		if fi, err := os.Stat(f); err == nil {
			out[i] = fileState{fi.ModTime(), fi.Size(), true}
		}
	}
	return out
}

// waitChange polls files until one changes (its path) or stop is closed
// ("").
func waitChange(files []string, stop <-chan struct{}) string {
	before := stateOf(files)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return ""
		case <-t.C:
			now := stateOf(files)
			for i := range now {
				if now[i] != before[i] {
					return files[i]
				}
			}
		}
	}
}
