package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/jsload/jsload/internal/output"
	"github.com/jsload/jsload/internal/output/report"
)

func newReportCmd(st *State) *cobra.Command {
	var html string
	cmd := &cobra.Command{
		Use:   "report RESULTS.json --html FILE",
		Short: "Render the HTML report of an earlier run from its JSON summary (--json)",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("report takes exactly one JSON summary, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if html == "" {
				return usageError{errors.New("report needs --html FILE")}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("reading %s: %v", args[0], output.WithoutPath(err))
			}
			defer f.Close()
			sum, err := report.ReadJSON(f)
			if err != nil {
				return fmt.Errorf("%s: %v", args[0], err)
			}
			out, err := os.Create(html)
			if err != nil {
				return fmt.Errorf("--html: cannot write %s: %v", html, output.WithoutPath(err))
			}
			if err := report.WriteHTML(out, sum); err != nil {
				out.Close()
				return fmt.Errorf("writing %s: %v", html, err)
			}
			if err := out.Close(); err != nil {
				return fmt.Errorf("writing %s: %v", html, err)
			}
			fmt.Fprintf(st.Stderr, "HTML report written to %s\n", html)
			return nil
		},
	}
	cmd.Flags().StringVar(&html, "html", "", "the HTML file to write")
	return cmd
}
