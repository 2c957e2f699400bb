package cli

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
)

// durationValue is a flag holding a duration written as Locust writes run
// times ("30s", "1h30m") or as a plain number of seconds.
type durationValue struct{ d *time.Duration }

func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return "0s"
	}
	if *v.d < 0 {
		return "" // not set (e.g. --autoquit's "never")
	}
	return v.d.String()
}
func (v durationValue) Type() string { return "duration" }
func (v durationValue) Set(s string) error {
	d, err := config.ParseDuration(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

// envVarValue is --env KEY=VALUE, repeatable.
type envVarValue struct{ m *map[string]string }

func (v envVarValue) String() string {
	if v.m == nil || len(*v.m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(*v.m))
	for k := range *v.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",") + "=..."
}
func (v envVarValue) Type() string { return "KEY=VALUE" }
func (v envVarValue) Set(s string) error {
	k, val, ok := strings.Cut(s, "=")
	if !ok || k == "" || strings.ContainsAny(k, " \t") {
		return fmt.Errorf("wants KEY=VALUE, got %q", s)
	}
	if *v.m == nil {
		*v.m = map[string]string{}
	}
	(*v.m)[k] = val
	return nil
}

// loginValue is --web-login: USER:PASSWORD. A value that starts with "-"
// is refused, since it is the next flag, taken as the value of a bare
// --web-login.
type loginValue struct{ s *string }

func (v loginValue) String() string {
	if v.s == nil || *v.s == "" {
		return ""
	}
	return "USER:***"
}
func (v loginValue) Type() string { return "USER:PASSWORD" }
func (v loginValue) Set(s string) error {
	switch user, pass, ok := strings.Cut(s, ":"); {
	case strings.HasPrefix(s, "-"):
		return fmt.Errorf("wants USER:PASSWORD, got the next flag %q: write --web-login=USER:PASSWORD", s)
	case !ok || user == "" || pass == "":
		return errors.New("wants USER:PASSWORD, both non-empty, with a colon between them")
	}
	*v.s = s
	return nil
}

// sizeValue is a flag holding a size in bytes, written as a number of
// bytes, with a unit (10MB, 512KiB), or as "unlimited" (-1).
type sizeValue struct{ n *int64 }

func (v sizeValue) String() string {
	if v.n == nil {
		return "0"
	}
	return config.FormatSize(*v.n)
}
func (v sizeValue) Type() string { return "size" }
func (v sizeValue) Set(s string) error {
	n, err := config.ParseSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}

// runFlags declares the flags of `jsload run` on fs, bound to cfg.
func runFlags(fs *pflag.FlagSet, cfg *config.Run) {
	fs.StringVarP(&cfg.Host, "host", "H", cfg.Host, "base URL for relative request URLs, e.g. http://localhost:8080")
	fs.IntVarP(&cfg.Users, "users", "u", cfg.Users, "peak number of concurrent users")
	fs.Float64VarP(&cfg.SpawnRate, "spawn-rate", "r", cfg.SpawnRate, "users started per second")
	fs.VarP(durationValue{&cfg.RunTime}, "run-time", "t", "stop after this long, e.g. 30s, 5m, 1h30m (default: run until Ctrl-C)")
	fs.BoolVar(&cfg.Headless, "headless", cfg.Headless, "run without the web panel and print statistics to the console")
	fs.BoolVar(&cfg.Autostart, "autostart", cfg.Autostart, "start the test at once, keeping the web panel (web panel mode)")
	fs.StringVar(&cfg.WebHost, "web-host", cfg.WebHost, "address the web panel listens on")
	fs.IntVar(&cfg.WebPort, "web-port", cfg.WebPort, "port of the web panel")
	fs.Var(loginValue{&cfg.WebLogin}, "web-login", "require HTTP basic auth on the web panel: --web-login=USER:PASSWORD")
	fs.StringVar(&cfg.WebTLSCert, "web-tls-cert", cfg.WebTLSCert, "serve the web panel over HTTPS with this certificate (PEM file; with --web-tls-key)")
	fs.StringVar(&cfg.WebTLSKey, "web-tls-key", cfg.WebTLSKey, "the private key (PEM file) of --web-tls-cert")
	fs.Var(durationValue{&cfg.AutoQuit}, "autoquit", "with the web panel: quit this long after a test ends (e.g. 0 or 10s; default: never)")
	fs.StringVar(&cfg.CSV, "csv", cfg.CSV, "write Locust's CSV files PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv, PREFIX_exceptions.csv")
	fs.BoolVar(&cfg.CSVFullHistory, "csv-full-history", cfg.CSVFullHistory, "add every statistics row to the history CSV, not only Aggregated")
	fs.StringVar(&cfg.HTML, "html", cfg.HTML, "write a self-contained HTML report to FILE at the end")
	fs.StringVar(&cfg.JSON, "json", cfg.JSON, "write the JSON summary to FILE at the end (- for standard output)")
	fs.StringVar(&cfg.Prometheus, "prometheus", cfg.Prometheus, "serve Prometheus metrics at http://ADDR/metrics while the test runs (e.g. 127.0.0.1:9646)")
	fs.IntVar(&cfg.MaxNames, "max-names", cfg.MaxNames, "keep statistics for at most this many request names; requests under further names share one row per type (ids in paths make a name each: name them, or use --group-ids)")
	fs.BoolVar(&cfg.GroupIDs, "group-ids", cfg.GroupIDs, "name requests by their path with id-like segments (numbers, UUIDs, long hex) replaced by {id}: /items/42 counts as /items/{id}")
	fs.StringSliceVarP(&cfg.Tags, "tags", "T", cfg.Tags, "run only tasks with one of these tags (and task sets holding such tasks)")
	fs.StringSliceVarP(&cfg.ExcludeTags, "exclude-tags", "E", cfg.ExcludeTags, "never run tasks with any of these tags")
	fs.VarP(durationValue{&cfg.StopTimeout}, "stop-timeout", "s", "on stop, let running tasks finish for this long before interrupting them (default 0: interrupt at once)")
	fs.IntVar(&cfg.ExitCodeOnError, "exit-code-on-error", cfg.ExitCodeOnError, "exit code when any request failed or a task threw")
	fs.StringVarP(&cfg.LogLevel, "loglevel", "L", cfg.LogLevel, "log level: debug, info, warning, error, critical")
	fs.Var(durationValue{&cfg.PrintStats}, "print-stats", "print the statistics table this often in headless mode (at most once a second)")
	fs.BoolVar(&cfg.InsecureSkipVerify, "insecure-skip-tls-verify", cfg.InsecureSkipVerify, "do not verify the server's TLS certificate (like Locust's verify=False)")
	httpFlags(fs, cfg)
	fs.BoolVar(&cfg.OnlySummary, "only-summary", cfg.OnlySummary, "print only the final statistics, not the periodic tables")
	fs.StringVar(&cfg.Summary, "summary", cfg.Summary, "end-of-test summary: jsload (Locust's tables) or k6 (k6's compact summary)")
	fs.StringSliceVar(&cfg.SummaryTrendStats, "summary-trend-stats", cfg.SummaryTrendStats, "trend statistics of --summary k6 and of handleSummary's data, e.g. avg,min,med,max,p(90),p(95) (k6's default)")
	fs.StringVar(&cfg.SummaryTimeUnit, "summary-time-unit", cfg.SummaryTimeUnit, "times of --summary k6 and textSummary in s, ms or us (default: humanized)")
	fs.StringArrayVar(&cfg.Thresholds, "threshold", cfg.Thresholds, "pass/fail criterion 'NAME: EXPR', e.g. 'GET /profile: p95 < 200' (repeatable)")
	fs.VarP(envVarValue{&cfg.Vars}, "env", "e", "set a variable the script reads from __ENV, over the environment's: -e KEY=VALUE (repeatable; k6's -e)")
	fs.BoolVar(&cfg.ResetStats, "reset-stats", cfg.ResetStats, "reset the statistics once spawning completes")
	fs.Float64Var(&cfg.ArrivalRate, "arrival-rate", cfg.ArrivalRate, "open model: start this many task iterations per second, whatever the response times")
	fs.IntVar(&cfg.MaxVUs, "max-vus", cfg.MaxVUs, "open model: the most users the pool may grow to (default max(users, 100))")
	fs.Int64VarP(&cfg.Iterations, "iterations", "i", cfg.Iterations, "stop after this many tasks in total (0: no limit)")
	fs.BoolVarP(&cfg.Verbose, "verbose", "v", cfg.Verbose, "print every task, request (with headers and body on failure) and event as it happens")
	// Durations that default to "not set" show no "(default 0s)" in the
	// help: their usage text says what zero means.
	for _, name := range []string{"run-time", "stop-timeout"} {
		fs.Lookup(name).DefValue = ""
	}
	fs.StringVar(&cfg.ConfigFile, "config", cfg.ConfigFile, "read flags from this configuration file: key = value lines with long flag names (default: ./jsload.conf when present)")
	fs.BoolVar(&cfg.SingleUser, "single-user", cfg.SingleUser, "debug run: one user, one task (unless -i or -t), verbose, headless")
	clusterFlags(fs, &cfg.Cluster)
}

// httpFlags declares the flags of the users' HTTP clients: timeouts, body
// handling, protocol and TLS.
func httpFlags(fs *pflag.FlagSet, cfg *config.Run) {
	fs.Var(durationValue{&cfg.Timeout}, "timeout", "the longest one request may take: connecting, sending, redirects and reading the body (a request's own timeout param wins)")
	fs.Var(durationValue{&cfg.ConnectTimeout}, "connect-timeout", "the longest opening a connection may take, TLS handshake included")
	fs.Var(sizeValue{&cfg.MaxBodySize}, "max-body-size", "read at most this much of a response body, e.g. 512KiB, 10MB (default 0: the client's limit, 64 MiB; unlimited or -1: no limit)")
	fs.BoolVar(&cfg.DiscardResponseBodies, "discard-response-bodies", cfg.DiscardResponseBodies, "read response bodies without keeping them (sizes still count; a request's discardBody: false keeps its body)")
	fs.StringVar(&cfg.Protocol, "http-protocol", cfg.Protocol, "HTTP version: auto (negotiated), http1.1, h2c (HTTP/2 without TLS), h2 (HTTP/2 over TLS)")
	fs.StringVar(&cfg.TLS.Cert, "tls-cert", cfg.TLS.Cert, "a client certificate (PEM file) to present to the target (with --tls-key)")
	fs.StringVar(&cfg.TLS.Key, "tls-key", cfg.TLS.Key, "the private key (PEM file) of --tls-cert")
	fs.StringVar(&cfg.TLS.CA, "tls-ca", cfg.TLS.CA, "trust the CA certificates in this PEM file instead of the system's")
	fs.StringVar(&cfg.TLS.ServerName, "tls-server-name", cfg.TLS.ServerName, "verify the target's certificate against this name, and send it as SNI, instead of the URL's host")
	fs.StringVar(&cfg.TLS.MinVersion, "tls-min-version", cfg.TLS.MinVersion, "the lowest TLS version to accept: 1.0, 1.1, 1.2 or 1.3 (default: the client's)")
	fs.Lookup("max-body-size").DefValue = ""
}

// clusterFlags declares the flags of distributed runs, with Locust's names.
func clusterFlags(fs *pflag.FlagSet, c *config.Cluster) {
	fs.BoolVar(&c.Master, "master", c.Master, "run as the master of a distributed test: workers run the users, this process the plan, statistics and outputs")
	fs.BoolVar(&c.Worker, "worker", c.Worker, "run users for a master (no script needed: the master sends it)")
	fs.IntVar(&c.ExpectWorkers, "expect-workers", c.ExpectWorkers, "master: wait for this many workers before starting (headless or --autostart)")
	fs.Var(durationValue{&c.MaxWait}, "expect-workers-max-wait", "master: give up waiting for --expect-workers after this long (0: wait forever)")
	fs.StringVar(&c.MasterBindHost, "master-bind-host", c.MasterBindHost, "master: interface the embedded NATS server listens on (* for every interface)")
	fs.IntVar(&c.MasterBindPort, "master-bind-port", c.MasterBindPort, "master: port the embedded NATS server listens on")
	fs.StringVar(&c.MasterHost, "master-host", c.MasterHost, "worker: host of the master")
	fs.IntVar(&c.MasterPort, "master-port", c.MasterPort, "worker: port of the master")
	fs.StringVar(&c.NATS, "nats", c.NATS, "master and workers: use this NATS deployment (nats://user:pass@host:4222, tls://...) instead of the master's embedded server")
	fs.StringVar(&c.NATSCreds, "nats-creds", c.NATSCreds, "a NATS credentials (.creds) file for --nats")
	fs.StringVar(&c.NATSCA, "nats-ca", c.NATSCA, "a CA certificate (PEM) to verify --nats's TLS certificate")
	fs.StringVar(&c.Token, "cluster-token", c.Token, "a shared secret the master's embedded server requires from workers (better from JSLOAD_CLUSTER_TOKEN)")
	fs.StringVar(&c.RunID, "run-id", c.RunID, "names this test's NATS subjects, so that several tests can share one NATS deployment")
	fs.IntVar(&c.Processes, "processes", c.Processes, "master: also start this many local worker processes (-1: one per core); implies --master")
}

// envName is the environment variable for a flag: JSLOAD_SPAWN_RATE.
func envName(flag string) string {
	return "JSLOAD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// optionName is the script option for a flag: spawnRate.
func optionName(flag string) string {
	parts := strings.Split(flag, "-")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// applySources fills flags not given on the command line from JSLOAD_*
// variables, then from the configuration file (nil for none), then from the
// script's options, so that the order is script < file < environment <
// flags.
func applySources(fs *pflag.FlagSet, getenv func(string) string, file *config.File, opts map[string]any) error {
	known := map[string]bool{}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Name == "help" {
			return
		}
		on := optionName(f.Name)
		known[on] = true
		if f.Changed {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := setFlag(fs, f, v); e != nil {
				err = fmt.Errorf("%s=%s: %v", envName(f.Name), shownValue(f.Name, v), e)
			}
			return
		}
		if f.Name == "config" {
			return
		}
		if e, ok := file.Lookup(f.Name); ok {
			err = setFromFile(fs, f, file, e)
			return
		}
		if a, ok := optionAliases[f.Name]; ok && opts[a] != nil {
			on = a
		}
		if f.Name == "threshold" {
			return // options.thresholds is an object, read by the threshold package
		}
		if v, ok := opts[on]; ok && v != nil {
			s, e := optionString(v)
			if e == nil {
				e = setFlag(fs, f, s)
			}
			if e != nil {
				err = fmt.Errorf("options.%s in the script: %v", on, e)
			}
		}
	})
	if err != nil {
		return err
	}
	for k := range opts {
		if !known[k] && !scriptOnlyOptions[k] {
			names := optionNames(fs)
			return fmt.Errorf("options.%s in the script: unknown option%s (known: %s)", k, config.DidYouMean(k, names), strings.Join(names, ", "))
		}
	}
	return nil
}

// flagInError is the flag a validation message starts with: "--timeout
// must be more than 0" names timeout.
var flagInError = regexp.MustCompile(`^--([a-z][\w-]*)`)

// secretFlags hold passwords: a refused value of theirs is not repeated.
var secretFlags = map[string]bool{"web-login": true, "cluster-token": true}

// shownValue is v quoted for a message about flag, or "(value not shown)"
// for a secret.
func shownValue(flag, v string) string {
	if secretFlags[flag] {
		return "(value not shown)"
	}
	return strconv.Quote(v)
}

// nameSource puts where a refused value came from before a validation
// message that names its flag, when that was not the command line:
// "JSLOAD_TIMEOUT=-3s: --timeout must be more than 0, got -3s" or
// "options.timeout in the script: --timeout must be ...".
func nameSource(err error, given map[string]bool, getenv func(string) string, opts map[string]any) error {
	m := flagInError.FindStringSubmatch(err.Error())
	if m == nil || given[m[1]] {
		return err
	}
	if v := getenv(envName(m[1])); v != "" {
		return fmt.Errorf("%s=%s: %w", envName(m[1]), shownValue(m[1], v), err)
	}
	on := optionName(m[1])
	if a, ok := optionAliases[m[1]]; ok && opts[a] != nil {
		on = a
	}
	if opts[on] != nil {
		return fmt.Errorf("options.%s in the script: %w", on, err)
	}
	return err
}

// scriptOnlyOptions are script options that are not flags (or other names
// of flags, see optionAliases).
var scriptOnlyOptions = map[string]bool{"waitTime": true, "thresholds": true, "stages": true, "abortOnFailure": true,
	"maxVUs": true, "protocol": true, "insecureSkipTLSVerify": true}

// optionAliases are other script option names of flags, which win over the
// flag's own camelCase name: k6's spellings, and protocol.
var optionAliases = map[string]string{"max-vus": "maxVUs", "http-protocol": "protocol", "insecure-skip-tls-verify": "insecureSkipTLSVerify"}

func optionNames(fs *pflag.FlagSet) []string {
	var out []string
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "config" && !f.Hidden {
			out = append(out, optionName(f.Name))
		}
	})
	return append(out, "waitTime", "tls", "stages", "thresholds", "abortOnFailure")
}

