package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"30s": 30 * time.Second, "1m30s": 90 * time.Second, "2h": 2 * time.Hour, "1h30m": 90 * time.Minute,
		"250ms": 250 * time.Millisecond, "90": 90 * time.Second, "1.5": 1500 * time.Millisecond, " 5s ": 5 * time.Second, "0": 0,
	}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "5 minutes", "NaN", "Inf", "1e300"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "1h30m", "90", "-1", "1e9", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseDuration(s) // must not panic
	})
}

func TestValidate(t *testing.T) {
	cases := []struct {
		mod  func(*Run)
		want string
	}{
		{func(r *Run) {}, ""},
		{func(r *Run) { r.Users = -1 }, "--users must be 0 or more"},
		{func(r *Run) { r.SpawnRate = 0 }, "--spawn-rate must be more than 0"},
		{func(r *Run) { r.RunTime = -time.Second }, "--run-time must not be negative"},
		{func(r *Run) { r.StopTimeout = -time.Second }, "--stop-timeout must not be negative"},
		{func(r *Run) { r.PrintStats = 0 }, "--print-stats must be more than 0"},
		{func(r *Run) { r.ExitCodeOnError = 256 }, "--exit-code-on-error must be between 0 and 255"},
		{func(r *Run) { r.WebPort = 70000 }, "--web-port"},
		{func(r *Run) { r.LogLevel = "loud" }, "--loglevel must be one of"},
		{func(r *Run) { r.LogLevel = "WARNING" }, ""},
		{func(r *Run) { r.Host = "ftp://x" }, "must start with http:// or https://"},
		{func(r *Run) { r.Host = "http://" }, "has no host name"},
		{func(r *Run) { r.Host = "https://example.test:8443/base" }, ""},
	}
	for _, c := range cases {
		r := Default()
		c.mod(&r)
		err := r.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", r, err, c.want)
		}
	}
}
