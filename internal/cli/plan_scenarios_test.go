package cli

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustScenario(t *testing.T, src map[string]any) *k6Scenario {
	t.Helper()
	scs, err := parseK6Scenarios(map[string]any{"s": src}, []string{"default", "other"})
	if err != nil {
		t.Fatal(err)
	}
	return scs[0]
}

// Each executor's schedule, computed from its options, is the one k6
// documents: users or rates at given times, and the scenario's end.
func TestK6ScenarioSchedules(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name  string
		opts  map[string]any
		steps []scenarioStep
		end   time.Duration
	}{
		{"shared-iterations defaults", map[string]any{"executor": "shared-iterations"},
			[]scenarioStep{{At: 0, Users: 1}}, 10 * time.Minute},
		{"per-vu-iterations", map[string]any{"executor": "per-vu-iterations", "vus": int64(3), "iterations": int64(2), "maxDuration": "5s"},
			[]scenarioStep{{At: 0, Users: 3}}, 5 * time.Second},
		{"constant-vus, duration in ms", map[string]any{"executor": "constant-vus", "vus": int64(4), "duration": int64(1500)},
			[]scenarioStep{{At: 0, Users: 4}}, 1500 * ms},
		{"ramping-vus up, hold, down", map[string]any{"executor": "ramping-vus", "startVUs": int64(0), "stages": []any{
			map[string]any{"duration": "2s", "target": int64(4)},
			map[string]any{"duration": "1s", "target": int64(4)},
			map[string]any{"duration": "1s", "target": int64(2)},
		}}, []scenarioStep{{0, 0, false, 0}, {500 * ms, 1, false, 0}, {1000 * ms, 2, false, 0}, {1500 * ms, 3, false, 0}, {2000 * ms, 4, false, 0},
			{3500 * ms, 3, false, 0}, {4000 * ms, 2, false, 0}}, 4 * time.Second},
		{"ramping-vus, a zero-length stage jumps", map[string]any{"executor": "ramping-vus", "stages": []any{
			map[string]any{"duration": "0s", "target": int64(3)},
			map[string]any{"duration": "1s", "target": int64(3)},
		}}, []scenarioStep{{0, 3, false, 0}}, time.Second},
		{"constant-arrival-rate per minute", map[string]any{"executor": "constant-arrival-rate", "rate": int64(30), "timeUnit": "1m", "duration": "2s", "preAllocatedVUs": int64(2)},
			[]scenarioStep{{0, 0, true, 0.5}}, 2 * time.Second},
		{"ramping-arrival-rate in 100ms pieces at their middle rate", map[string]any{"executor": "ramping-arrival-rate", "startRate": int64(0), "preAllocatedVUs": int64(1), "stages": []any{
			map[string]any{"duration": "400ms", "target": int64(40)},
			map[string]any{"duration": "1s", "target": int64(40)},
		}}, []scenarioStep{{0, 0, true, 5}, {100 * ms, 0, true, 15}, {200 * ms, 0, true, 25}, {300 * ms, 0, true, 35}, {400 * ms, 0, true, 40}}, 1400 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			steps, end := mustScenario(t, tc.opts).schedule()
			if !reflect.DeepEqual(steps, tc.steps) || end != tc.end {
				t.Errorf("schedule = %+v, end %v; want %+v, end %v", steps, end, tc.steps, tc.end)
			}
		})
	}
}

// The ramping arrival rate's pieces start, over a stage, as many
// iterations as k6's linear ramp does: the integral of the rate.
func TestK6RampingArrivalRateIntegral(t *testing.T) {
	sc := mustScenario(t, map[string]any{"executor": "ramping-arrival-rate", "startRate": int64(10), "timeUnit": "1s", "preAllocatedVUs": int64(1),
		"stages": []any{map[string]any{"duration": "3s", "target": int64(70)}}})
	steps, end := sc.schedule()
	total := 0.0
	for i, s := range steps {
		next := end
		if i+1 < len(steps) {
			next = steps[i+1].At
		}
		total += s.Rate * (next - s.At).Seconds()
	}
	if want := (10.0 + 70.0) / 2 * 3; total < want-1e-6 || total > want+1e-6 {
		t.Errorf("iterations over the ramp = %g, want %g", total, want)
	}
}

