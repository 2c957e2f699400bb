package cli

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/js"
)

// k6 scripts (js.Script.K6) keep k6's option names: vus, duration and
// iterations become jsload's users, run time and iteration budget. k6
// options jsload does not map yet are refused by name, never ignored.

// k6Unsupported are k6 options jsload does not read yet, with why.
var k6Unsupported = map[string]string{
	"setupTimeout": "", "teardownTimeout": "", "noSetup": "", "noTeardown": "",
	"batchPerHost": "", "rps": "", "noConnectionReuse": "", "noVUConnectionReuse": "", "minIterationDuration": "",
	"systemTags": "", "hosts": "", "dns": "", "tags": "",
	"handleSummaryTimeout": "", "tlsAuth": "", "tlsCipherSuites": "", "tlsVersion": "", "httpDebug": "",
	"linger": "", "paused": "", "executionSegment": "", "executionSegmentSequence": "", "localIPs": "",
	"blockHostnames": "", "blacklistIPs": "", "cloud": "", "ext": "", "consoleOutput": "", "discardResponseBody": "",
}

// k6ReadByUsers are k6 options the users read from the script themselves
// (js), left out of jsload's options.
var k6ReadByUsers = map[string]string{"noCookiesReset": "bool", "throw": "bool", "maxRedirects": "count", "batch": "positive count", "userAgent": "string"}

// k6Renamed are the k6 options jsload reads, with jsload's names.
var k6Renamed = map[string]string{"vus": "users", "duration": "runTime", "iterations": "iterations"}

// k6ScriptOptions turns a k6 script's options into jsload's: vus, duration
// (a duration string, or a number of milliseconds) and iterations are
// renamed; a k6 option jsload does not read is an error naming it.
func k6ScriptOptions(opts map[string]any, metrics map[string]js.MetricInfo) (map[string]any, error) {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(opts))
	for _, k := range keys {
		v := opts[k]
		if kind, ok := k6ReadByUsers[k]; ok {
			least := 0.0
			if kind == "positive count" {
				least = 1
			}
			switch n, isNum := v.(float64); {
			case kind == "bool":
				if _, ok := v.(bool); !ok {
					return nil, fmt.Errorf("options.%s in the script must be true or false, got %v", k, v)
				}
			case kind == "string":
				if s, ok := v.(string); !ok || s == "" {
					return nil, fmt.Errorf("options.%s in the script must be a non-empty string, got %v", k, v)
				}
			case !isNum:
				if i, isInt := v.(int64); isInt && float64(i) >= least && i <= 1000 {
					break
				}
				fallthrough
			case n < least || n > 1000 || n != math.Trunc(n):
				return nil, fmt.Errorf("options.%s in the script must be a whole number from %v to 1000, got %v", k, least, v)
			}
			continue
		}
		if why, ok := k6Unsupported[k]; ok {
			if why == "" {
				why = "this k6 option is not supported by jsload yet"
			}
			return nil, fmt.Errorf("options.%s in the script: %s", k, why)
		}
		if k == "scenarios" {
			if err := k6ScenarioConflicts(opts); err != nil {
				return nil, err
			}
			continue // read by the plan (makePlan), with the script's exports
		}
		if k == "thresholds" {
			th, err := k6Thresholds(v, metrics)
			if err != nil {
				return nil, err
			}
			out[k] = th
			continue
		}
		if k == "stages" {
			st, err := k6Stages(v, opts)
			if err != nil {
				return nil, err
			}
			out[k] = st
			continue
		}
		to, ok := k6Renamed[k]
		if !ok {
			out[k] = v // jsload's own options work in k6 scripts too
			continue
		}
		if _, both := opts[to]; both && to != k {
			return nil, fmt.Errorf("options.%s in the script: k6's %s and jsload's %s are the same setting: use one", k, k, to)
		}
		if k == "duration" {
			v = k6DurationText(v)
		}
		out[to] = v
	}
	return out, nil
}

