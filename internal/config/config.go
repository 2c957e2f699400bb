// Package config holds jsload's run options, their defaults and their
// validation. The command line fills them in the order script options <
// configuration file < JSLOAD_* environment variables < flags.
package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Run is the configuration of `jsload run`.
type Run struct {
	Host           string
	Users          int
	SpawnRate      float64
	RunTime        time.Duration // 0: until stopped
	Headless       bool
	Autostart      bool
	WebHost        string
	WebPort        int
	CSV            string
	CSVFullHistory bool
	HTML           string
	JSON           string
	Prometheus     string // address for /metrics; "" for none
	// MaxNames bounds the distinct (type, name) statistics rows; requests
	// under further names share one row per type.
	MaxNames int
	// GroupIDs names requests by their path with id-like segments
	// replaced by {id}.
	GroupIDs        bool
	WebLogin        string        // "user:password" for the web panel's basic auth
	WebTLSCert      string        // PEM certificate to serve the web panel over HTTPS
	WebTLSKey       string        // its private key
	AutoQuit        time.Duration // quit this long after a test ends in the web panel; negative: never
	Tags            []string
	ExcludeTags     []string
	StopTimeout     time.Duration
	ExitCodeOnError int
	LogLevel        string
	PrintStats      time.Duration
	OnlySummary     bool
	// Summary is the end-of-test summary's layout: "jsload" (Locust's
	// tables) or "k6" (k6's compact summary); SummaryTrendStats are the
	// trend statistics of the k6 layout and of handleSummary's data
	// (nil: k6's default).
	Summary           string
	SummaryTrendStats []string `json:",omitempty"`
	// SummaryTimeUnit shows the k6 layout's times in "s", "ms" or "us"
	// ("": humanized).
	SummaryTimeUnit string
	Iterations      int64 // tasks to run in total; 0: no limit
	Verbose         bool  // print every task, request and event as it happens
	SingleUser      bool  // one user, one iteration, verbose: a debug run
	// InsecureSkipVerify turns off TLS certificate checks.
	InsecureSkipVerify bool
	Thresholds         []string // --threshold 'NAME: EXPR'
	// Vars are --env KEY=VALUE: variables __ENV shows on top of the
	// process environment (k6's -e).
	Vars        map[string]string `json:",omitempty"`
	ResetStats  bool              // reset the statistics once spawning completes
	ArrivalRate float64           // open model: task iterations started per second; 0: closed model
	MaxVUs      int               // open model: the most users the pool grows to; 0: max(users, 100)

	// Timeout bounds a whole request (connecting, sending, redirects,
	// reading the body); a request's own timeout wins.
	Timeout time.Duration
	// ConnectTimeout bounds opening a connection, TLS handshake included.
	ConnectTimeout time.Duration
	// MaxBodySize is the most bytes of a response body read: 0 is the
	// client's default, negative is no limit.
	MaxBodySize int64
	// DiscardResponseBodies reads response bodies without keeping them.
	DiscardResponseBodies bool
	// Protocol is the HTTP version requests use: "auto", "http1.1",
	// "h2c" or "h2".
	Protocol string
	// TLS is the client side of TLS: a client certificate, the CAs to
	// trust, the server name and the lowest version.
	TLS TLS

	// Params are the values of the script's parameters given by a flag,
	// an environment variable or the configuration file, as text, by the
	// declared name; the others take their defaults. Workers get them
	// from the master.
	Params map[string]string `json:",omitempty"`
	// ConfigFile is --config: the configuration file to read.
	ConfigFile string `json:"-"`

	// Cluster is never sent to workers (it holds the token and the NATS
	// URL, which may hold a password).
	Cluster Cluster `json:"-"`
}

// TLS is the run's TLS settings. The files are read by the master when the
// test is prepared (LoadTLSFiles), and their contents travel to workers in
// CertPEM, KeyPEM and CAPEM.
type TLS struct {
	Cert       string // a client certificate file (PEM)
	Key        string // its private key file (PEM)
	CA         string // a file of CA certificates (PEM) to trust instead of the system's
	ServerName string // the name to verify the server's certificate against (and send as SNI)
	MinVersion string // the lowest TLS version: "1.0", "1.1", "1.2" or "1.3"; "" for the default
	CertPEM    []byte `json:",omitempty"`
	KeyPEM     []byte `json:",omitempty"`
	CAPEM      []byte `json:",omitempty"`
}

