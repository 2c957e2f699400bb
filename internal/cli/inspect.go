package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

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
			s, err := js.Load(args[0])
			if err != nil {
				fmt.Fprintln(st.Stderr, err.Error())
				return exitError{ExitInvalid}
			}
			if asJSON {
				enc := json.NewEncoder(st.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"script": s.Path, "classes": s.Classes, "options": s.Options, "setup": s.HasSetup, "teardown": s.HasTeardown})
			}
			printInspect(st, s)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the description as JSON")
	return cmd
}

func printInspect(st *State, s *js.Script) {
	w := st.Stdout
	fmt.Fprintf(w, "Script %s\n\n", s.Path)
	totalW := 0
	for _, c := range s.Classes {
		if c.FixedCount == 0 {
			totalW += c.Weight
		}
	}
	fmt.Fprintln(w, "User classes:")
	for _, c := range s.Classes {
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
		fmt.Fprintf(w, "  %s: %s%s\n", c.Name, share, host)
		tw := 0
		for _, t := range c.Tasks {
			tw += t.Weight
		}
		for _, t := range c.Tasks {
			tags := ""
			if len(t.Tags) > 0 {
				tags = "  tags: " + strings.Join(t.Tags, ", ")
			}
			pct := 0.0
			if tw > 0 {
				pct = 100 * float64(t.Weight) / float64(tw)
			}
			fmt.Fprintf(w, "    %-30s weight %-4d %5.1f%%%s\n", t.Name, t.Weight, pct, tags)
		}
	}
	fmt.Fprintln(w)
	if len(s.Options) == 0 {
		fmt.Fprintln(w, "Options: none")
	} else {
		fmt.Fprintln(w, "Options:")
		keys := make([]string, 0, len(s.Options))
		for k := range s.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b, _ := json.Marshal(s.Options[k])
			fmt.Fprintf(w, "  %s: %s\n", k, b)
		}
	}
	hooks := []string{}
	if s.HasSetup {
		hooks = append(hooks, "setup()")
	}
	if s.HasTeardown {
		hooks = append(hooks, "teardown(data)")
	}
	if len(hooks) > 0 {
		fmt.Fprintf(w, "\nHooks: %s\n", strings.Join(hooks, ", "))
	}
}
