package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/js"
)

// k6's options.scenarios, read with k6's names, defaults and refusals
// (matched from k6's documentation). Each scenario becomes a schedule of
// its users (schedule), which scenariosPlan (plan_scenarios.go) runs on
// an engine of the scenario's own.

// k6Scenario is one scenario of options.scenarios, checked.
type k6Scenario struct {
	Name, Executor string
	StartTime      time.Duration
	GracefulStop   time.Duration
	Exec           string
	Env, Tags      map[string]string

	VUs        int           // shared-iterations, per-vu-iterations, constant-vus
	Iterations int64         // shared-iterations (in all), per-vu-iterations (each)
	Duration   time.Duration // constant-vus, constant-arrival-rate; maxDuration for the iterations ones
	StartVUs   int           // ramping-vus
	Stages     []k6Stage     // ramping-vus (target users), ramping-arrival-rate (target rate)
	RampDown   time.Duration // ramping-vus' gracefulRampDown
	Rate       float64       // constant-arrival-rate; startRate of ramping-arrival-rate
	TimeUnit   time.Duration
	PreVUs     int // preAllocatedVUs
	MaxVUs     int
}

// k6Stage is a stage of a ramping executor: reach Target over Duration.
type k6Stage struct {
	Duration time.Duration
	Target   float64
}

const (
	execShared      = "shared-iterations"
	execPerVU       = "per-vu-iterations"
	execConstVUs    = "constant-vus"
	execRampVUs     = "ramping-vus"
	execConstRate   = "constant-arrival-rate"
	execRampRate    = "ramping-arrival-rate"
	execExternal    = "externally-controlled"
	k6MinDuration   = time.Second
	k6DefaultMaxDur = 10 * time.Minute
	k6DefaultGrace  = 30 * time.Second
)

// k6ExecutorKeys are each executor's own options.
var k6ExecutorKeys = map[string][]string{
	execShared:    {"vus", "iterations", "maxDuration"},
	execPerVU:     {"vus", "iterations", "maxDuration"},
	execConstVUs:  {"vus", "duration"},
	execRampVUs:   {"startVUs", "stages", "gracefulRampDown"},
	execConstRate: {"rate", "timeUnit", "duration", "preAllocatedVUs", "maxVUs"},
	execRampRate:  {"startRate", "timeUnit", "stages", "preAllocatedVUs", "maxVUs"},
}

var k6ScenarioBaseKeys = []string{"executor", "startTime", "gracefulStop", "exec", "env", "tags"}

var k6ScenarioName = regexp.MustCompile(`^[0-9a-zA-Z_-]+$`)

// k6ScenarioConflicts refuses what k6 refuses beside options.scenarios:
// the shortcuts that make a scenario of their own.
func k6ScenarioConflicts(opts map[string]any) error {
	for _, k := range []string{"vus", "duration", "iterations", "stages"} {
		if _, ok := opts[k]; ok {
			return fmt.Errorf("options.scenarios in the script: options.%s is a shortcut for one scenario of its own, and k6 refuses it beside scenarios; so does jsload: set %s in a scenario", k, k)
		}
	}
	return nil
}