// Protocols are the accepted --http-protocol values.
var Protocols = []string{"auto", "http1.1", "h2c", "h2"}

// TLSVersions are the accepted --tls-min-version values.
var TLSVersions = []string{"1.0", "1.1", "1.2", "1.3"}

// Cluster is how a run takes part in a distributed test.
type Cluster struct {
	Master         bool
	Worker         bool
	ExpectWorkers  int           // the master waits for this many workers (headless)
	MaxWait        time.Duration // ... this long at most; 0: forever
	MasterBindHost string        // where the master's embedded NATS server listens ("*": everywhere)
	MasterBindPort int
	MasterHost     string // where a worker finds the master
	MasterPort     int
	NATS           string // an existing NATS deployment's URL, instead of the embedded server
	NATSCreds      string // a NATS credentials file
	NATSCA         string // a CA certificate file for NATS over TLS
	Token          string // required by the master's embedded server, sent by workers
	RunID          string // namespaces the NATS subjects
	Processes      int    // local worker processes the master starts; -1: one per core
}

// MaxUsers bounds --users for one process: far more than one machine can
// run, and few enough that a typo does not exhaust memory.
const MaxUsers = 1_000_000

// ApplySingleUser turns --single-user into what it means: one user,
// verbose, headless, only the final summary, and one iteration unless an
// iteration count or a run time was given.
func (r *Run) ApplySingleUser(iterationsGiven, runTimeGiven bool) {
	if !r.SingleUser {
		return
	}
	r.Users, r.SpawnRate = 1, 1
	r.Verbose, r.Headless, r.OnlySummary = true, true, true
	if !iterationsGiven && !runTimeGiven {
		r.Iterations = 1
	}
}

// Default returns the defaults, as Locust has them where it has them.
func Default() Run {
	return Run{
		Users:           1,
		SpawnRate:       1,
		WebHost:         "127.0.0.1",
		WebPort:         8089,
		ExitCodeOnError: 1,
		LogLevel:        "info",
		Summary:         "jsload",
		PrintStats:      2 * time.Second,
		AutoQuit:        -1,
		MaxNames:        DefaultMaxNames,
		Timeout:         60 * time.Second,
		ConnectTimeout:  10 * time.Second,
		Protocol:        "auto",
		Cluster: Cluster{
			ExpectWorkers:  1,
			MaxWait:        2 * time.Minute,
			MasterBindHost: "*",
			MasterBindPort: 5557,
			MasterHost:     "127.0.0.1",
			MasterPort:     5557,
			RunID:          "default",
		},
	}
}

// DefaultMaxNames is --max-names's default (stats.DefaultMaxNames).
const DefaultMaxNames = 1000

// LogLevels are the accepted --loglevel values, quietest last.
var LogLevels = []string{"debug", "info", "warning", "error", "critical"}