// Scenarios are refused as k6 refuses them, each with one message naming
// the scenario and the option.
func TestK6ScenarioRefusals(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{}, "needs an executor"},
		{map[string]any{"executor": "constant-vu"}, `unknown executor "constant-vu" (did you mean "constant-vus"?)`},
		{map[string]any{"executor": "externally-controlled"}, "externally-controlled executor is not supported"},
		{map[string]any{"executor": "constant-vus"}, "needs a duration"},
		{map[string]any{"executor": "constant-vus", "duration": "500ms"}, "at least 1s"},
		{map[string]any{"executor": "constant-vus", "duration": "5s", "stages": []any{}}, `unknown option "stages" for the constant-vus executor`},
		{map[string]any{"executor": "shared-iterations", "vus": int64(3), "iterations": int64(2)}, "iterations (2) must be at least vus (3)"},
		{map[string]any{"executor": "per-vu-iterations", "vus": int64(0)}, "vus must be a whole number of at least 1"},
		{map[string]any{"executor": "ramping-vus"}, "needs stages"},
		{map[string]any{"executor": "ramping-vus", "stages": []any{map[string]any{"duration": "1s", "target": 1.5}}}, "target must be a whole number"},
		{map[string]any{"executor": "constant-arrival-rate", "rate": int64(1), "duration": "1s"}, "needs preAllocatedVUs"},
		{map[string]any{"executor": "constant-arrival-rate", "rate": int64(1), "duration": "1s", "preAllocatedVUs": int64(5), "maxVUs": int64(2)}, "maxVUs (2) must be at least preAllocatedVUs (5)"},
		{map[string]any{"executor": "constant-arrival-rate", "duration": "1s", "preAllocatedVUs": int64(1)}, "needs a rate above 0"},
		{map[string]any{"executor": "per-vu-iterations", "exec": "othr"}, `exec: othr is not a function the script exports (did you mean "other"?)`},
		{map[string]any{"executor": "per-vu-iterations", "env": map[string]any{"A": int64(1)}}, "env.A must be a string"},
		{map[string]any{"executor": "per-vu-iterations", "startTime": "-1s"}, "startTime"},
	} {
		_, err := parseK6Scenarios(map[string]any{"s": tc.opts}, []string{"default", "other"})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "options.scenarios.s") {
			t.Errorf("%v: error %v, want one with %q", tc.opts, err, tc.want)
		}
	}
	if _, err := parseK6Scenarios(map[string]any{"a b": map[string]any{"executor": "constant-vus"}}, nil); err == nil || !strings.Contains(err.Error(), "letters, digits") {
		t.Errorf("a bad name: %v", err)
	}
}

