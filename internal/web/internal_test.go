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
		req, err := parseSwarm(form, false, nil)
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

// TestParseSwarmParams: the script's parameters are read from fields named
// as declared or as their flag; other fields are not parameters.
func TestParseSwarmParams(t *testing.T) {
	params := []ParamInfo{{Name: "pageSize", Flag: "page-size", Type: "int"}, {Name: "mode", Flag: "mode", Type: "string"}}
	form := url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "page-size": {" 7 "}, "other": {"x"}}
	req, err := parseSwarm(form, false, params)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Params) != 1 || req.Params["pageSize"] != "7" {
		t.Errorf("Params = %v, want pageSize=7 only", req.Params)
	}
	form.Set("pageSize", "8") // the declared name wins over the flag's
	if req, _ = parseSwarm(form, false, params); req.Params["pageSize"] != "8" {
		t.Errorf("Params = %v, want pageSize=8", req.Params)
	}
	if req, _ = parseSwarm(url.Values{"user_count": {"1"}, "spawn_rate": {"1"}}, false, params); req.Params != nil {
		t.Errorf("no parameter fields: Params = %v, want nil (keep the current values)", req.Params)
	}
}
