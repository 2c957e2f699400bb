package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/js"
)

func newInspectCmd(st *State) *cobra.Command {
	asJSON := false
	cmd := &cobra.Command{
		Use:   "inspect SCRIPT",
		Short: "List a script's user classes, tasks and options without sending a request",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("inspect takes exactly one script, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sig := watchSignals(st)
			defer sig.close()
			s, err := loadScript(sig.stopCtx, cmd.Flags(), st, args[0])
			if err != nil {
				return err
			}
			opts := s.Options
			if s.K6 {
				var err error
				if sc := k6StagesScenario(opts); sc != nil {
					opts = withScenarios(opts, sc)
				}
				if opts, err = k6ScriptOptions(opts, s.Metrics); err != nil {
					return usageError{err}
				}
			}
			if err := checkOptionNames(newRunCmd(st).Flags(), opts); err != nil {
				return usageError{err}
			}
			if _, err := paramFlags(s, newRunCmd(st).Flags(), map[string]string{}); err != nil {
				return usageError{err}
			}
			var scs []*k6Scenario
			if s.K6 {
				if scs, err = k6InspectScenarios(s); err != nil {
					return usageError{err}
				}
			}
			if asJSON {
				enc := json.NewEncoder(st.Stdout)
				enc.SetIndent("", "  ")
				desc := map[string]any{"script": s.Path, "classes": s.Classes, "sets": s.Sets, "options": s.Options, "setup": s.HasSetup, "teardown": s.HasTeardown, "handleSummary": s.HasHandleSummary, "parameters": s.Params, "grpcMethods": s.GRPCMethods()}
				if s.K6 {
					desc["scenarios"] = k6ScenariosJSON(scs)
				}
				return enc.Encode(desc)
			}
			printInspect(st, s)
			if s.K6 {
				printK6Scenarios(st.Stdout, scs, s.Options["thresholds"])
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the description as JSON")
	return cmd
}

func printInspect(st *State, s *js.Script) {
	w := st.Stdout
	fmt.Fprintf(w, "Script %s\n", s.Path)
	totalW := 0
	for _, c := range s.Classes {
		if c.FixedCount == 0 {
			totalW += c.Weight
		}
	}
	// A k6 script's scenarios are its users (printed after this, with
	// its thresholds): the user class that runs them says nothing more.
	_, scenarios := s.Options["scenarios"]
	classes := s.Classes
	if s.K6 && scenarios {
		classes = nil
	} else {
		fmt.Fprintln(w, "\nUser classes:")
	}
	for _, c := range classes {
		share := ""
		switch {
		case c.FixedCount > 0:
			share = fmt.Sprintf("fixed count %d", c.FixedCount)
		case totalW > 0:
			share = fmt.Sprintf("weight %d (%.0f%% of the users not fixed)", c.Weight, 100*float64(c.Weight)/float64(totalW))
		default:
			share = fmt.Sprintf("weight %d", c.Weight)
		}
		host := ""
		if c.Host != "" {
			host = ", host " + c.Host
		}
		wait := ", no wait between tasks"
		if c.WaitTime != "" {
			wait = ", waitTime " + c.WaitTime
		}
		fmt.Fprintf(w, "  %s: %s%s%s\n", c.Name, share, host, wait)
		printSet(w, s, c.Root, "    ", map[int]bool{})
	}
	keys := make([]string, 0, len(s.Options))
	for k := range s.Options {
		if s.K6 && (k == "scenarios" || k == "thresholds") {
			continue // their own sections follow
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	switch {
	case len(s.Options) == 0:
		fmt.Fprintln(w, "\nOptions: none")
	case len(keys) > 0:
		fmt.Fprintln(w, "\nOptions:")
		for _, k := range keys {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // "p(95)<500", not "p(95)\u003c500"
			_ = enc.Encode(s.Options[k])
			fmt.Fprintf(w, "  %s: %s\n", k, strings.TrimSuffix(b.String(), "\n"))
		}
	}
	if len(s.Params) > 0 {
		fmt.Fprintln(w, "Parameters:")
		for _, p := range s.Params {
			fmt.Fprintf(w, "  --%s %s (default %q)  %s\n", p.Flag, p.Type, p.Default, p.Help)
		}
	}
	hooks := []string{}
	if s.HasSetup {
		hooks = append(hooks, "setup()")
	}
	if s.HasTeardown {
		hooks = append(hooks, "teardown(data)")
	}
	if s.HasHandleSummary {
		hooks = append(hooks, "handleSummary(data)")
	}
	if len(hooks) > 0 {
		fmt.Fprintf(w, "\nHooks: %s\n", strings.Join(hooks, ", "))
	}
	if ms := s.GRPCMethods(); len(ms) > 0 {
		fmt.Fprintf(w, "\ngRPC methods (grpc.load):\n  %s\n", strings.Join(ms, "\n  "))
	}
}

// printSet lists a task set's tasks, and the task sets they enter, indented.
func printSet(w io.Writer, s *js.Script, id int, indent string, seen map[int]bool) {
	set := s.Sets[id]
	seen[id] = true
	defer delete(seen, id)
	tw := 0
	for _, t := range set.Tasks {
		tw += t.Weight
	}
	for _, t := range set.Tasks {
		var share string
		switch set.Kind {
		case "sequential":
			share = fmt.Sprintf("runs %dx in order", t.Weight)
		case "markov":
			var to []string
			for _, tr := range t.Transitions {
				to = append(to, fmt.Sprintf("%s %d", tr.To, tr.Weight))
			}
			share = "then " + strings.Join(to, ", ")
			if s.Sets[id].Initial >= 0 && set.Tasks[set.Initial].Name == t.Name {
				share = "(first) " + share
			}
		default:
			pct := 0.0
			if tw > 0 {
				pct = 100 * float64(t.Weight) / float64(tw)
			}
			share = fmt.Sprintf("weight %-4d %5.1f%%", t.Weight, pct)
		}
		extra := ""
		if len(t.Tags) > 0 {
			extra += "  tags: " + strings.Join(t.Tags, ", ")
		}
		if t.Set >= 0 {
			sub := s.Sets[t.Set]
			extra += fmt.Sprintf("  -> %s (%s task set)", sub.Name, sub.Kind)
		}
		fmt.Fprintf(w, "%s%-30s %s%s\n", indent, t.Name, share, extra)
		if t.Set >= 0 && !seen[t.Set] {
			printSet(w, s, t.Set, indent+"    ", seen)
		}
	}
}

// checkOptionNames refuses a script option that is neither a flag of
// run nor a script-only option, as run does (applySources): inspect
// reports what run would refuse.
func checkOptionNames(fs *pflag.FlagSet, opts map[string]any) error {
	known := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			known[optionName(f.Name)] = true
		}
	})
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] && !scriptOnlyOptions[k] {
			names := optionNames(fs)
			return fmt.Errorf("options.%s in the script: unknown option%s (known: %s)", k, config.DidYouMean(k, names), strings.Join(names, ", "))
		}
	}
	return nil
}