// parseK6Scenarios reads options.scenarios; funcs are the script's
// exported functions (what exec may name). Scenarios are in the order of
// their start times, then of their names.
func parseK6Scenarios(v any, funcs []string) ([]*k6Scenario, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, fmt.Errorf("options.scenarios in the script must be an object of named scenarios, such as { browse: { executor: \"constant-vus\", vus: 5, duration: \"30s\" } }")
	}
	var out []*k6Scenario
	for name, raw := range m {
		sc, err := parseK6Scenario(name, raw, funcs)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].StartTime != out[j].StartTime {
			return out[i].StartTime < out[j].StartTime
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func parseK6Scenario(name string, raw any, funcs []string) (*k6Scenario, error) {
	where := fmt.Sprintf("options.scenarios.%s in the script", name)
	if !k6ScenarioName.MatchString(name) {
		return nil, fmt.Errorf("%s: a scenario name may have only letters, digits, _ and -", where)
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object with an executor", where)
	}
	ex, _ := m["executor"].(string)
	if ex == "" {
		return nil, fmt.Errorf("%s needs an executor (one of %s)", where, strings.Join(k6ExecutorNames(), ", "))
	}
	if ex == execExternal {
		return nil, fmt.Errorf("%s: the externally-controlled executor is not supported (k6 removed it in v2.0): jsload's web panel is its counterpart, with a script of jsload users; or use ramping-vus", where)
	}
	own, ok := k6ExecutorKeys[ex]
	if !ok {
		return nil, fmt.Errorf("%s: unknown executor %q%s (known: %s)", where, ex, config.DidYouMean(ex, k6ExecutorNames()), strings.Join(k6ExecutorNames(), ", "))
	}
	known := append(append([]string(nil), k6ScenarioBaseKeys...), own...)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		found := false
		for _, kk := range known {
			found = found || k == kk
		}
		if !found {
			return nil, fmt.Errorf("%s: unknown option %q for the %s executor%s (it takes %s)", where, k, ex, config.DidYouMean(k, known), strings.Join(known, ", "))
		}
	}
	sc := &k6Scenario{Name: name, Executor: ex, Exec: "default", GracefulStop: k6DefaultGrace, VUs: 1, Iterations: 1,
		Duration: -1, StartVUs: 1, RampDown: k6DefaultGrace, TimeUnit: time.Second, PreVUs: -1, MaxVUs: -1, Rate: -1}
	var err error
	dur := func(k string, min time.Duration) (time.Duration, bool, error) {
		v, ok := m[k]
		if !ok {
			return 0, false, nil
		}
		s, err := optionString(k6DurationText(v))
		var d time.Duration
		if err == nil {
			d, err = config.ParseDuration(s)
		}
		if err != nil || d < min {
			lim := "0 or more"
			if min > 0 {
				lim = "at least " + min.String()
			}
			return 0, true, fmt.Errorf("%s.%s: want a duration of %s such as \"30s\" (a number is milliseconds), got %v", where, k, lim, v)
		}
		return d, true, nil
	}
	whole := func(k string, def int64, min int64) (int64, error) {
		v, ok := m[k]
		if !ok {
			return def, nil
		}
		f, ok := num(v)
		if !ok || f != math.Trunc(f) || f < float64(min) || f > config.MaxUsers*1000 {
			return 0, fmt.Errorf("%s.%s must be a whole number of at least %d, got %v", where, k, min, v)
		}
		return int64(f), nil
	}
	if sc.StartTime, _, err = dur("startTime", 0); err != nil {
		return nil, err
	}
	if d, ok, err := dur("gracefulStop", 0); err != nil {
		return nil, err
	} else if ok {
		sc.GracefulStop = d
	}
	if v, ok := m["exec"]; ok {
		s, isStr := v.(string)
		found := false
		for _, f := range funcs {
			found = found || f == s
		}
		if !isStr || !found {
			return nil, fmt.Errorf("%s.exec: %v is not a function the script exports%s", where, v, config.DidYouMean(fmt.Sprint(v), funcs))
		}
		sc.Exec = s
	}
	if sc.Exec == "default" && funcs != nil && !slices.Contains(funcs, "default") {
		return nil, fmt.Errorf("%s runs the default function (it has no exec), which the script does not export: export default function () { ... }, or set exec", where)
	}
	if sc.Env, err = k6StringMap(m["env"], where+".env"); err != nil {
		return nil, err
	}
	if sc.Tags, err = k6StringMap(m["tags"], where+".tags"); err != nil {
		return nil, err
	}
	var n int64
	switch ex {
	case execShared, execPerVU, execConstVUs:
		if n, err = whole("vus", 1, 1); err != nil {
			return nil, err
		}
		sc.VUs = int(n)
		if ex == execConstVUs {
			d, ok, err := dur("duration", k6MinDuration)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%s: the constant-vus executor needs a duration", where)
			}
			sc.Duration = d
			break
		}
		if sc.Iterations, err = whole("iterations", 1, 1); err != nil {
			return nil, err
		}
		if ex == execShared && sc.Iterations < int64(sc.VUs) {
			return nil, fmt.Errorf("%s: iterations (%d) must be at least vus (%d), as k6 requires", where, sc.Iterations, sc.VUs)
		}
		sc.Duration = k6DefaultMaxDur
		if d, ok, err := dur("maxDuration", k6MinDuration); err != nil {
			return nil, err
		} else if ok {
			sc.Duration = d
		}
	case execRampVUs:
		if n, err = whole("startVUs", 1, 0); err != nil {
			return nil, err
		}
		sc.StartVUs = int(n)
		if d, ok, err := dur("gracefulRampDown", 0); err != nil {
			return nil, err
		} else if ok {
			sc.RampDown = d
		}
		if sc.Stages, err = k6ScenarioStages(m["stages"], where, true); err != nil {
			return nil, err
		}
	case execConstRate, execRampRate:
		if d, ok, err := dur("timeUnit", time.Nanosecond); err != nil {
			return nil, err
		} else if ok {
			sc.TimeUnit = d
		}
		if ex == execConstRate {
			r, ok := num(m["rate"])
			if !ok || !(r > 0) || math.IsInf(r, 0) {
				return nil, fmt.Errorf("%s.rate: the constant-arrival-rate executor needs a rate above 0 (iterations per timeUnit), got %v", where, m["rate"])
			}
			sc.Rate = r
			d, ok, err := dur("duration", k6MinDuration)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("%s: the constant-arrival-rate executor needs a duration", where)
			}
			sc.Duration = d
		} else {
			sc.Rate = 0
			if v, ok := m["startRate"]; ok {
				r, ok := num(v)
				if !ok || r < 0 || math.IsInf(r, 0) {
					return nil, fmt.Errorf("%s.startRate must be 0 or more, got %v", where, v)
				}
				sc.Rate = r
			}
			if sc.Stages, err = k6ScenarioStages(m["stages"], where, false); err != nil {
				return nil, err
			}
		}
		if _, ok := m["preAllocatedVUs"]; !ok {
			return nil, fmt.Errorf("%s: the %s executor needs preAllocatedVUs (the users made before the start)", where, ex)
		}
		if n, err = whole("preAllocatedVUs", 0, 0); err != nil {
			return nil, err
		}
		sc.PreVUs = int(n)
		if n, err = whole("maxVUs", n, 0); err != nil {
			return nil, err
		}
		sc.MaxVUs = int(n)
		if sc.MaxVUs < sc.PreVUs {
			return nil, fmt.Errorf("%s: maxVUs (%d) must be at least preAllocatedVUs (%d), as k6 requires", where, sc.MaxVUs, sc.PreVUs)
		}
		if sc.MaxVUs == 0 {
			return nil, fmt.Errorf("%s: preAllocatedVUs and maxVUs are 0: no user could run an iteration", where)
		}
	}
	return sc, nil
}

