// Package cli is jsload's command line: it parses flags, environment and
// script options into a configuration, wires the script, the engine, the
// statistics and the outputs together, and turns errors into exit codes. It
// is the only package that touches os.Args, os.Exit and signals.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
)

// Exit codes. ExitOnError is only the default of --exit-code-on-error.
const (
	ExitOK       = 0 // the test ran and nothing failed
	ExitOnError  = 1 // a request failed or a task threw (see --exit-code-on-error)
	ExitInvalid  = 2 // bad flags, options or script, found before the test started
	ExitInternal = 3 // a bug in jsload
	// ExitThreshold: the test ran, and a threshold failed.
	ExitThreshold = 4
	// ExitWorkerLost: a distributed test ran, and a worker was lost during
	// it (its statistics count up to its last report).
	ExitWorkerLost = 5
	// ExitOutput: the test ran, and an output file could not be written
	// (or handleSummary() failed).
	ExitOutput = 6
	// ExitInterrupted: a run stopped by SIGINT (Ctrl-C) before its planned
	// end; SIGTERM gives 143 (128 plus the signal's number).
	ExitInterrupted = 130
)

// Version is jsload's version, set at build time with -ldflags.
var Version = "dev"

// userAgent is the User-Agent header of the requests jsload makes for a
// script that sets none: "jsload/" followed by Version.
func userAgent() string { return "jsload/" + Version }

// State is what a command reads and writes: tests run the CLI in-process by
// filling it with buffers.
type State struct {
	Args   []string // without the program name
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Signals delivers interrupts; nil means the process's SIGINT and
	// SIGTERM.
	Signals <-chan os.Signal

	// paramArgs are the flags of `jsload run` that are not built in: the
	// script's parameters (splitRunArgs).
	paramArgs []string
}

// usageError marks an error in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitError carries a chosen exit code; its message, if any, was printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit code %d", e.code) }

// Main runs jsload with the process's arguments and returns the exit code.
func Main() int {
	return Run(&State{Args: os.Args[1:], Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
}

// Run runs one jsload command line in-process and returns its exit code.
func Run(st *State) (code int) {
	if st.Getenv == nil {
		st.Getenv = osGetenv
	}
	if st.Signals == nil {
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(ch)
		st.Signals = ch
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(st.Stderr, "jsload: internal error: %v\nThis is a bug in jsload; please report it with this trace:\n%s", r, debug.Stack())
			code = ExitInternal
		}
	}()
	root := newRoot(st)
	root.SetArgs(st.Args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintf(st.Stderr, "jsload: %v\n", err)
		cmd, _, _ := root.Find(st.Args)
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(st.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return ExitInvalid
	}
	fmt.Fprintf(st.Stderr, "jsload: %v\n", err)
	return ExitInvalid
}

// isCobraUsage recognises cobra's and pflag's own parse errors.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "unknown command", "accepts ", "requires at least", "bad flag syntax"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func newRoot(st *State) *cobra.Command {
	root := &cobra.Command{
		Use:   "jsload",
		Short: "Load testing with Locust-style users and tasks, written in JavaScript",
		Long: `jsload runs load tests written in JavaScript or TypeScript, the way Locust runs them
in Python: user classes or exported tasks with weights, wait times, onStart/onStop,
and Locust's statistics in the console.

  jsload run scripts/locustfile.js --host http://localhost:8080 --headless -u 10 -r 2 -t 30s`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetOut(st.Stdout)
	root.SetErr(st.Stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{flagHint(cmd, plainValueError(err))} })
	root.AddCommand(newRunCmd(st), newInspectCmd(st), newReportCmd(st), newInitCmd(st))
	return root
}

// unknownFlag matches pflag's message for a flag it does not know.
var unknownFlag = regexp.MustCompile(`^unknown flag: --([^\s=]+)$`)

// flagHint adds "did you mean" to an unknown flag's message, from the
// command's flags.
func flagHint(cmd *cobra.Command, err error) error {
	m := unknownFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, "--"+f.Name)
		}
	})
	if hint := config.DidYouMean("--"+m[1], names); hint != "" {
		return fmt.Errorf("%v%s", err, hint)
	}
	return err
}
