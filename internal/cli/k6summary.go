package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fatih/color"

	"github.com/jsload/jsload/internal/k6summary"
	"github.com/jsload/jsload/internal/output"
)

// The end of a test in k6's terms: a script's handleSummary(data), and
// --summary k6 (k6's compact summary instead of jsload's final tables).

// handleSummaryTimeout bounds handleSummary(), as k6's default
// handleSummaryTimeout.
const handleSummaryTimeout = 2 * time.Minute

// summaryConsole is the console of a run that ends with k6's summary or
// the script's handleSummary: the running tables are jsload's; the final
// ones are replaced.
type summaryConsole struct {
	*output.Console
	r *testRun
}

// Final runs handleSummary when the script has one: the outputs it
// returns are written ("stdout" and "stderr" to those, others as files
// relative to the working directory) and nothing else is printed; when it
// returns a falsy value, or fails (logged, and the exit code says an
// output failed), the default summary is printed: k6's layout with
// --summary k6, else jsload's tables.
func (c *summaryConsole) Final(e *output.End) error {
	r := c.r
	data := r.k6Data(e)
	if r.script.HasHandleSummary {
		done, err := r.handleSummary(data)
		if err == nil && done {
			return nil
		}
		if err != nil {
			r.summaryFailed.Store(true)
			r.log.Errorf("%v; printing the default summary", err)
		}
	}
	if r.cfg.Summary != "k6" {
		return c.Console.Final(e)
	}
	if c.BeforePrint != nil {
		c.BeforePrint()
	}
	_, err := io.WriteString(c.W, k6summary.Text(data, k6summary.TextOptions{Indent: " ", Color: c.ThresholdColor}))
	return err
}

// k6Data is handleSummary's data for the end of the run e.
func (r *testRun) k6Data(e *output.End) *k6summary.Data {
	s := e.Snapshot
	vus, vusMin, vusMax := s.Users, s.Users, max(s.Users, e.Meta.Users, r.vusMax)
	if e.History != nil {
		for _, p := range e.History.Points(s.Start) {
			vusMin, vusMax = min(vusMin, p.Users), max(vusMax, p.Users)
		}
	}
	var more []func(*k6summary.Data)
	// k6's iterations: those of a k6 script that ran to their end, as
	// k6/execution counts them in this process (a master runs none).
	if x := r.env.K6; x != nil && r.script.K6 && !r.cfg.Cluster.Master && x.Completed() > 0 {
		n := x.Completed()
		more = append(more, func(d *k6summary.Data) {
			if _, ok := d.Metrics["iterations"]; !ok {
				d.Metrics["iterations"] = k6summary.CounterMetric(n, s.Elapsed())
			}
		})
	}
	return k6summary.Build(k6summary.Input{
		Snapshot:    s,
		Thresholds:  k6summary.Verdicts(e.Thresholds, s),
		Duration:    s.Elapsed(),
		VUs:         vus,
		VUsMin:      vusMin,
		VUsMax:      vusMax,
		TrendStats:  r.cfg.SummaryTrendStats,
		TimeUnit:    r.cfg.SummaryTimeUnit,
		SetupData:   r.env.SetupData,
		IsStdOutTTY: isTerminal(r.st.Stdout),
		IsStdErrTTY: isTerminal(r.st.Stderr),
		NoColor:     color.NoColor || !isTerminal(r.st.Stdout),
		More:        more,
	})
}

// handleSummary calls the script's handleSummary(data) and writes what it
// returned; done is false when it returned nothing (a falsy value).
func (r *testRun) handleSummary(data *k6summary.Data) (done bool, err error) {
	b, err := json.Marshal(data)
	if err != nil {
		return false, fmt.Errorf("handleSummary(): encoding its data: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), handleSummaryTimeout)
	defer cancel()
	files, err := r.script.RunHandleSummary(ctx, r.env, b)
	if err != nil {
		if ctx.Err() != nil {
			return false, fmt.Errorf("handleSummary() did not return within %v", handleSummaryTimeout)
		}
		return false, fmt.Errorf("handleSummary() failed: %v", err)
	}
	if files == nil {
		return false, nil
	}
	var failed []string
	for _, f := range files {
		var werr error
		switch f.Path {
		case "stdout":
			_, werr = r.st.Stdout.Write(f.Content)
		case "stderr":
			_, werr = r.st.Stderr.Write(f.Content)
		default:
			if werr = os.WriteFile(f.Path, f.Content, 0o644); werr == nil {
				r.log.Infof("handleSummary() output written to %s", f.Path)
			}
		}
		if werr != nil {
			failed = append(failed, fmt.Sprintf("%q: %v", f.Path, output.WithoutPath(werr)))
		}
	}
	if len(failed) > 0 {
		r.summaryFailed.Store(true)
		for _, f := range failed {
			r.log.Errorf("writing handleSummary()'s output %s", f)
		}
	}
	return true, nil
}
