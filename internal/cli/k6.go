package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
)

// k6 scripts (js.Script.K6) keep k6's option names: vus, duration and
// iterations become jsload's users, run time and iteration budget. k6
// options jsload does not map yet are refused by name, never ignored.

// k6Unsupported are k6 options jsload does not read yet, with why.
var k6Unsupported = map[string]string{
	"scenarios":    "k6's scenarios are not supported yet (vus with duration or iterations is)",
	"stages":       "k6's stages ({ duration, target }) are not supported yet",
	"thresholds":   "k6's threshold syntax is not supported yet (use --threshold with jsload's syntax)",
	"setupTimeout": "", "teardownTimeout": "", "noSetup": "", "noTeardown": "", "maxRedirects": "",
	"batch": "", "batchPerHost": "", "throw": "", "discardResponseBodies": "", "noCookiesReset": "",
	"rps": "", "userAgent": "", "noConnectionReuse": "", "noVUConnectionReuse": "", "minIterationDuration": "",
	"summaryTrendStats": "", "summaryTimeUnit": "", "systemTags": "", "hosts": "", "dns": "", "tags": "",
	"handleSummaryTimeout": "", "tlsAuth": "", "tlsCipherSuites": "", "tlsVersion": "", "httpDebug": "",
	"linger": "", "paused": "", "executionSegment": "", "executionSegmentSequence": "", "localIPs": "",
	"blockHostnames": "", "blacklistIPs": "", "cloud": "", "ext": "", "consoleOutput": "", "discardResponseBody": "",
}

// k6Renamed are the k6 options jsload reads, with jsload's names.
var k6Renamed = map[string]string{"vus": "users", "duration": "runTime", "iterations": "iterations"}

// k6ScriptOptions turns a k6 script's options into jsload's: vus, duration
// (a duration string, or a number of milliseconds) and iterations are
// renamed; a k6 option jsload does not read is an error naming it.
func k6ScriptOptions(opts map[string]any) (map[string]any, error) {
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(opts))
	for _, k := range keys {
		v := opts[k]
		if why, ok := k6Unsupported[k]; ok {
			if why == "" {
				why = "this k6 option is not supported by jsload yet"
			}
			return nil, fmt.Errorf("options.%s in the script: %s", k, why)
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
			switch d := v.(type) {
			case int64, float64:
				v = fmt.Sprintf("%vms", d) // k6 reads a bare number as milliseconds
			case string:
				if _, err := config.ParseDuration(d); err == nil && !strings.ContainsAny(d, "hmsuµnd") {
					v = d + "ms"
				}
			}
		}
		out[to] = v
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
func k6Defaults(fs *pflag.FlagSet, cfg *config.Run) {
	if !fs.Lookup("spawn-rate").Changed {
		cfg.SpawnRate = k6AllAtOnce
	}
	if !fs.Lookup("run-time").Changed && !fs.Lookup("iterations").Changed {
		cfg.Iterations = int64(max(cfg.Users, 1))
	}
}