// Validate checks the options and says what is wrong with the first bad one,
// naming the option.
func (r *Run) Validate() error {
	if r.MaxNames < 1 {
		return fmt.Errorf("--max-names must be at least 1, got %d", r.MaxNames)
	}
	if r.Users < 0 {
		return fmt.Errorf("--users must be 0 or more, got %d", r.Users)
	}
	if r.Users > MaxUsers {
		return fmt.Errorf("--users must be at most %d in one process, got %d", MaxUsers, r.Users)
	}
	if r.SpawnRate <= 0 || math.IsNaN(r.SpawnRate) {
		return fmt.Errorf("--spawn-rate must be more than 0, got %v", r.SpawnRate)
	}
	if r.RunTime < 0 {
		return fmt.Errorf("--run-time must not be negative, got %v", r.RunTime)
	}
	if r.StopTimeout < 0 {
		return fmt.Errorf("--stop-timeout must not be negative, got %v", r.StopTimeout)
	}
	if r.ArrivalRate < 0 || math.IsNaN(r.ArrivalRate) || math.IsInf(r.ArrivalRate, 0) {
		return fmt.Errorf("--arrival-rate must be 0 (off) or a positive number of iterations per second, got %v", r.ArrivalRate)
	}
	if r.MaxVUs < 0 || r.MaxVUs > MaxUsers {
		return fmt.Errorf("--max-vus must be between 0 and %d, got %d", MaxUsers, r.MaxVUs)
	}
	if r.Iterations < 0 {
		return fmt.Errorf("--iterations must be 0 (no limit) or more, got %d", r.Iterations)
	}
	if r.Summary != "jsload" && r.Summary != "k6" {
		return fmt.Errorf("--summary must be jsload or k6, got %q%s", r.Summary, DidYouMean(r.Summary, []string{"jsload", "k6"}))
	}
	if u := r.SummaryTimeUnit; u != "" && u != "s" && u != "ms" && u != "us" {
		return fmt.Errorf("--summary-time-unit must be s, ms or us, got %q%s", u, DidYouMean(u, []string{"s", "ms", "us"}))
	}
	if r.PrintStats <= 0 {
		return fmt.Errorf("--print-stats must be more than 0 seconds, got %v", r.PrintStats)
	}
	if r.ExitCodeOnError < 0 || r.ExitCodeOnError > 255 {
		return fmt.Errorf("--exit-code-on-error must be between 0 and 255, got %d", r.ExitCodeOnError)
	}
	if r.WebPort < 0 || r.WebPort > 65535 {
		return fmt.Errorf("--web-port must be between 0 and 65535, got %d", r.WebPort)
	}
	ok := false
	for _, l := range LogLevels {
		if strings.EqualFold(l, r.LogLevel) {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("--loglevel must be one of %s, got %q", strings.Join(LogLevels, ", "), r.LogLevel)
	}
	if err := r.validateHTTP(); err != nil {
		return err
	}
	if r.Host != "" {
		if err := CheckHost(r.Host); err != nil {
			return err
		}
	}
	return r.Cluster.validate(r)
}

// validateHTTP checks the options of the users' HTTP clients.
func (r *Run) validateHTTP() error {
	if r.Timeout <= 0 {
		return fmt.Errorf("--timeout must be more than 0, got %v", r.Timeout)
	}
	if r.ConnectTimeout <= 0 {
		return fmt.Errorf("--connect-timeout must be more than 0, got %v", r.ConnectTimeout)
	}
	if err := CheckProtocol(r.Protocol); err != nil {
		return fmt.Errorf("--http-protocol %v", err)
	}
	if err := CheckTLSVersion(r.TLS.MinVersion); err != nil {
		return fmt.Errorf("--tls-min-version %v", err)
	}
	if (r.TLS.Cert == "") != (r.TLS.Key == "") {
		return errors.New("--tls-cert and --tls-key go together: a client certificate needs its private key")
	}
	return nil
}

// CheckProtocol checks an HTTP protocol name (see Protocols); "" is "auto".
func CheckProtocol(p string) error {
	if p == "" || slices.Contains(Protocols, p) {
		return nil
	}
	hint := DidYouMean(p, Protocols)
	switch l := strings.ToLower(p); {
	case strings.Contains(l, "2") && strings.HasSuffix(l, "c"):
		hint = ` (did you mean "h2c"?)`
	case strings.Contains(l, "2"):
		hint = ` (did you mean "h2"? h2c is HTTP/2 without TLS)`
	case strings.Contains(l, "1"):
		hint = ` (did you mean "http1.1"?)`
	}
	return fmt.Errorf("%q is not a protocol: use one of %s%s", p, strings.Join(Protocols, ", "), hint)
}

// CheckTLSVersion checks a lowest TLS version (see TLSVersions); "" is the
// client's default.
func CheckTLSVersion(v string) error {
	if v == "" || slices.Contains(TLSVersions, v) {
		return nil
	}
	return fmt.Errorf("%q is not a TLS version: use one of %s", v, strings.Join(TLSVersions, ", "))
}

// DidYouMean returns ` (did you mean "x"?)` for the known name closest to
// name, when one is close enough to be a likely typo, and "" otherwise.
// Case is ignored.
func DidYouMean(name string, known []string) string {
	best := Closest(name, known)
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// Closest is the name in known closest to name (ignoring case) when it is
// close enough to be a likely typo, else "".
func Closest(name string, known []string) string {
	best, bestD := "", 0
	for _, k := range known {
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		if best == "" || d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len(name)/3) || bestD >= len(name) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// ParseSize reads a size in bytes: a whole number of bytes ("1048576"),
// or one with a unit, decimal (kB, MB, GB: powers of 1000) or binary (KiB,
// MiB, GiB: powers of 1024), case-insensitive ("10MB", "512KiB"). "-1" and
// "unlimited" mean no limit and return -1.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "unlimited") || s == "-1" {
		return -1, nil
	}
	bad := fmt.Errorf("%q is not a size: use a number of bytes, or one with a unit like 512KiB, 10MB, 1GiB, or \"unlimited\"", s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, bad
	}
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	}[unit]
	if !ok {
		return 0, bad
	}
	n := f * mult
	if n != math.Trunc(n) || n > 1<<50 {
		return 0, fmt.Errorf("%q is not a whole number of bytes up to 1 PiB", s)
	}
	return int64(n), nil
}

