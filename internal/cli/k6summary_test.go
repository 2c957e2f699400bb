package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestSummaryFlagValues(t *testing.T) {
	t.Parallel()
	p := script(t, `import "k6";
export default function () {}
`)
	res := run(t, map[string]string{"JSLOAD_SUMMARY": "k7"}, nil, "run", p, "--headless")
	if res.code != ExitInvalid || !strings.Contains(res.stderr, `JSLOAD_SUMMARY`) || !strings.Contains(res.stderr, `did you mean "k6"?`) {
		t.Errorf("JSLOAD_SUMMARY=k7: exit %d\n%s", res.code, res.stderr)
	}
	res = run(t, nil, nil, "run", p, "--headless", "--summary", "jsloda")
	if res.code != ExitInvalid || !strings.Contains(res.stderr, `--summary must be jsload or k6, got "jsloda" (did you mean "jsload"?)`) {
		t.Errorf("--summary jsloda: exit %d\n%s", res.code, res.stderr)
	}
	res = run(t, nil, nil, "run", p, "--headless", "--summary-time-unit", "sec")
	if res.code != ExitInvalid || !strings.Contains(res.stderr, `--summary-time-unit must be s, ms or us, got "sec"`) {
		t.Errorf("--summary-time-unit sec: exit %d\n%s", res.code, res.stderr)
	}
	res = run(t, nil, nil, "run", p, "--headless", "--summary-trend-stats", "avg,p(101)")
	if res.code != ExitInvalid || !strings.Contains(res.stderr, `"p(101)" is not a trend statistic`) {
		t.Errorf("--summary-trend-stats p(101): exit %d\n%s", res.code, res.stderr)
	}
}

// A jsload script (not a k6 one) can end with k6's summary too (here from
// its options); its rows are HTTP requests when their type is an HTTP
// method.
func TestSummaryK6OfJsloadScript(t *testing.T) {
	t.Parallel()
	srv := target(t)
	p := script(t, `import { http, events, task } from "jsload";
export const options = { summary: "k6", thresholds: { "GET /fast": ["p95 < 60000"] } };
export const get = task(() => { http.get("/fast"); events.fire({ type: "cache", name: "hit", responseTime: 1 }); });
`)
	res := run(t, nil, nil, "run", p, "--headless", "-H", srv.URL, "-i", "3")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, re := range []string{
		`(?m)^\s+http_req_duration\{name:GET /fast\}$`,
		`(?m)^\s+✓ 'p\(95\)<60000' p\(95\)=\S+$`,
		`(?m)^\s+http_reqs\.+: 3 +[0-9.]+/s$`,
		`(?m)^\s+data_received\.+: 6 B `,
	} {
		if !regexp.MustCompile(re).MatchString(res.stdout) {
			t.Errorf("no line matches %s in:\n%s", re, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "Aggregated") || strings.Contains(res.stdout, "checks_total") {
		t.Errorf("jsload's tables or checks without checks:\n%s", res.stdout)
	}
}

// An output handleSummary returns that cannot be written is reported by
// name, the others are still written, and the exit code is 6.
func TestHandleSummaryWriteError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := script(t, `import "k6";
export default function () {}
export function handleSummary(data) {
  return { stdout: "summary on stdout\n", [__ENV.BAD]: "x" };
}
`)
	bad := filepath.Join(dir, "no", "such", "dir", "s.txt")
	res := run(t, nil, nil, "run", p, "--headless", "-e", "BAD="+bad)
	if res.code != ExitOutput || !strings.Contains(res.stderr, `writing handleSummary()'s output "`+bad+`": no such file or directory`) || res.stdout != "summary on stdout\n" {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	p = script(t, `import "k6";
export default function () {}
export function handleSummary(data) { return { "out.txt": 42 }; }
`)
	res = run(t, nil, nil, "run", p, "--headless")
	if res.code != ExitOutput || !strings.Contains(res.stderr, `handleSummary() returned "out.txt": 42, where a string or an ArrayBuffer is needed; printing the default summary`) {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}

func TestRemoteImportRefused(t *testing.T) {
	t.Parallel()
	p := script(t, `import { randomIntBetween } from "https://jslib.k6.io/k6-utils/1.4.0/index.js";
import http from "k6/http";
export default function () {}
`)
	res := run(t, nil, nil, "run", p, "--headless")
	if res.code != ExitInvalid || !strings.Contains(res.stderr, `cannot import "https://jslib.k6.io/k6-utils/1.4.0/index.js": jsload does not download modules`) || !strings.Contains(res.stderr, "main.js:1:") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}

func TestInspectShowsHandleSummary(t *testing.T) {
	t.Parallel()
	p := script(t, `import "k6";
export default function () {}
export function handleSummary(data) { return {}; }
`)
	r := run(t, nil, nil, "inspect", p)
	if r.code != ExitOK || !strings.Contains(r.stdout, "Hooks: handleSummary(data)") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, nil, "inspect", "--json", p)
	if r.code != ExitOK || !strings.Contains(r.stdout, `"handleSummary": true`) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