// Scenarios run in the order of their start times (then of their names).
func TestK6ScenarioOrder(t *testing.T) {
	scs, err := parseK6Scenarios(map[string]any{
		"late":  map[string]any{"executor": "shared-iterations", "startTime": "2s"},
		"b":     map[string]any{"executor": "shared-iterations"},
		"a":     map[string]any{"executor": "shared-iterations"},
		"later": map[string]any{"executor": "shared-iterations", "startTime": int64(3000)},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range scs {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "a b late later" {
		t.Errorf("order %q", got)
	}
}

// inspect shows a k6 script's scenarios with their computed schedules,
// and its thresholds.
func TestK6InspectScenarios(t *testing.T) {
	t.Parallel()
	p := script(t, `import http from "k6/http";
export const options = {
  scenarios: {
    up: { executor: "ramping-vus", startVUs: 0, stages: [{ duration: "2s", target: 2 }] },
    api: { executor: "constant-arrival-rate", exec: "api", rate: 10, duration: "1m", preAllocatedVUs: 2, startTime: "5s" },
  },
  thresholds: { "http_req_duration{name:x}": ["p(95)<200"] },
};
export function api() {}
export default function () {}
`)
	r := run(t, nil, nil, "inspect", p)
	for _, want := range []string{
		"  up (ramping-vus): from 0 VUs to 2 over 2s, gracefulRampDown 30s, gracefulStop 30s\n    schedule: 0s: 0 VUs, 1s: 1 VUs, 2s: 2 VUs; ends at 2s",
		"  api (constant-arrival-rate): 10 iterations per 1s for 1m0s, 2 VUs preallocated, at most 2, starting at 5s, gracefulStop 30s, exec api",
		`http_req_duration{name:x}: ["p(95)<200"]`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, r.stdout)
		}
	}
	// The scenarios and thresholds are not repeated as raw options, and
	// the user class that runs the scenarios is not listed.
	for _, not := range []string{"User classes", "Options", `\u003c`} {
		if strings.Contains(r.stdout, not) {
			t.Errorf("inspect shows %q:\n%s", not, r.stdout)
		}
	}
	r = run(t, nil, nil, "inspect", "--json", p)
	var desc struct {
		Scenarios []struct {
			Name, Executor, Exec, StartTime, End string
			Steps                                []scenarioStep
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &desc); err != nil || len(desc.Scenarios) != 2 {
		t.Fatalf("inspect --json: %v\n%s", err, r.stdout)
	}
	up, api := desc.Scenarios[0], desc.Scenarios[1]
	if up.Name != "up" || up.Executor != "ramping-vus" || up.End != "2s" || len(up.Steps) != 3 || up.Steps[2].Users != 2 ||
		api.Name != "api" || api.Exec != "api" || api.StartTime != "5s" || !api.Steps[0].Arrival || api.Steps[0].Rate != 10 {
		t.Errorf("inspect --json scenarios: %+v", desc.Scenarios)
	}
}

// What does not go with scenarios is refused before the test.
func TestK6ScenariosRefuseOtherLoads(t *testing.T) {
	t.Parallel()
	p := script(t, `import http from "k6/http";
export const options = { scenarios: { a: { executor: "per-vu-iterations" } } };
export default function () { http.get("http://127.0.0.1:1/"); }
`)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--headless", "-u", "3"}, "--users with a k6 script's options.scenarios"},
		{[]string{"--headless", "-i", "3"}, "--iterations with a k6 script's options.scenarios"},
		{nil, "runs headless"},
		{[]string{"--headless", "--reset-stats"}, "--reset-stats with a k6 script's options.scenarios"},
		{[]string{"--headless", "--processes", "2"}, "cannot run distributed yet"},
	} {
		r := run(t, nil, nil, append([]string{"run", p}, tc.args...)...)
		if r.code != ExitInvalid || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 with %q:\n%s", tc.args, r.code, tc.want, r.stderr)
		}
	}
}

// A second Ctrl-C reaches a scenario that waits out its gracefulStop:
// its iterations are interrupted at once, not after the minute.
func TestK6ScenarioKillDuringGracefulStop(t *testing.T) {
	t.Parallel()
	p := script(t, `import { sleep } from "k6";
export const options = { scenarios: { busy: { executor: "constant-vus", vus: 1, duration: "1s", gracefulStop: "1m" } } };
export default function () { for (;;) {} }
`)
	sig := make(chan os.Signal, 2)
	r := start(t, nil, sig, "run", p, "--headless")
	r.waitStderr(t, "Scenario busy: its time is over; 1 user get up to 1m0s (gracefulStop)")
	sig <- os.Interrupt
	sig <- os.Interrupt
	res := r.wait(t)
	if res.code != ExitInterrupted || !strings.Contains(res.stderr, "1 iteration was interrupted at its end") {
		t.Errorf("exit %d:\n%s", res.code, res.stderr)
	}
}