// k6DurationText is a k6 duration as jsload reads it: k6 reads a bare
// number as milliseconds.
func k6DurationText(v any) any {
	switch d := v.(type) {
	case int64, float64:
		return fmt.Sprintf("%vms", d)
	case string:
		if _, err := config.ParseDuration(d); err == nil && !strings.ContainsAny(d, "hmsuµnd") {
			return d + "ms"
		}
	}
	return v
}

// k6Stages turns k6's stages ([{ duration, target }], the ramping-vus
// executor: the number of users moves linearly from the previous target,
// 1 at the start, to each stage's target over its duration) into jsload's
// stages of users: each stage's target at the spawn rate that reaches it
// at the stage's end, which starts the k-th new user when k6's linear
// ramp does.
func k6Stages(v any, opts map[string]any) ([]any, error) {
	for _, other := range []string{"duration", "iterations"} {
		if _, ok := opts[other]; ok {
			return nil, fmt.Errorf("options.stages in the script: k6 refuses stages with %s, and so does jsload: use one", other)
		}
	}
	if _, ok := opts["vus"]; ok {
		return nil, fmt.Errorf("options.stages in the script: vus as the number of users stages start from is not supported yet: drop vus (stages then start from 1 user, as in k6)")
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return nil, fmt.Errorf("options.stages in the script must be a non-empty array of { duration, target }")
	}
	prev := 1.0
	out := make([]any, 0, len(list))
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("options.stages[%d] in the script must be an object { duration, target }", i)
		}
		for k := range m {
			if k != "duration" && k != "target" {
				return nil, fmt.Errorf("options.stages[%d].%s in the script: a k6 stage has only duration and target%s", i, k, config.DidYouMean(k, []string{"duration", "target"}))
			}
		}
		dt, err := optionString(k6DurationText(m["duration"]))
		var d time.Duration
		if err == nil {
			d, err = config.ParseDuration(dt)
		}
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("options.stages[%d].duration in the script: want a positive duration such as \"30s\", got %v", i, m["duration"])
		}
		n, ok := num(m["target"])
		if !ok || n < 0 || n != math.Trunc(n) || n > config.MaxUsers {
			return nil, fmt.Errorf("options.stages[%d].target in the script must be a whole number from 0 to %d, got %v", i, config.MaxUsers, m["target"])
		}
		rate := float64(k6AllAtOnce)
		if n != prev {
			rate = math.Abs(n-prev) / d.Seconds()
		}
		out = append(out, map[string]any{"duration": dt, "users": n, "spawnRate": rate})
		prev = n
	}
	return out, nil
}

// k6AllAtOnce is the spawn rate of a k6 script: users a nanosecond apart
// (a finite rate, as the cluster sends it as JSON).
const k6AllAtOnce = 1e9

// k6Defaults completes a k6 script's load after every source was read:
// k6 starts all its VUs at once, so unless a spawn rate was set it is
// k6AllAtOnce; and a run that neither a run time nor an iteration
// budget bounds runs users iterations in total, as k6 does (with no
// options: one user, one iteration).
//
// The web panel starts and stops the test itself, so there the run is not
// bounded; a distributed run takes no iteration budget yet, so there a
// k6 script needs a duration.
func k6Defaults(fs *pflag.FlagSet, cfg *config.Run, opts map[string]any, scenarios bool) error {
	if scenarios {
		return k6ScenarioFlags(fs, cfg)
	}
	if _, ok := opts["stages"]; ok {
		return nil // the stages set the users and end the run
	}
	if !fs.Lookup("spawn-rate").Changed {
		cfg.SpawnRate = k6AllAtOnce
	}
	if fs.Lookup("run-time").Changed || fs.Lookup("iterations").Changed || !cfg.Headless || cfg.Cluster.Worker {
		return nil
	}
	if cfg.Cluster.Master {
		return fmt.Errorf("a k6 script with neither options.duration nor options.iterations runs its vus' iterations once each, and a distributed run takes no iteration budget yet: set options.duration or -t")
	}
	cfg.Iterations = int64(max(cfg.Users, 1))
	return nil
}