func k6ExecutorNames() []string {
	names := make([]string, 0, len(k6ExecutorKeys))
	for k := range k6ExecutorKeys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// k6StringMap reads env or tags: an object of strings.
func k6StringMap(v any, where string) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object of strings", where)
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%s.%s must be a string, got %v", where, k, x)
		}
		out[k] = s
	}
	return out, nil
}

// k6ScenarioStages reads a ramping executor's stages; users says that
// targets are users (whole numbers), else rates.
func k6ScenarioStages(v any, where string, users bool) ([]k6Stage, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("%s needs stages: a non-empty array of { duration, target }", where)
	}
	var out []k6Stage
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s.stages[%d] must be an object { duration, target }", where, i)
		}
		for k := range m {
			if k != "duration" && k != "target" {
				return nil, fmt.Errorf("%s.stages[%d].%s: a stage has only duration and target%s", where, i, k, config.DidYouMean(k, []string{"duration", "target"}))
			}
		}
		s, err := optionString(k6DurationText(m["duration"]))
		var d time.Duration
		if err == nil {
			d, err = config.ParseDuration(s)
		}
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%s.stages[%d].duration: want a duration such as \"30s\", got %v", where, i, m["duration"])
		}
		t, ok := num(m["target"])
		if !ok || t < 0 || math.IsInf(t, 0) || (users && (t != math.Trunc(t) || t > config.MaxUsers)) {
			what := "0 or more"
			if users {
				what = fmt.Sprintf("a whole number from 0 to %d", config.MaxUsers)
			}
			return nil, fmt.Errorf("%s.stages[%d].target must be %s, got %v", where, i, what, m["target"])
		}
		out = append(out, k6Stage{Duration: d, Target: t})
	}
	return out, nil
}

