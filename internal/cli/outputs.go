package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/output/csvout"
	"github.com/jsload/jsload/internal/output/prom"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// outputs are the files and endpoints a run writes besides the console:
// all opened before the test starts, so that a bad path fails at once.
type outputs struct {
	cfg   *config.Run
	csv   *csvout.Writer
	hist  *report.History
	json  io.Writer // nil when not asked for; standard output for "-"
	html  *os.File
	files []*os.File // to close
	prom  *http.Server
	meta  report.Meta
	log   *logger
	tErrs map[string]bool // write errors already reported
}

// openOutputs creates the output files and starts the Prometheus endpoint.
// source gives the live statistics for scrapes.
func openOutputs(cfg *config.Run, stdout io.Writer, meta report.Meta, log *logger, source func() *stats.Snapshot) (*outputs, error) {
	o := &outputs{cfg: cfg, hist: report.NewHistory(), meta: meta, log: log, tErrs: map[string]bool{}}
	var err error
	if cfg.CSV != "" {
		if o.csv, err = csvout.New(cfg.CSV, cfg.CSVFullHistory); err != nil {
			return nil, err
		}
	}
	create := func(flag, path string) (*os.File, error) {
		f, err := os.Create(path)
		if err != nil {
			o.close()
			return nil, fmt.Errorf("--%s: cannot write %s: %v", flag, path, unwrapPath(err))
		}
		o.files = append(o.files, f)
		return f, nil
	}
	if cfg.JSON == "-" {
		o.json = stdout
	} else if cfg.JSON != "" {
		if o.json, err = create("json", cfg.JSON); err != nil {
			return nil, err
		}
	}
	if cfg.HTML != "" {
		if cfg.HTML == "-" {
			o.close()
			return nil, errors.New("--html needs a file name")
		}
		if o.html, err = create("html", cfg.HTML); err != nil {
			return nil, err
		}
	}
	if cfg.Prometheus != "" {
		ln, err := net.Listen("tcp", cfg.Prometheus)
		if err != nil {
			o.close()
			return nil, fmt.Errorf("--prometheus %s: %v", cfg.Prometheus, unwrapNet(err))
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", prom.Handler(source))
		o.prom = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = o.prom.Serve(ln) }()
		log.Infof("Prometheus metrics at http://%s/metrics", ln.Addr())
	}
	return o, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func unwrapNet(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// tick records one second of the run: history, and the CSV files.
func (o *outputs) tick(s *stats.Snapshot) {
	o.hist.Add(s)
	if o.csv != nil {
		o.report("csv", o.csv.Tick(s))
	}
}

// report logs a write error once per output; the test goes on.
func (o *outputs) report(what string, err error) {
	if err != nil && !o.tErrs[what] {
		o.tErrs[what] = true
		o.log.Errorf("writing the %s output: %v", what, err)
	}
}

// final writes the end of every output. It reports false when an output
// could not be written (the run's exit code then says so).
func (o *outputs) final(s *stats.Snapshot, results []threshold.Result) bool {
	defer o.close()
	o.hist.Add(s)
	if o.csv != nil {
		o.report("csv", o.csv.Final(s))
	}
	if o.json == nil && o.html == nil {
		return len(o.tErrs) == 0
	}
	meta := o.meta
	meta.End = s.Time
	meta.Users = max(meta.Users, s.Users)
	sum := report.Build(meta, s, o.hist, results)
	if o.json != nil {
		o.report("json", report.WriteJSON(o.json, sum))
	}
	if o.html != nil {
		if err := report.WriteHTML(o.html, sum); err != nil {
			o.report("html", err)
		} else {
			o.log.Infof("HTML report written to %s", o.html.Name())
		}
	}
	return len(o.tErrs) == 0
}

func (o *outputs) close() {
	if o.csv != nil {
		o.report("csv", o.csv.Close())
	}
	for _, f := range o.files {
		o.report(filepath.Base(f.Name()), f.Close())
	}
	o.csv = nil
	o.files = nil
	if o.prom != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = o.prom.Shutdown(ctx)
		cancel()
		o.prom = nil
	}
}

// tablesTo is where the console tables go: standard error when the JSON
// summary takes standard output.
func tablesTo(st *State, cfg *config.Run) io.Writer {
	if cfg.JSON == "-" {
		return st.Stderr
	}
	return st.Stdout
}
