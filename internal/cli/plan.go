package cli

import (
	"fmt"
	"math"
	"time"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/threshold"
	"github.com/jsload/jsload/js"
)

// stage is one step of options.stages: for Duration, run Users users
// (spawned at SpawnRate), or start Rate iterations per second in an
// arrival-rate test.
type stage struct {
	Duration  time.Duration
	Users     int
	SpawnRate float64
	Rate      float64
}

// plan is how a run's load changes over time and how it is judged.
type plan struct {
	thresholds []threshold.Threshold
	stages     []stage
	shape      bool // the script exports shape()
	open       bool // arrival rate
}

// makePlan reads thresholds (options and --threshold), stages and the
// shape, and checks that they fit together.
func makePlan(cfg *config.Run, script *js.Script) (*plan, error) {
	p := &plan{shape: script.HasShape, open: cfg.ArrivalRate > 0}
	if v, ok := script.Options["thresholds"]; ok && v != nil {
		ts, err := threshold.FromOptions(v)
		if err != nil {
			return nil, err
		}
		p.thresholds = ts
	}
	for _, f := range cfg.Thresholds {
		t, err := threshold.ParseFlag(f)
		if err != nil {
			return nil, err
		}
		p.thresholds = append(p.thresholds, t)
	}
	if v, ok := script.Options["stages"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("options.stages must be a non-empty array of { duration, users, spawnRate } (or { duration, rate } with an arrival rate)")
		}
		rates := 0
		for i, it := range list {
			m, ok := it.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("options.stages[%d] must be an object", i)
			}
			st, err := parseStage(i, m)
			if err != nil {
				return nil, err
			}
			_, hasRate := m["rate"]
			_, hasUsers := m["users"]
			if hasRate && hasUsers {
				return nil, fmt.Errorf("options.stages[%d] has both users and rate: a stage sets users (closed model) or rate (arrival rate), not both", i)
			}
			if hasRate {
				rates++
			}
			p.stages = append(p.stages, st)
		}
		if rates > 0 && rates < len(p.stages) {
			return nil, fmt.Errorf("options.stages mixes stages of users and stages of rate: use one kind for the whole test")
		}
		if rates > 0 {
			p.open = true
		}
	}
	if cfg.SingleUser && (p.shape || p.open || len(p.stages) > 0) {
		// One user, one iteration: the script's load plan does not apply.
		p.shape, p.open, p.stages = false, false, nil
	}
	if p.shape && len(p.stages) > 0 {
		return nil, fmt.Errorf("the script has both export function shape() and options.stages: use one")
	}
	if p.shape && p.open {
		return nil, fmt.Errorf("shape() sets users, which an arrival-rate test does not use: use options.stages with rate instead")
	}
	return p, nil
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

// stageNumber is the 1-based number of the stage running at elapsed.
func (p *plan) stageNumber(elapsed time.Duration) int {
	var end time.Duration
	for i, st := range p.stages {
		end += st.Duration
		if elapsed < end {
			return i + 1
		}
	}
	return len(p.stages)
}

// stageAt returns the stage running at elapsed, or false after the last.
func (p *plan) stageAt(elapsed time.Duration) (stage, bool) {
	var end time.Duration
	for _, st := range p.stages {
		end += st.Duration
		if elapsed < end {
			return st, true
		}
	}
	return stage{}, false
}

func sameStep(a, b js.ShapeStep) bool {
	if a.Users != b.Users || a.SpawnRate != b.SpawnRate || len(a.Classes) != len(b.Classes) {
		return false
	}
	for i := range a.Classes {
		if a.Classes[i] != b.Classes[i] {
			return false
		}
	}
	return true
}