// scenarioStep is one change of a scenario's load, At after its start:
// run Users users (all at once), or, with Arrival, start iterations at
// Rate per second from a pool of PreVUs users growing to MaxVUs (the
// first such step) or change the rate (the next ones).
type scenarioStep struct {
	At      time.Duration `json:"at"` // nanoseconds in inspect --json
	Users   int           `json:"users,omitempty"`
	Arrival bool          `json:"arrival,omitempty"`
	Rate    float64       `json:"rate,omitempty"` // iterations per second
}

// rampSteps is how long each constant-rate piece of a ramping arrival
// rate lasts at most: the engine starts iterations at a constant rate, so
// a linear ramp is run as pieces at the rate of their middle.
const rampSteps = 100 * time.Millisecond

// schedule is the scenario's load over time from its start: the steps,
// and when it ends (its duration, maxDuration or the end of its stages),
// after which running iterations get GracefulStop.
func (sc *k6Scenario) schedule() (steps []scenarioStep, end time.Duration) {
	perSec := func(r float64) float64 { return r / sc.TimeUnit.Seconds() }
	switch sc.Executor {
	case execShared, execPerVU, execConstVUs:
		return []scenarioStep{{At: 0, Users: sc.VUs}}, sc.Duration
	case execConstRate:
		return []scenarioStep{{At: 0, Arrival: true, Rate: perSec(sc.Rate)}}, sc.Duration
	case execRampVUs:
		steps = []scenarioStep{{At: 0, Users: sc.StartVUs}}
		prev, t0 := sc.StartVUs, time.Duration(0)
		for _, st := range sc.Stages {
			target := int(st.Target)
			delta := target - prev
			n := max(delta, -delta)
			for k := 1; k <= n; k++ {
				// The k-th user of the stage comes (or goes) when k6's
				// line from prev to target crosses prev±k.
				at := t0 + time.Duration(float64(st.Duration)*float64(k)/float64(n))
				u := prev + k
				if delta < 0 {
					u = prev - k
				}
				if last := &steps[len(steps)-1]; last.At == at {
					last.Users = u
				} else {
					steps = append(steps, scenarioStep{At: at, Users: u})
				}
			}
			prev = target
			t0 += st.Duration
		}
		return steps, t0
	case execRampRate:
		steps = []scenarioStep{{At: 0, Arrival: true, Rate: perSec(sc.Rate)}}
		prev, t0 := sc.Rate, time.Duration(0)
		for _, st := range sc.Stages {
			if st.Duration == 0 {
				prev = st.Target
				steps = append(steps, scenarioStep{At: t0, Arrival: true, Rate: perSec(prev)})
				continue
			}
			pieces := max(int(math.Ceil(float64(st.Duration)/float64(rampSteps))), 1)
			if st.Target == prev {
				pieces = 1
			}
			for k := 0; k < pieces; k++ {
				a := t0 + time.Duration(float64(st.Duration)*float64(k)/float64(pieces))
				mid := (float64(k) + 0.5) / float64(pieces)
				r := perSec(prev + (st.Target-prev)*mid)
				if last := &steps[len(steps)-1]; last.At == a {
					last.Rate = r
				} else if last.Rate != r {
					steps = append(steps, scenarioStep{At: a, Arrival: true, Rate: r})
				}
			}
			prev = st.Target
			t0 += st.Duration
		}
		return steps, t0
	}
	return nil, 0
}

