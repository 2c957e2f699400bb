package web

import (
	"math"
	"net/url"
	"testing"
	"time"
)

func TestTimespan(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		20 * time.Second: "20s",
		3 * time.Minute:  "3m",
		2 * time.Hour:    "2h",
		80 * time.Minute: "1h20m",
		3*time.Hour + 30*time.Minute + 10*time.Second: "3h30m10s",
		1500 * time.Millisecond:                       "1.5s",
	} {
		if got := timespan(d); got != want {
			t.Errorf("timespan(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "app.localhost": true, "127.0.0.1": true, "127.1.2.3": true,
		"::1": true, "[::1]": true, "": false, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false,
		"localhost.example.com": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// FuzzParseSwarm: any form either parses into a valid request or gives an
// error; never a panic or a request the controller would have to check
// again.
func FuzzParseSwarm(f *testing.F) {
	f.Add("10", "2.5", "http://localhost:8080", "1h20m", "Shopper")
	f.Add("-1", "0", "ftp://x", "soon", "")
	f.Add("1e3", "NaN", "http://[::1", "-5", " ")
	f.Add("9223372036854775808", "Inf", "", "99999999999", "A")
	f.Fuzz(func(t *testing.T, users, rate, host, runTime, class string) {
		form := url.Values{"user_count": {users}, "spawn_rate": {rate}, "host": {host}, "run_time": {runTime}, "user_classes": {class}}
		req, err := parseSwarm(form, false)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if req.Users < 0 || req.SpawnRate <= 0 || math.IsNaN(req.SpawnRate) || math.IsInf(req.SpawnRate, 0) || req.RunTime < 0 {
			t.Fatalf("accepted %+v from %v", req, form)
		}
		if req.Host != "" {
			u, err := url.Parse(req.Host)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("accepted host %q", req.Host)
			}
		}
	})
}
