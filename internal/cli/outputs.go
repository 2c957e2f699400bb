package cli

import (
	"io"
	"os"

	"github.com/fatih/color"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/output"
)

// outputKind is one kind of output a headless run writes: its name (in
// error messages), whether the configuration asks for it, whether it is a
// file the web panel does not write yet, and how to open it. A new output
// is a file in internal/output, its flag, and a line here.
type outputKind struct {
	name  string
	asked func(cfg *config.Run) bool
	file  bool // written by headless runs only
	open  func(r *testRun) (output.Output, error)
}

var outputKinds = []outputKind{
	{name: "console", asked: always, open: openConsole},
	{name: "status line", asked: always, open: openStatus},
	{name: "csv", file: true, asked: func(c *config.Run) bool { return c.CSV != "" }, open: func(r *testRun) (output.Output, error) {
		return output.NewCSV(r.cfg.CSV, r.cfg.CSVFullHistory)
	}},
	{name: "json", file: true, asked: func(c *config.Run) bool { return c.JSON != "" }, open: openJSON},
	{name: "html", file: true, asked: func(c *config.Run) bool { return c.HTML != "" }, open: openHTML},
	{name: "prometheus", asked: func(c *config.Run) bool { return c.Prometheus != "" }, open: openPrometheus},
}

func always(*config.Run) bool { return true }

// fileOutputAsked tells whether cfg asks for an output the web panel does
// not write.
func fileOutputAsked(cfg *config.Run) bool {
	for _, k := range outputKinds {
		if k.file && k.asked(cfg) {
			return true
		}
	}
	return false
}

// openOutputs opens every output the run's configuration asks for, before
// the test starts, so that a bad path fails at once; on an error, those
// already open are closed.
func (r *testRun) openOutputs() error {
	for _, k := range outputKinds {
		if !k.asked(r.cfg) {
			continue
		}
		o, err := k.open(r)
		if err != nil {
			r.outs.Close()
			return err
		}
		if o != nil {
			r.outs.Add(k.name, o)
		}
	}
	return nil
}

// tablesTo is where the console tables go: standard error when the JSON
// summary takes standard output.
func tablesTo(st *State, cfg *config.Run) io.Writer {
	if cfg.JSON == "-" {
		return st.Stderr
	}
	return st.Stdout
}

func openConsole(r *testRun) (output.Output, error) {
	w := tablesTo(r.st, r.cfg)
	c := &output.Console{
		W: w, Every: r.cfg.PrintStats, OnlySummary: r.cfg.OnlySummary,
		Color: isTerminal(w), ThresholdColor: !color.NoColor && isTerminal(w),
		BeforePrint: func() { r.log.setStatus("") },
	}
	if r.cfg.Summary == "k6" || r.script.HasHandleSummary {
		return &summaryConsole{Console: c, r: r}, nil // k6summary.go
	}
	return c, nil
}

// openStatus shows the live status line on a terminal (not with -v, whose
// request lines it would cut).
func openStatus(r *testRun) (output.Output, error) {
	if r.st.Stderr != os.Stderr || !isTerminal(os.Stderr) || r.cfg.Verbose {
		return nil, nil
	}
	return &statusOutput{log: r.log, runTime: r.cfg.RunTime}, nil
}

func openJSON(r *testRun) (output.Output, error) {
	j, err := output.NewJSON(r.cfg.JSON, r.st.Stdout)
	if err != nil {
		return nil, err
	}
	if r.cfg.JSON != "-" {
		j.Written = func(path string) { r.log.Infof("JSON summary written to %s", path) }
	}
	return j, nil
}

func openHTML(r *testRun) (output.Output, error) {
	h, err := output.NewHTML(r.cfg.HTML)
	if err != nil {
		return nil, err
	}
	h.Written = func(path string) { r.log.Infof("HTML report written to %s", path) }
	return h, nil
}

func openPrometheus(r *testRun) (output.Output, error) {
	p, err := output.NewPrometheus(r.cfg.Prometheus, r.live)
	if err != nil {
		return nil, err
	}
	r.log.Infof("Prometheus metrics at http://%s/metrics", p.Addr())
	return p, nil
}