// describe is the scenario in one line: what inspect and the run's log
// say.
func (sc *k6Scenario) describe() string {
	var what string
	switch sc.Executor {
	case execShared:
		what = fmt.Sprintf("%d iterations shared by %d VUs, maxDuration %v", sc.Iterations, sc.VUs, sc.Duration)
	case execPerVU:
		what = fmt.Sprintf("%d iterations for each of %d VUs, maxDuration %v", sc.Iterations, sc.VUs, sc.Duration)
	case execConstVUs:
		what = fmt.Sprintf("%d VUs for %v", sc.VUs, sc.Duration)
	case execRampVUs:
		parts := make([]string, len(sc.Stages))
		for i, s := range sc.Stages {
			parts[i] = fmt.Sprintf("%g over %v", s.Target, s.Duration)
		}
		what = fmt.Sprintf("from %d VUs to %s, gracefulRampDown %v", sc.StartVUs, strings.Join(parts, ", then "), sc.RampDown)
	case execConstRate:
		what = fmt.Sprintf("%g iterations per %v for %v, %d VUs preallocated, at most %d", sc.Rate, sc.TimeUnit, sc.Duration, sc.PreVUs, sc.MaxVUs)
	case execRampRate:
		parts := make([]string, len(sc.Stages))
		for i, s := range sc.Stages {
			parts[i] = fmt.Sprintf("%g over %v", s.Target, s.Duration)
		}
		what = fmt.Sprintf("from %g iterations per %v to %s, %d VUs preallocated, at most %d", sc.Rate, sc.TimeUnit, strings.Join(parts, ", then "), sc.PreVUs, sc.MaxVUs)
	}
	s := fmt.Sprintf("%s (%s): %s", sc.Name, sc.Executor, what)
	if sc.StartTime > 0 {
		s += fmt.Sprintf(", starting at %v", sc.StartTime)
	}
	s += fmt.Sprintf(", gracefulStop %v", sc.GracefulStop)
	if sc.Exec != "default" {
		s += ", exec " + sc.Exec
	}
	return s
}

// peak is the most users the scenario runs at once.
func (sc *k6Scenario) peak() int {
	switch sc.Executor {
	case execRampVUs:
		n := sc.StartVUs
		for _, s := range sc.Stages {
			n = max(n, int(s.Target))
		}
		return n
	case execConstRate, execRampRate:
		return sc.MaxVUs
	}
	return sc.VUs
}

// k6ScenarioFlags refuses what does not go with options.scenarios: the
// flags that set one load of their own (k6's --vus and --iterations
// replace the scenarios; jsload asks to choose), the web panel (which sets
// its own load) and distributed runs (scenarios are not split among
// workers yet). -t still limits the whole run.
func k6ScenarioFlags(fs *pflag.FlagSet, cfg *config.Run) error {
	for _, f := range []string{"users", "spawn-rate", "iterations", "arrival-rate", "max-vus"} {
		if fl := fs.Lookup(f); fl != nil && fl.Changed {
			return fmt.Errorf("--%s with a k6 script's options.scenarios: each scenario sets its own load; drop --%s (or options.scenarios)", f, f)
		}
	}
	if cfg.ResetStats {
		return fmt.Errorf("--reset-stats with a k6 script's options.scenarios: the scenarios have no common spawning phase to end; drop --reset-stats")
	}
	if cfg.Cluster.Master || cfg.Cluster.Worker {
		return fmt.Errorf("a k6 script with options.scenarios cannot run distributed yet (scenarios are not split among workers as k6's execution segments do): run it without --master/--processes")
	}
	if !cfg.Headless {
		return fmt.Errorf("a k6 script with options.scenarios runs headless (its scenarios set the load, not the web panel's form): add --headless")
	}
	return nil
}

// k6InspectScenarios are a k6 script's scenarios as k6 reads its options:
// options.scenarios, or the one scenario "default" its shortcuts make
// (iterations: shared-iterations; duration: constant-vus; stages:
// ramping-vus; none: per-vu-iterations, one iteration of one VU).
func k6InspectScenarios(s *js.Script) ([]*k6Scenario, error) {
	o := s.Options
	if v, ok := o["scenarios"]; ok {
		if err := k6ScenarioConflicts(o); err != nil {
			return nil, err
		}
		return parseK6Scenarios(v, s.ExportedFunctions())
	}
	sc := map[string]any{}
	if v, ok := o["vus"]; ok {
		sc["vus"] = v
	}
	switch {
	case o["stages"] != nil:
		sc = map[string]any{"executor": execRampVUs, "stages": o["stages"]}
		if v, ok := o["vus"]; ok {
			sc["startVUs"] = v
		}
	case o["iterations"] != nil:
		sc["executor"], sc["iterations"] = execShared, o["iterations"]
		if v, ok := o["duration"]; ok {
			sc["maxDuration"] = v
		}
	case o["duration"] != nil:
		sc["executor"], sc["duration"] = execConstVUs, o["duration"]
	case o["vus"] != nil:
		sc["executor"], sc["iterations"] = execShared, o["vus"]
	default:
		sc["executor"] = execPerVU
	}
	return parseK6Scenarios(map[string]any{"default": sc}, s.ExportedFunctions())
}

