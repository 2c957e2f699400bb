package js

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkNewVU reports the cost of creating a VU (runtime, module,
// script evaluation, class binding) and the heap each one keeps after one
// request, for the demo script, a minimal one, and the minimal one with a
// counter and a queue.
func BenchmarkNewVU(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
	defer srv.Close()
	dir := b.TempDir()
	minimal := filepath.Join(dir, "minimal.js")
	os.WriteFile(minimal, []byte("import { task, http, constant } from \"jsload\";\nexport const options = { waitTime: constant(1) };\nexport const root = task(() => http.get(\"/\"));\n"), 0o644)
	// shared: the minimal script with a counter and a queue, as README's
	// example makes them (top-level code: every user makes its own).
	sharedJS := filepath.Join(dir, "shared.js")
	os.WriteFile(sharedJS, []byte("import { task, http, constant, counter, queue } from \"jsload\";\nexport const options = { waitTime: constant(1) };\nconst orders = counter(\"orders\");\nconst creds = queue(\"creds\", [{ u: \"a\" }, { u: \"b\" }], { onEmpty: \"recycle\" });\nexport const root = task(() => { http.get(\"/\"); orders.add(); creds.put(creds.take()); });\n"), 0o644)
	for _, c := range []struct{ name, path string }{{"minimal", minimal}, {"shared", sharedJS}, {"locustfile", "../scripts/locustfile.js"}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Load(context.Background(), c.path, LoadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			env := testEnv(srv.URL)
			vus := make([]*VU, 0, b.N)
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				vu, err := s.NewVU(context.Background(), env, i+1, 0)
				if err != nil {
					b.Fatal(err)
				}
				if c.name != "locustfile" {
					_ = vu.RunTask(context.Background())
				}
				vus = append(vus, vu)
			}
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(b.N), "heap-B/VU")
			runtime.KeepAlive(vus)
			for _, vu := range vus {
				vu.Close()
			}
		})
	}
}
