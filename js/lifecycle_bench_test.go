package js

import (
	"context"
	"testing"
)

// benchRequests runs one task, one GET, per iteration in one VU.
func benchRequests(b *testing.B, src string) {
	srv := server(b)
	env := testEnv(srv.URL)
	s, err := Load(context.Background(), writeScript(b, "main.js", src), LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	vu, err := s.NewVU(context.Background(), env, 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer vu.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vu.RunTask(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestNoListener is the hot path without listeners: one
// request per task.
func BenchmarkRequestNoListener(b *testing.B) {
	benchRequests(b, `import { http, task } from "jsload";
export const t = task(() => { http.get("/status/200"); });
`)
}

// BenchmarkRequestWithListener is the same with one request listener.
func BenchmarkRequestWithListener(b *testing.B) {
	benchRequests(b, `import { http, task, events } from "jsload";
let n = 0;
events.request.addListener((e) => { n += e.responseLength; });
export const t = task(() => { http.get("/status/200"); });
`)
}

// BenchmarkK6RequestAndTrend is a k6 iteration: one request and one
// custom Trend add, without thresholds.
func BenchmarkK6RequestAndTrend(b *testing.B) {
	benchRequests(b, `import http from "k6/http";
import { Trend } from "k6/metrics";
const t = new Trend("waiting", true);
export default function () { const r = http.get("/status/200"); t.add(r.timings.waiting, { kind: "a" }); }
`)
}

// BenchmarkK6Request is the same request without the Trend.
func BenchmarkK6Request(b *testing.B) {
	benchRequests(b, `import http from "k6/http";
export default function () { http.get("/status/200"); }
`)
}

// BenchmarkK6RequestAndAdd is BenchmarkK6Request with a Trend add of a
// constant without tags: the add's own cost.
func BenchmarkK6RequestAndAdd(b *testing.B) {
	benchRequests(b, `import http from "k6/http";
import { Trend } from "k6/metrics";
const t = new Trend("waiting", true);
export default function () { http.get("/status/200"); t.add(1); }
`)
}
