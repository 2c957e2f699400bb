package js

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunHandleSummary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := []byte(`{"root_group":{"name":"","path":"","id":"x","groups":[],"checks":[]},"options":{"summaryTrendStats":["avg"],"summaryTimeUnit":"","noColor":true},"state":{"isStdOutTTY":false,"isStdErrTTY":false,"testRunDurationMs":1500},"metrics":{"http_reqs":{"type":"counter","contains":"default","values":{"count":7,"rate":4.666}}}}`)
	for _, c := range []struct {
		name, fn string
		want     []SummaryFile // nil: a falsy return
		err      string
	}{
		{"files", `return { stdout: "n=" + data.metrics.http_reqs.values.count + " vu=" + __VU, "out/a.bin": new Uint8Array([1, 2]).buffer };`,
			[]SummaryFile{{"stdout", []byte("n=7 vu=0")}, {"out/a.bin", []byte{1, 2}}}, ""},
		{"text summary", `return { stdout: textSummary(data, { indent: "" }) };`,
			[]SummaryFile{{"stdout", []byte("\n  █ TOTAL RESULTS \n\n    HTTP\n    http_reqs...: 7 4.666000/s\n\n")}}, ""},
		{"falsy", `return null;`, nil, ""},
		{"not an object", `return "summary";`, nil, `handleSummary() must return an object mapping "stdout", "stderr" or file paths to contents, got summary`},
		{"a number", `return { stdout: 3 };`, nil, `handleSummary() returned "stdout": 3, where a string or an ArrayBuffer is needed`},
		{"async", `return Promise.resolve({ stdout: "x" });`, nil, `handleSummary() returned a Promise: it runs synchronously, as in k6 (drop async)`},
		{"an array", `return ["x"];`, nil, `handleSummary() must return an object mapping "stdout", "stderr" or file paths to contents, got x`},
		{"throws", `throw new Error("nope");`, nil, `main.js:5:9: Error: nope`},
	} {
		s := load(t, "main.js", `import http from "k6/http";
import { textSummary } from "https://jslib.k6.io/k6-summary/0.0.2/index.js";
export default function () {}
export function handleSummary(data) {
  `+c.fn+`
}
`)
		if !s.HasHandleSummary {
			t.Fatalf("%s: HasHandleSummary is false", c.name)
		}
		got, err := s.RunHandleSummary(ctx, testEnv(""), data)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if (got == nil) != (c.want == nil) || len(got) != len(c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i].Path != c.want[i].Path || string(got[i].Content) != string(c.want[i].Content) {
				t.Errorf("%s: output %d is %q %q, want %q %q", c.name, i, got[i].Path, got[i].Content, c.want[i].Path, c.want[i].Content)
			}
		}
	}
}
