package js

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"
)

// rawServer is an HTTP/1.1 server for benchmarks that answers every
// request on a connection with the same response, as net/http's server
// answers /status/200 (status, Date, Content-Length, Content-Type, body),
// and allocates nothing per request: the allocations a benchmark reports
// are then the client's alone. It reads requests without a body only.
func rawServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nDate: Fri, 04 Dec 2026 15:00:00 GMT\r\nContent-Length: 11\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nstatus body")
	end := []byte("\r\n\r\n")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 8192)
				n := 0
				for {
					m, err := c.Read(buf[n:])
					if err != nil {
						return
					}
					n += m
					for {
						i := bytes.Index(buf[:n], end)
						if i < 0 {
							break
						}
						if _, err := c.Write(resp); err != nil {
							return
						}
						n = copy(buf, buf[i+len(end):n])
					}
					if n == len(buf) {
						return // a head larger than the buffer: not for this server
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// benchRequests runs one task, one GET, per iteration in one VU, against
// rawServer: the allocations reported are jsload's.
func benchRequests(b *testing.B, src string) {
	env := testEnv(rawServer(b))
	s, err := Load(context.Background(), writeScript(b, "main.js", src), LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	vu, err := s.NewVU(context.Background(), env, 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer vu.Close()
	ctx, cancel := context.WithCancel(context.Background()) // as the engine's: one that can be canceled
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vu.RunTask(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var n, failed int64
	for _, r := range env.Registry.Snapshot(time.Now()).Rows {
		n, failed = n+r.Requests, failed+r.Failures
	}
	if n != int64(b.N) || failed != 0 {
		b.Fatalf("%d requests, %d failures; want %d, 0", n, failed, b.N)
	}
}

// BenchmarkRequestNoListener is the hot path without listeners: one
// request per task.
func BenchmarkRequestNoListener(b *testing.B) {
	benchRequests(b, `import { http, task } from "jsload";
export const t = task(() => { http.get("/status/200"); });
`)
}

// BenchmarkRequestParams is the same with a name and a header.
func BenchmarkRequestParams(b *testing.B) {
	benchRequests(b, `import { http, task } from "jsload";
export const t = task(() => { http.get("/status/200?id=1", { name: "/status/200", headers: { "X-Test": "1" } }); });
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

// BenchmarkSleep is a task that only calls sleep() for a microsecond.
func BenchmarkSleep(b *testing.B) {
	s, err := Load(context.Background(), writeScript(b, "main.js", `import { task, sleep } from "jsload";
export const t = task(() => { sleep(0.000001); });
`), LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	vu, err := s.NewVU(context.Background(), testEnv(""), 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer vu.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if err := vu.RunTask(ctx); err != nil {
			b.Fatal(err)
		}
	}
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
