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

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1048576": 1 << 20, "10MB": 10e6, "10mb": 10e6, "512KiB": 512 << 10, "1GiB": 1 << 30,
		"2k": 2000, "1.5MiB": 3 << 19, " 64 MiB ": 64 << 20, "-1": -1, "unlimited": -1, "Unlimited": -1, "7B": 7,
	}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "10XB", "-5", "1.5", "0.1KiB", "1e9", "MB", "2PiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
	for _, n := range []int64{-1, 0, 1, 1023, 1 << 10, 3 << 20, 5 << 30, 1500} {
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Errorf("FormatSize(%d) = %q reads back as %d, %v", n, FormatSize(n), back, err)
		}
	}
}

func TestValidateHTTPOptions(t *testing.T) {
	cases := []struct {
		set  func(r *Run)
		want string
	}{
		{func(r *Run) { r.Timeout = 0 }, "--timeout must be more than 0"},
		{func(r *Run) { r.ConnectTimeout = -time.Second }, "--connect-timeout must be more than 0"},
		{func(r *Run) { r.Protocol = "http2" }, `--http-protocol "http2" is not a protocol: use one of auto, http1.1, h2c, h2 (did you mean "h2"?`},
		{func(r *Run) { r.Protocol = "http1" }, `(did you mean "http1.1"?)`},
		{func(r *Run) { r.TLS.MinVersion = "1.4" }, `--tls-min-version "1.4" is not a TLS version: use one of 1.0, 1.1, 1.2, 1.3`},
		{func(r *Run) { r.TLS.Cert = "c.pem" }, "--tls-cert and --tls-key go together"},
		{func(r *Run) { r.TLS.Key = "k.pem" }, "--tls-cert and --tls-key go together"},
	}
	for _, c := range cases {
		r := Default()
		c.set(&r)
		err := r.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v; want %q", err, c.want)
		}
	}
	r := Default()
	r.Protocol, r.TLS.MinVersion, r.TLS.Cert, r.TLS.Key = "h2c", "1.3", "c.pem", "k.pem"
	if err := r.Validate(); err != nil {
		t.Errorf("good HTTP options refused: %v", err)
	}
}

func TestDidYouMean(t *testing.T) {
	known := []string{"serverName", "minVersion", "cert", "key", "ca", "insecureSkipVerify"}
	for in, want := range map[string]string{
		"sevrerName": `(did you mean "serverName"?)`, "servername": `(did you mean "serverName"?)`,
		"certs": `(did you mean "cert"?)`, "insecure": "", "zzzzzzzz": "",
	} {
		if got := DidYouMean(in, known); !strings.Contains(got, want) || (want == "" && got != "") {
			t.Errorf("DidYouMean(%q) = %q; want %q", in, got, want)
		}
	}
}
