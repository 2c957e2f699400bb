package js

import (
	"runtime"
	"testing"
)

// BenchmarkNewVU reports the cost of creating a VU (runtime, module,
// script evaluation, class binding) and the heap each one keeps.
func BenchmarkNewVU(b *testing.B) {
	s, err := Load("../scripts/locustfile.js")
	if err != nil {
		b.Fatal(err)
	}
	env := testEnvB()
	vus := make([]*VU, 0, b.N)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vu, err := s.NewVU(env, i+1, 0)
		if err != nil {
			b.Fatal(err)
		}
		vus = append(vus, vu)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(b.N), "heap-B/VU")
	runtime.KeepAlive(vus)
}