// k6ScenariosJSON is what inspect --json says of the scenarios.
func k6ScenariosJSON(scs []*k6Scenario) []map[string]any {
	out := []map[string]any{}
	for _, sc := range scs {
		steps, end := sc.schedule()
		out = append(out, map[string]any{"name": sc.Name, "executor": sc.Executor, "exec": sc.Exec, "startTime": sc.StartTime.String(),
			"gracefulStop": sc.GracefulStop.String(), "end": end.String(), "steps": steps, "description": sc.describe()})
	}
	return out
}

// printK6Scenarios lists the scenarios, each with its schedule, and the
// thresholds as the script writes them.
func printK6Scenarios(w io.Writer, scs []*k6Scenario, thresholds any) {
	fmt.Fprintln(w, "\nk6 scenarios:")
	for _, sc := range scs {
		fmt.Fprintf(w, "  %s\n", sc.describe())
		steps, end := sc.schedule()
		if len(steps) < 2 {
			continue
		}
		parts := []string{}
		for i, st := range steps {
			if i == 8 {
				parts = append(parts, fmt.Sprintf("... (%d changes)", len(steps)))
				break
			}
			if st.Arrival {
				parts = append(parts, fmt.Sprintf("%v: %.4g/s", st.At, st.Rate))
			} else {
				parts = append(parts, fmt.Sprintf("%v: %d VUs", st.At.Round(time.Millisecond), st.Users))
			}
		}
		fmt.Fprintf(w, "    schedule: %s; ends at %v\n", strings.Join(parts, ", "), end)
	}
	m, ok := thresholds.(map[string]any)
	if !ok || len(m) == 0 {
		return
	}
	fmt.Fprintln(w, "\nThresholds:")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(m[k])
		fmt.Fprintf(w, "  %s: %s\n", k, strings.TrimSpace(b.String()))
	}
}

// k6ShortcutExecutor is the executor of the one scenario k6 makes of a
// script's vus, duration, iterations and stages (as resolved with the
// command line's -u, -t and -i), for exec.scenario.executor.
func k6ShortcutExecutor(s *js.Script, cfg *config.Run) string {
	_, stages := s.Options["stages"]
	_, vus := s.Options["vus"]
	switch {
	case stages:
		return execRampVUs
	case cfg.Iterations == 1 && !vus && s.Options["iterations"] == nil && cfg.Users <= 1:
		return execPerVU // no load options: one iteration of one VU
	case cfg.Iterations > 0:
		return execShared
	case cfg.RunTime > 0:
		return execConstVUs
	}
	return ""
}

// k6StagesScenario is the scenario k6 makes of stages with vus (the users
// the ramp starts from): ramping-vus, named "default". jsload's stages
// start from no user, so this one runs as a scenario; nil when opts are
// not stages with vus alone.
func k6StagesScenario(opts map[string]any) map[string]any {
	_, stages := opts["stages"]
	_, vus := opts["vus"]
	if !stages || !vus {
		return nil
	}
	for _, k := range []string{"scenarios", "duration", "iterations"} {
		if _, ok := opts[k]; ok {
			return nil // refused as k6 refuses it (k6Stages, k6ScenarioConflicts)
		}
	}
	return map[string]any{"default": map[string]any{"executor": execRampVUs, "startVUs": opts["vus"], "stages": opts["stages"]}}
}

// withScenarios is opts with scenarios in place of stages and vus.
func withScenarios(opts map[string]any, scenarios map[string]any) map[string]any {
	o := make(map[string]any, len(opts))
	for k, v := range opts {
		if k != "stages" && k != "vus" {
			o[k] = v
		}
	}
	o["scenarios"] = scenarios
	return o
}
