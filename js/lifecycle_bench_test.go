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
