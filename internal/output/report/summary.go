package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/threshold"
)

// Format and Version identify a summary document: its "format" and
// "version" fields. Version changes only when a field changes meaning or
// goes away; new fields may be added to version 1.
const (
	Format  = "jsload-summary"
	Version = 1
)

// Meta describes the run a summary is about. The CLI fills it in.
type Meta struct {
	Script  string    `json:"script"`  // the script as given on the command line
	Host    string    `json:"host"`    // the base URL (--host), "" if none
	Version string    `json:"version"` // jsload's version
	Start   time.Time `json:"start"`   // when the test started
	End     time.Time `json:"end"`     // when it ended
	Users   int       `json:"users"`   // the peak number of users asked for (-u)
	Args    []string  `json:"args"`    // the command line's arguments after the program name
	// Running marks the report of a test still running (the web panel's
	// report during a run): End is then the time of the report, and the
	// verdict says the test is running rather than how it finished.
	Running bool `json:"running,omitempty"`
	// Stopped says why a run ended before its planned end ("interrupted
	// by SIGINT", "aborted by the script: ...", ...); "" when it ran to
	// its end.
	Stopped string `json:"stopped,omitempty"`
	// Saturation is set when jsload warned during the run that the load
	// generator itself was saturated.
	Saturation *Saturation `json:"saturation,omitempty"`
}

// Saturation is what the run said about a saturated load generator: for
// how many seconds (ticks) of the run it was saturated, and the worst
// second's figures: the CPU used in percent of one core, the cores the
// process could use, and the 90th percentile of how long its goroutines
// waited for a core, in milliseconds.
type Saturation struct {
	Seconds    int     `json:"seconds"`
	CPUPercent float64 `json:"cpu_percent"`
	Cores      int     `json:"cores"`
	WaitP90Ms  float64 `json:"wait_p90_ms"`
}

// Thresholds are a summary's threshold results. In JSON each is an object
// with the threshold's "name" (the statistic, e.g. "http_req_duration") and
// "expr" (the condition as written, e.g. "p(95) < 500"), the "value"
// measured (Result.Measured), "passed", and "no_data": true when the
// statistic never appeared in the run (the value is then 0), absent
// otherwise. Reading a summary back fills only those fields of each
// Result.
type Thresholds []threshold.Result

// thresholdJSON is one threshold result as a summary writes it.
type thresholdJSON struct {
	Name   string  `json:"name"`
	Expr   string  `json:"expr"`
	Value  float64 `json:"value"`
	Passed bool    `json:"passed"`
	NoData bool    `json:"no_data,omitempty"`
}

// MarshalJSON writes ts as the summary's "thresholds" array; nil is null.
func (ts Thresholds) MarshalJSON() ([]byte, error) {
	if ts == nil {
		return []byte("null"), nil
	}
	out := make([]thresholdJSON, len(ts))
	for i, t := range ts {
		out[i] = thresholdJSON{Name: t.Name, Expr: t.Expr, Value: t.Measured, Passed: t.Passed, NoData: t.NoData}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a summary's "thresholds" array into ts; null makes
// ts nil.
func (ts *Thresholds) UnmarshalJSON(b []byte) error {
	var in []thresholdJSON
	if err := json.Unmarshal(b, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			te.Type = reflect.TypeFor[Thresholds]() // not the internal []thresholdJSON
		}
		return err
	}
	if in == nil {
		*ts = nil
		return nil
	}
	out := make(Thresholds, len(in))
	for i, t := range in {
		out[i] = threshold.Result{Threshold: threshold.Threshold{Name: t.Name, Expr: t.Expr}, Measured: t.Value, Passed: t.Passed, NoData: t.NoData}
	}
	*ts = out
	return nil
}

// Summary is the JSON summary of a run (see the package documentation for
// the schema).
type Summary struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	Meta       SummaryMeta `json:"meta"`
	Stats      []Stat      `json:"stats"`
	Aggregated Stat        `json:"aggregated"`
	Failures   []Failure   `json:"failures"`
	Exceptions []Exception `json:"exceptions"`
	Checks     []Check     `json:"checks"`
	Dropped    int64       `json:"dropped_iterations"`
	// RatesOver is the time in seconds the rps and failures_per_s of the
	// stats are over; under 1 (stats.MinRateSpan) they are not rates and
	// are written 0.
	RatesOver float64 `json:"rates_over_s"`
	// CutOff is the number of requests in flight when the test stopped,
	// which the stop interrupted (not in the statistics).
	CutOff int64 `json:"cut_off_requests"`
	// LostWorkers are the workers a distributed test lost (empty
	// otherwise): its statistics hold theirs up to their last report.
	LostWorkers []LostWorker `json:"lost_workers"`
	Thresholds  Thresholds   `json:"thresholds"`
	History     []Point      `json:"history"`
	// Metrics are the script's custom metrics (k6/metrics), absent when
	// it has none.
	Metrics []Metric `json:"metrics,omitempty"`
}

