package cli

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/js"
)

// loadPlan sets a test's load over time: users at a spawn rate, stages, a
// shape() or an arrival rate, each a type in a plan_*.go file. A run
// (testRun.wait) calls begin once, adjust once per tick, and close at the
// end. The swarm is an argument so that a plan made of several plans (k6's
// scenarios) can give each its own swarm.
type loadPlan interface {
	// begin starts the load on sw, whose users share env. ended reports that the plan has nothing
	// to run (it has said why); an error ends the run before it started.
	begin(ctx context.Context, sw swarm, env *js.Env) (ended bool, err error)
	// adjust is called once per tick with the time since the test's start
	// and changes the load if the plan says so. ended reports that the
	// plan is over (it has said why); an error stops the test as failed.
	adjust(ctx context.Context, elapsed time.Duration, sw swarm) (ended bool, err error)
	// finished is what to log when every user has stopped by itself.
	finished(sw swarm) string
	// peakUsers is the most users the plan runs at once (0 when only the
	// script knows, as with shape()).
	peakUsers() int
	// close releases what the plan holds.
	close()
}

// testPlan is what a run is asked to do: its load plan and the thresholds
// it is judged by.
type testPlan struct {
	load       loadPlan
	thresholds []threshold.Threshold
	arrival    bool // the load is an arrival rate
	panelReady bool // the web panel can run it (users at a spawn rate only)
}

// makePlan reads thresholds (options and --threshold), stages and the
// shape, checks that they fit together, and makes the load plan. log and
// env are what the plan will report to and run shape() with.
func makePlan(cfg *config.Run, script *js.Script, log *logger) (*testPlan, error) {
	p := &testPlan{}
	var err error
	if p.thresholds, err = readThresholds(cfg, script); err != nil {
		return nil, err
	}
	if v, ok := script.Options["scenarios"]; ok && script.K6 && !cfg.SingleUser {
		scs, err := parseK6Scenarios(v, script.ExportedFunctions())
		if err != nil {
			return nil, err
		}
		p.load = &scenariosPlan{scenarios: scs, log: log}
		return p, nil
	}
	stages, rates, err := readStages(script)
	if err != nil {
		return nil, err
	}
	hasShape, arrival := script.HasShape, cfg.ArrivalRate > 0 || rates
	if cfg.SingleUser {
		// One user, one iteration: the script's load plan does not apply.
		hasShape, arrival, stages = false, false, nil
	}
	if hasShape && len(stages) > 0 {
		return nil, fmt.Errorf("the script has both export function shape() and options.stages: use one")
	}
	if hasShape && arrival {
		return nil, fmt.Errorf("shape() sets users, which an arrival-rate test does not use: use options.stages with rate instead")
	}
	p.arrival = arrival
	switch {
	case hasShape:
		p.load = &shapePlan{script: script, log: log, runTime: cfg.RunTime}
	case arrival:
		p.load = newArrivalPlan(cfg, stages, log)
	case len(stages) > 0:
		p.load = &stagesPlan{stageTracker: stageTracker{stages: stages}, log: log}
	default:
		p.load = &usersPlan{users: cfg.Users, rate: cfg.SpawnRate, log: log}
		p.panelReady = true
	}
	if cfg.Iterations > 0 {
		p.load = &iterationsPlan{loadPlan: p.load, n: cfg.Iterations, log: log}
		p.panelReady = false
	}
	return p, nil
}