// FormatSize writes a size as ParseSize reads it, in the largest binary
// unit that divides it.
func FormatSize(n int64) string {
	switch {
	case n < 0:
		return "unlimited"
	case n == 0:
		return "0"
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

func (c *Cluster) validate(r *Run) error {
	if c.Master && c.Worker {
		return errors.New("--master and --worker exclude each other: a process is one or the other")
	}
	if c.Processes < -1 || c.Processes > 1024 {
		return fmt.Errorf("--processes must be -1 (one per core), 0 or a number of worker processes up to 1024, got %d", c.Processes)
	}
	if c.Processes != 0 && c.Worker {
		return errors.New("--processes starts workers from a master: drop --worker")
	}
	if c.ExpectWorkers < 1 {
		return fmt.Errorf("--expect-workers must be 1 or more, got %d", c.ExpectWorkers)
	}
	if c.MaxWait < 0 {
		return fmt.Errorf("--expect-workers-max-wait must not be negative, got %v", c.MaxWait)
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"--master-bind-port", c.MasterBindPort}, {"--master-port", c.MasterPort}} {
		if p.v < 0 || p.v > 65535 {
			return fmt.Errorf("%s must be between 0 and 65535, got %d", p.name, p.v)
		}
	}
	if c.NATS != "" {
		u, err := url.Parse(c.NATS)
		if err != nil || u.Host == "" || (u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss") {
			return fmt.Errorf("--nats %q must be a URL like nats://host:4222 (or tls://, ws://, wss://)", c.NATS)
		}
	}
	if c.Master || c.Processes != 0 {
		if r.SingleUser { // before --iterations, which --single-user sets
			return errors.New("--single-user is a local debug run: drop --master")
		}
		if r.Iterations > 0 {
			return errors.New("--iterations does not work with --master yet: bound the test with --run-time")
		}
	}
	return nil
}

// CheckHost checks a --host value: an absolute http(s) URL.
func CheckHost(h string) error {
	u, err := url.Parse(h)
	if err != nil {
		return fmt.Errorf("--host %q is not a URL: %v", h, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("--host %q must start with http:// or https://", h)
	}
	if u.Host == "" {
		return fmt.Errorf("--host %q has no host name", h)
	}
	return nil
}

// ParseDuration reads a duration as Locust and Go write them: "30s", "1m30s",
// "2h", "1h30m", "250ms", or a plain number of seconds ("90", "1.5").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e9 {
			return 0, fmt.Errorf("%q is not a valid duration", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: use e.g. 30s, 5m, 1h30m or a number of seconds", s)
	}
	return d, nil
}
