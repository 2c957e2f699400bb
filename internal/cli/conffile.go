package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/js"
)

// readConfigFile reads the run's configuration file: --config FILE (or
// JSLOAD_CONFIG), else jsload.conf in the current folder when there is
// one. It returns nil when there is none.
func readConfigFile(fs *pflag.FlagSet, getenv func(string) string) (*config.File, error) {
	path := ""
	if f := fs.Lookup("config"); f != nil && f.Changed {
		path = f.Value.String()
	} else if v := getenv(envName("config")); v != "" {
		path = v
	}
	if path == "" {
		if _, err := os.Stat(config.DefaultFile); err != nil {
			return nil, nil
		}
		path = config.DefaultFile
	}
	return config.ReadFile(path)
}

// setFromFile sets flag f from the configuration file's entry e.
func setFromFile(fs *pflag.FlagSet, f *pflag.Flag, file *config.File, e config.Entry) error {
	v := e.Value
	if e.Bare {
		if f.NoOptDefVal == "" {
			return fmt.Errorf("%s: %s needs a value: write %s = VALUE", file.Where(e), e.Key, e.Key)
		}
		v = f.NoOptDefVal
	}
	if err := setFlag(fs, f, v); err != nil {
		return fmt.Errorf("%s: %v", file.Where(e), err)
	}
	return nil
}

// checkFileKeys makes sure every key of the configuration file names a
// flag of fs or a parameter of the script (nil for none).
func checkFileKeys(file *config.File, fs *pflag.FlagSet, script *js.Script) error {
	if file == nil {
		return nil
	}
	known := map[string]bool{}
	var names []string
	for _, n := range extraRunFlags {
		known[n] = true
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "config" {
			known[f.Name] = true
			if !f.Hidden {
				names = append(names, f.Name)
			}
		}
	})
	if script != nil {
		for _, p := range script.Params {
			known[p.Flag] = true
			names = append(names, p.Flag)
		}
	}
	for _, e := range file.Entries {
		if known[e.Key] {
			continue
		}
		if e.Key == "config" {
			return fmt.Errorf("%s: config cannot be set in a configuration file", file.Where(e))
		}
		what := "not a flag of jsload run"
		if script != nil {
			what += " or a parameter of " + script.Path
		}
		return fmt.Errorf("%s: unknown key %q: %s%s", file.Where(e), e.Key, what, config.DidYouMean(e.Key, names))
	}
	return nil
}

// applyFileToExtras sets the flags of `jsload run` read before the run's
// options are (--worker, --watch and the profiles) from the environment
// and the configuration file, where the command line is silent.
func applyFileToExtras(fs *pflag.FlagSet, getenv func(string) string, file *config.File) error {
	// --worker too: it decides which way the command goes.
	for _, name := range append([]string{"worker"}, extraRunFlags...) {
		f := fs.Lookup(name)
		if f == nil || f.Changed {
			continue
		}
		if v := getenv(envName(name)); v != "" {
			if err := setFlag(fs, f, v); err != nil {
				return fmt.Errorf("%s=%q: %v", envName(name), v, err)
			}
			continue
		}
		if e, ok := file.Lookup(name); ok {
			if err := setFromFile(fs, f, file, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// extraRunFlags are the flags of `jsload run` that runFlags does not
// declare.
var extraRunFlags = []string{"watch", "cpuprofile", "memprofile"}

var errNoConfigInOptions = errors.New("options.config in the script: the configuration file is named with --config or JSLOAD_CONFIG, not in the script")

// fileHost is the configuration file's host, for the script's top-level
// code, when the command line and the environment give none.
func fileHost(fs *pflag.FlagSet, getenv func(string) string) string {
	file, err := readConfigFile(fs, getenv)
	if err != nil || file == nil {
		return "" // reported by resolveConfig
	}
	if e, ok := file.Lookup("host"); ok {
		return strings.TrimSpace(e.Value)
	}
	return ""
}

// workerKeys is the configuration file as a worker reads it: only the
// flags a worker takes (the master reads the rest from its own file).
func workerKeys(file *config.File) *config.File {
	if file == nil {
		return nil
	}
	out := &config.File{Path: file.Path}
	for _, e := range file.Entries {
		if workerFlags[e.Key] {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// runHelp prints the help of `jsload run`, with the parameters of the
// script when one is named.
func runHelp(cmd *cobra.Command, st *State, args []string) error {
	if err := cmd.Help(); err != nil {
		return err
	}
	if len(args) == 0 {
		return nil
	}
	sig := watchSignals(st)
	defer sig.close()
	script, err := loadScript(sig.stopCtx, cmd.Flags(), st, args[0])
	if err != nil {
		return err
	}
	printParams(st.Stdout, script)
	return nil
}