// Metric is a custom metric in a summary: its name ("name{tag:value}"
// for a sub-metric a threshold asked for), kind (counter, gauge, rate,
// trend), whether its values are milliseconds, and its values by k6's
// names (stats.Metric.Values).
type Metric struct {
	Name   string             `json:"name"`
	Kind   string             `json:"kind"`
	IsTime bool               `json:"is_time"`
	Values map[string]float64 `json:"values"`
}

// LostWorker is a worker lost during a distributed test.
type LostWorker struct {
	ID         string    `json:"id"`
	Host       string    `json:"host"`
	Users      int       `json:"users"`       // the users it ran when last heard of
	LastReport time.Time `json:"last_report"` // what it measured after is lost
	Why        string    `json:"why"`         // "missing" or "left"
}

// SummaryMeta is Meta plus the run's duration.
type SummaryMeta struct {
	Meta
	Duration float64 `json:"duration_s"` // End - Start in seconds
}

// Stat is the statistics of one (type, name), or of all requests together.
type Stat struct {
	Type     string  `json:"type"` // "" in the aggregated row
	Name     string  `json:"name"` // "Aggregated" in the aggregated row
	Requests int64   `json:"requests"`
	Failures int64   `json:"failures"`
	MinMS    float64 `json:"min_ms"`
	AvgMS    float64 `json:"avg_ms"`
	MedianMS float64 `json:"median_ms"`
	MaxMS    float64 `json:"max_ms"`
	AvgSize  float64 `json:"avg_size_bytes"`
	RPS      float64 `json:"rps"`            // requests per second over the run
	FailRate float64 `json:"failures_per_s"` // failures per second over the run
	// Percentiles of the response times in ms, keyed "50", "66", "75", "80",
	// "90", "95", "98", "99", "99.9", "99.99", "100"; empty without requests.
	Percentiles Percentiles `json:"percentiles_ms"`
	// Scheduled holds the same percentiles counted from each iteration's
	// scheduled start (arrival-rate tests only; absent otherwise).
	Scheduled Percentiles `json:"scheduled_percentiles_ms,omitempty"`
}

// Failure is one group of failed requests.
type Failure struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Error       string `json:"error"`
	Occurrences int64  `json:"occurrences"`
}

// Exception is one group of script exceptions.
type Exception struct {
	Count     int64  `json:"count"`
	Message   string `json:"message"`
	Position  string `json:"position"` // file:line:column, "" if unknown
	Traceback string `json:"traceback"`
}

// Check is the outcome counts of one named check.
type Check struct {
	Name   string  `json:"name"`
	Passes int64   `json:"passes"`
	Fails  int64   `json:"fails"`
	Rate   float64 `json:"rate"` // passes / (passes + fails), 0 with neither
}