func setFlag(fs *pflag.FlagSet, f *pflag.Flag, v string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.Replace(splitList(v))
	}
	return plainValueError(fs.Set(f.Name, v))
}

// valueErr matches pflag's message for a value its parser refused.
var valueErr = regexp.MustCompile(`^invalid argument "(.*)" for "(?:-\w, )?(--[\w-]+)" flag: strconv\.(\w+): parsing ".*": (.*)$`)

// wantsErr matches pflag's message for a value one of our flag types
// refused, saying what it wants.
var wantsErr = regexp.MustCompile(`^invalid argument ".*" for "(?:-\w, )?(--[\w-]+)" flag: (wants .*)$`)

// plainValueError says what a flag wanted instead of quoting Go's parser
// (strconv.ParseInt: parsing "abc": invalid syntax): `--users wants a
// whole number, got "abc"`. Other errors are returned as they are.
func plainValueError(err error) error {
	if err == nil {
		return nil
	}
	if m := wantsErr.FindStringSubmatch(err.Error()); m != nil {
		// Our own flag types say what they want, and the value (a
		// password, say) need not be repeated.
		return fmt.Errorf("%s %s", m[1], m[2])
	}
	m := valueErr.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	want := "a number"
	switch m[3] {
	case "ParseInt", "ParseUint":
		want = "a whole number"
	case "ParseBool":
		want = "true or false"
	}
	if m[4] == "value out of range" {
		return fmt.Errorf("%s: %s is out of range", m[2], m[1])
	}
	return fmt.Errorf("%s wants %s, got %q", m[2], want, m[1])
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// optionString renders a script option value for Flag.Set.
func optionString(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := optionString(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("unsupported value of type %s", reflect.TypeOf(v))
}

func osGetenv(k string) string { return os.Getenv(k) }