// readThresholds reads options.thresholds and --threshold.
func readThresholds(cfg *config.Run, script *js.Script) ([]threshold.Threshold, error) {
	var ts []threshold.Threshold
	if k6, ok := script.Options["thresholds"].([]threshold.Threshold); ok {
		ts = append(ts, k6...) // a k6 script's, read by k6Thresholds
	} else if v, ok := script.Options["thresholds"]; ok && v != nil {
		var err error
		if ts, err = threshold.FromOptions(v); err != nil {
			return nil, err
		}
	}
	for _, f := range cfg.Thresholds {
		t, err := threshold.ParseFlag(f)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// readStages reads options.stages; rates reports that they are stages of
// an arrival rate.
func readStages(script *js.Script) (stages []stage, rates bool, err error) {
	v, ok := script.Options["stages"]
	if !ok || v == nil {
		return nil, false, nil
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, false, fmt.Errorf("options.stages must be a non-empty array of { duration, users, spawnRate } (or { duration, rate } with an arrival rate)")
	}
	nRates := 0
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, false, fmt.Errorf("options.stages[%d] must be an object", i)
		}
		st, err := parseStage(i, m)
		if err != nil {
			return nil, false, err
		}
		_, hasRate := m["rate"]
		_, hasUsers := m["users"]
		if hasRate && hasUsers {
			return nil, false, fmt.Errorf("options.stages[%d] has both users and rate: a stage sets users (closed model) or rate (arrival rate), not both", i)
		}
		if hasRate {
			nRates++
		}
		stages = append(stages, st)
	}
	if nRates > 0 && nRates < len(stages) {
		return nil, false, fmt.Errorf("options.stages mixes stages of users and stages of rate: use one kind for the whole test")
	}
	return stages, nRates > 0, nil
}

// stage is one step of options.stages: for Duration, run Users users
// (spawned at SpawnRate), or start Rate iterations per second in an
// arrival-rate test.
type stage struct {
	Duration  time.Duration
	Users     int
	SpawnRate float64
	Rate      float64
}

func parseStage(i int, m map[string]any) (stage, error) {
	st := stage{SpawnRate: 1, Rate: -1}
	for k, v := range m {
		switch k {
		case "duration":
			s, err := optionString(v)
			if err == nil {
				st.Duration, err = config.ParseDuration(s)
			}
			if err != nil || st.Duration <= 0 {
				return st, fmt.Errorf("options.stages[%d].duration: want a positive duration such as \"30s\" or \"2m\", got %v", i, v)
			}
		case "users":
			f, ok := num(v)
			if !ok || f < 0 || f != math.Trunc(f) || f > config.MaxUsers {
				return st, fmt.Errorf("options.stages[%d].users must be a whole number from 0 to %d, got %v", i, config.MaxUsers, v)
			}
			st.Users = int(f)
		case "spawnRate":
			f, ok := num(v)
			if !ok || !(f > 0) {
				return st, fmt.Errorf("options.stages[%d].spawnRate must be above 0, got %v", i, v)
			}
			st.SpawnRate = f
		case "rate":
			f, ok := num(v)
			if !ok || f < 0 || math.IsInf(f, 0) {
				return st, fmt.Errorf("options.stages[%d].rate must be 0 or more iterations per second, got %v", i, v)
			}
			st.Rate = f
		default:
			return st, fmt.Errorf("options.stages[%d]: unknown key %q (known: duration, users, spawnRate, rate)", i, k)
		}
	}
	if st.Duration == 0 {
		return st, fmt.Errorf("options.stages[%d] needs a duration", i)
	}
	return st, nil
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// stageTracker follows a list of stages over the test's elapsed time.
type stageTracker struct {
	stages []stage
	last   stage // the stage in force
}

// first puts the first stage in force and returns it.
func (t *stageTracker) first() stage {
	t.last = t.stages[0]
	return t.last
}

// at returns the stage running at elapsed and its 1-based number, with
// changed set when it is not the one in force (it is from now on); over
// reports that the last stage has ended (it logs so).
func (t *stageTracker) at(elapsed time.Duration, log *logger) (stg stage, n int, changed, over bool) {
	var end time.Duration
	for i, s := range t.stages {
		end += s.Duration
		if elapsed < end {
			changed = s != t.last
			t.last = s
			return s, i + 1, changed, false
		}
	}
	log.Infof("the last stage is over, shutting down")
	return stage{}, 0, false, true
}

func classList(cs []string) string {
	if len(cs) == 0 {
		return ""
	}
	return " (classes " + strings.Join(cs, ", ") + ")"
}