// Point is one moment of the run's history.
type Point struct {
	Elapsed  float64 `json:"elapsed_s"` // seconds since meta.start
	Users    int     `json:"users"`
	RPS      float64 `json:"rps"`            // requests per second, recent (stats.Row.CurrentRPS)
	FailRate float64 `json:"failures_per_s"` // failures per second, recent
	// Response-time percentiles in ms over the window before the point
	// (see HistoryWindow); 0 when no request ended in it.
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	// The run's totals so far.
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
}

// Percentiles maps a percentile's label ("50", "99.9", "100") to a value
// in ms. It is written to JSON in increasing order of percentile.
type Percentiles map[string]float64

// PercentileKey is the label of quantile q in Percentiles: "50" for 0.5,
// "99.9" for 0.999.
func PercentileKey(q float64) string {
	return strconv.FormatFloat(math.Round(q*100*1e6)/1e6, 'f', -1, 64)
}

// MarshalJSON writes the percentiles ordered by their numeric value.
func (p Percentiles) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("{}"), nil
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		fa, ea := strconv.ParseFloat(a, 64)
		fb, eb := strconv.ParseFloat(b, 64)
		switch {
		case ea == nil && eb == nil && fa != fb:
			if fa < fb {
				return -1
			}
			return 1
		case (ea == nil) != (eb == nil):
			if ea == nil {
				return -1 // numbers before other keys
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := json.Marshal(p[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Build makes the summary of a run from its final snapshot, its history
// (nil for none) and its threshold results. Rates are over the run: the
// final snapshot's Start to Time, as in the final console table.
func Build(meta Meta, final *stats.Snapshot, h *History, th []threshold.Result) *Summary {
	if final == nil {
		final = &stats.Snapshot{}
	}
	if meta.Start.IsZero() {
		meta.Start = final.Start
	}
	if meta.End.IsZero() {
		meta.End = final.Time
	}
	if meta.Args == nil {
		meta.Args = []string{}
	}
	s := &Summary{
		Format:      Format,
		Version:     Version,
		Meta:        SummaryMeta{Meta: meta, Duration: round3(max(meta.End.Sub(meta.Start).Seconds(), 0))},
		Stats:       []Stat{},
		Failures:    []Failure{},
		Exceptions:  []Exception{},
		Checks:      []Check{},
		Dropped:     final.Dropped,
		LostWorkers: []LostWorker{},
		CutOff:      final.CutOff,
		Thresholds:  make(Thresholds, 0, len(th)),
		History:     []Point{},
	}
	for _, t := range th {
		if math.IsNaN(t.Measured) || math.IsInf(t.Measured, 0) {
			t.Measured, t.NoData = 0, true // JSON has no NaN; a NaN means no value
		}
		s.Thresholds = append(s.Thresholds, t)
	}
	elapsed := final.Elapsed()
	s.RatesOver = round3(max(elapsed.Seconds(), 0))
	for _, r := range final.Rows {
		s.Stats = append(s.Stats, stat(r, elapsed))
	}
	total := final.Total
	if total == nil {
		total = &stats.Row{Key: stats.Key{Name: "Aggregated"}, Hist: &stats.Histogram{}}
		for _, r := range final.Rows {
			total.Merge(r)
		}
	}
	s.Aggregated = stat(total, elapsed)
	for _, f := range final.Failures {
		s.Failures = append(s.Failures, Failure{f.Type, f.Name, f.Error, f.Count})
	}
	for _, x := range final.Exceptions {
		s.Exceptions = append(s.Exceptions, Exception{x.Count, x.Message, x.Position, x.Traceback})
	}
	for _, l := range final.LostWorkers {
		s.LostWorkers = append(s.LostWorkers, LostWorker(l))
	}
	for _, c := range final.Checks {
		s.Checks = append(s.Checks, Check{c.Name, c.Passes, c.Fails, c.Rate()})
	}
	for _, m := range final.Metrics {
		if m.Builtin {
			continue
		}
		vals := map[string]float64{}
		for _, v := range m.Values(elapsed) {
			vals[v.Name] = round3(v.Value)
		}
		s.Metrics = append(s.Metrics, Metric{Name: m.Name, Kind: m.Kind.String(), IsTime: m.IsTime, Values: vals})
	}
	if h != nil {
		s.History = h.Points(meta.Start)
	}
	return s
}

func stat(r *stats.Row, elapsed time.Duration) Stat {
	st := Stat{Type: r.Type, Name: r.Name, Requests: r.Requests, Failures: r.Failures, Percentiles: Percentiles{}}
	if r.Requests == 0 {
		return st
	}
	st.MinMS = msOf(r.Min)
	st.AvgMS = round3(r.AvgMS())
	st.MedianMS = msOf(r.Median())
	st.MaxMS = msOf(r.Max)
	st.AvgSize = round3(r.AvgSize())
	st.RPS, st.FailRate = r.RunRate(elapsed).Or0()
	st.RPS, st.FailRate = round3(st.RPS), round3(st.FailRate)
	for _, q := range stats.Percentiles {
		st.Percentiles[PercentileKey(q)] = msOf(r.Percentile(q))
	}
	if r.Sched != nil && r.Sched.Count() > 0 {
		st.Scheduled = Percentiles{}
		for _, q := range stats.Percentiles {
			st.Scheduled[PercentileKey(q)] = msOf(r.SchedPercentile(q))
		}
	}
	return st
}

// msOf is d in milliseconds, to the microsecond.
func msOf(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// WriteJSON writes s as indented JSON followed by a newline.
func WriteJSON(w io.Writer, s *Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding summary: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// ErrNotSummary is wrapped by ReadJSON's error when its input is not a
// jsload summary.
var ErrNotSummary = errors.New("not a jsload summary")

// ReadJSON reads a summary written by WriteJSON. It fails, saying why, when
// the input is not JSON, when it is JSON but not a jsload summary (no
// "format": "jsload-summary"), and when its version is not one this jsload
// reads.
func ReadJSON(r io.Reader) (*Summary, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%w: the input is empty", ErrNotSummary)
	}
	if !json.Valid(trimmed) {
		var syn *json.SyntaxError
		var v any
		err := json.Unmarshal(trimmed, &v)
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%w: not JSON (%v at byte %d)", ErrNotSummary, syn, syn.Offset)
		}
		return nil, fmt.Errorf("%w: not JSON", ErrNotSummary)
	}
	var head struct {
		Format  *string          `json:"format"`
		Version *json.RawMessage `json:"version"`
	}
	if trimmed[0] != '{' || json.Unmarshal(trimmed, &head) != nil {
		return nil, fmt.Errorf("%w: the JSON is not an object with \"format\": %q", ErrNotSummary, Format)
	}
	switch {
	case head.Format == nil:
		return nil, fmt.Errorf("%w: no \"format\" field (want %q)", ErrNotSummary, Format)
	case *head.Format != Format:
		return nil, fmt.Errorf("%w: its format is %q, want %q", ErrNotSummary, *head.Format, Format)
	case head.Version == nil:
		return nil, fmt.Errorf("%w: no \"version\" field", ErrNotSummary)
	}
	var version int
	if err := json.Unmarshal(*head.Version, &version); err != nil {
		return nil, fmt.Errorf("%w: its version %s is not a whole number", ErrNotSummary, *head.Version)
	}
	if version != Version {
		return nil, fmt.Errorf("unsupported jsload summary version %d (this jsload reads version %d)", version, Version)
	}
	var s Summary
	if err := json.Unmarshal(trimmed, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, fmt.Errorf("invalid jsload summary: field %s: %s where %s was expected", te.Field, te.Value, te.Type)
		}
		return nil, fmt.Errorf("invalid jsload summary: %w", err)
	}
	return &s, nil
}
