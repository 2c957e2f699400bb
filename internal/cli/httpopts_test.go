package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/httpc"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/testcert"
	"github.com/jsload/jsload/js"
)

// resolveFor resolves the run configuration of a script at path with the
// given environment and flags, as `jsload run` does.
func resolveFor(t *testing.T, path string, env map[string]string, args ...string) (*config.Run, error) {
	t.Helper()
	cfg := config.Default()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	s, err := js.Load(context.Background(), path, js.LoadOptions{})
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	st := &State{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(k string) string { return env[k] }}
	err = resolveConfig(fs, st, s, &cfg)
	return &cfg, err
}

// writeCerts writes a self-signed certificate and its key as dir/c.pem and
// dir/k.pem, and returns their contents.
func writeCerts(t *testing.T, dir string) (cert, key []byte) {
	t.Helper()
	cert, key = testcert.SelfSigned(t)
	for name, b := range map[string][]byte{"c.pem": cert, "k.pem": key} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key
}

func TestHTTPOptionsDefaultsAndPrecedence(t *testing.T) {
	t.Parallel()
	plain := script(t, "import { task } from \"jsload\";\nexport const a = task(() => {});\n")
	cfg, err := resolveFor(t, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 60*time.Second || cfg.ConnectTimeout != 10*time.Second || cfg.MaxBodySize != 0 || cfg.DiscardResponseBodies || cfg.Protocol != "auto" || cfg.TLS.CertPEM != nil {
		t.Errorf("defaults: %+v", cfg)
	}

	withOpts := script(t, `import { task } from "jsload";
export const options = { timeout: "30s", connectTimeout: 2, maxBodySize: "10MB", discardResponseBodies: true, protocol: "h2c",
  tls: { serverName: "script.local", minVersion: 1.2 } };
export const a = task(() => {});
`)
	cfg, err = resolveFor(t, withOpts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 30*time.Second || cfg.ConnectTimeout != 2*time.Second || cfg.MaxBodySize != 10e6 || !cfg.DiscardResponseBodies ||
		cfg.Protocol != "h2c" || cfg.TLS.ServerName != "script.local" || cfg.TLS.MinVersion != "1.2" {
		t.Errorf("script options: %+v", cfg)
	}
	env := map[string]string{"JSLOAD_TIMEOUT": "20s", "JSLOAD_CONNECT_TIMEOUT": "3s", "JSLOAD_MAX_BODY_SIZE": "1KiB", "JSLOAD_HTTP_PROTOCOL": "http1.1", "JSLOAD_TLS_SERVER_NAME": "env.local"}
	cfg, err = resolveFor(t, withOpts, env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 20*time.Second || cfg.ConnectTimeout != 3*time.Second || cfg.MaxBodySize != 1024 || cfg.Protocol != "http1.1" || cfg.TLS.ServerName != "env.local" || cfg.TLS.MinVersion != "1.2" {
		t.Errorf("the environment must win over the script: %+v", cfg)
	}
	cfg, err = resolveFor(t, withOpts, env, "--timeout", "5s", "--connect-timeout", "1s", "--max-body-size", "unlimited", "--http-protocol", "h2",
		"--tls-server-name", "flag.local", "--tls-min-version", "1.3", "--discard-response-bodies=false")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 5*time.Second || cfg.ConnectTimeout != time.Second || cfg.MaxBodySize != -1 || cfg.Protocol != "h2" ||
		cfg.TLS.ServerName != "flag.local" || cfg.TLS.MinVersion != "1.3" || cfg.DiscardResponseBodies {
		t.Errorf("flags must win over the environment: %+v", cfg)
	}

	var o httpc.Options
	applyHTTPConfig(&o, cfg)
	if o.Timeout != 5*time.Second || o.DialTimeout != time.Second || o.MaxBodyBytes != -1 || o.Protocol != "h2" || o.TLS.ServerName != "flag.local" || o.TLS.MinVersion != "1.3" {
		t.Errorf("client options: %+v", o)
	}
	applyHTTPConfig(&o, &config.Run{Protocol: "auto"})
	if o.Protocol != "" {
		t.Errorf("auto is the client's default, got %q", o.Protocol)
	}
}

func TestTLSFilesAreReadForTheWorkers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, key := writeCerts(t, dir)
	// The script names its files relative to its own directory.
	p := filepath.Join(dir, "main.js")
	src := "import { task } from \"jsload\";\nexport const options = { tls: { cert: \"c.pem\", key: \"k.pem\", ca: \"c.pem\" } };\nexport const a = task(() => {});\n"
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := resolveFor(t, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS.Cert != filepath.Join(dir, "c.pem") || string(cfg.TLS.CertPEM) != string(cert) || string(cfg.TLS.KeyPEM) != string(key) || string(cfg.TLS.CAPEM) != string(cert) {
		t.Errorf("tls = %+v", cfg.TLS)
	}
	// What a master sends its workers holds the contents.
	b, err := json.Marshal(clusterJob{Config: *cfg})
	if err != nil {
		t.Fatal(err)
	}
	var back clusterJob
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if string(back.Config.TLS.KeyPEM) != string(key) || back.Config.Timeout != cfg.Timeout || back.Config.Protocol != cfg.Protocol {
		t.Errorf("the job lost the HTTP options: %+v", back.Config)
	}
	var o httpc.Options
	applyHTTPConfig(&o, &back.Config)
	if string(o.TLS.CertPEM) != string(cert) || string(o.TLS.CAPEM) != string(cert) {
		t.Errorf("client TLS = %+v", o.TLS)
	}
}

func TestBadHTTPOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeCerts(t, dir)
	good := script(t, "import { task } from \"jsload\";\nexport const a = task(() => {});\n")
	opts := func(o string) string {
		return script(t, "import { task } from \"jsload\";\nexport const options = "+o+";\nexport const a = task(() => {});\n")
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad timeout", nil, []string{"run", good, "--headless", "--timeout", "soon"}, `invalid argument "soon" for "--timeout"`},
		{"zero timeout", nil, []string{"run", good, "--headless", "--timeout", "0"}, "--timeout must be more than 0"},
		{"zero connect timeout", map[string]string{"JSLOAD_CONNECT_TIMEOUT": "0s"}, []string{"run", good, "--headless"}, "--connect-timeout must be more than 0"},
		{"bad size", nil, []string{"run", good, "--headless", "--max-body-size", "10XB"}, `"10XB" is not a size`},
		{"bad size option", nil, []string{"run", opts(`{ maxBodySize: "lots" }`), "--headless"}, `options.maxBodySize in the script: invalid argument "lots" for "--max-body-size" flag: "lots" is not a size`},
		{"bad protocol", nil, []string{"run", good, "--headless", "--http-protocol", "http2"}, `--http-protocol "http2" is not a protocol: use one of auto, http1.1, h2c, h2 (did you mean "h2"?`},
		{"bad protocol option", nil, []string{"run", opts(`{ protocol: "h3" }`), "--headless"}, `--http-protocol "h3" is not a protocol`},
		{"bad tls version", nil, []string{"run", good, "--headless", "--tls-min-version", "1.4"}, `--tls-min-version "1.4" is not a TLS version`},
		{"unknown tls key", nil, []string{"run", opts(`{ tls: { sevrerName: "x" } }`), "--headless"}, `options.tls.sevrerName in the script: unknown key (did you mean "serverName"?)`},
		{"tls not an object", nil, []string{"run", opts(`{ tls: "yes" }`), "--headless"}, `options.tls in the script must be an object`},
		{"tls twice", nil, []string{"run", opts(`{ tls: { cert: "a" }, tlsCert: "b" }`), "--headless"}, `options.tls.cert and options.tlsCert in the script say the same thing`},
		{"cert without key", nil, []string{"run", good, "--headless", "--tls-cert", filepath.Join(dir, "c.pem")}, "--tls-cert and --tls-key go together"},
		{"missing cert", nil, []string{"run", good, "--headless", "--tls-cert", "/no/such.pem", "--tls-key", filepath.Join(dir, "k.pem")}, "--tls-cert: cannot read /no/such.pem: no such file or directory"},
		{"missing ca from env", map[string]string{"JSLOAD_TLS_CA": "/no/ca.pem"}, []string{"run", good, "--headless"}, "JSLOAD_TLS_CA: cannot read /no/ca.pem"},
		{"missing script file", nil, []string{"run", opts(`{ tls: { ca: "ca.pem" } }`), "--headless"}, "options.tls.ca in the script: cannot read "},
		{"not a pair", nil, []string{"run", good, "--headless", "--tls-cert", filepath.Join(dir, "k.pem"), "--tls-key", filepath.Join(dir, "k.pem")}, "are not a certificate and its key"},
		{"ca without certs", nil, []string{"run", good, "--headless", "--tls-ca", filepath.Join(dir, "k.pem")}, "holds no PEM certificate"},
		{"unknown option", nil, []string{"run", opts(`{ discardResponseBody: true }`), "--headless"}, `options.discardResponseBody in the script: unknown option (did you mean "discardResponseBodies"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, c.env, nil, c.args...)
			if r.code != ExitInvalid || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want %d and %q\nstderr: %s", r.code, ExitInvalid, c.want, r.stderr)
			}
			if strings.Contains(r.stdout, "Aggregated") {
				t.Errorf("a test ran despite invalid input")
			}
		})
	}
}

func TestRunWideTimeoutReachesTheUsers(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p := script(t, "import { task, http } from \"jsload\";\nexport const options = { timeout: 30 };\nexport const a = task(() => { http.get(\"/hang\"); });\n")
	r := run(t, map[string]string{"JSLOAD_TIMEOUT": "40s"}, nil, "run", p, "--headless", "-H", srv.URL, "-i", "1", "--timeout", "150ms", "--only-summary")
	if r.code != ExitOnError || !strings.Contains(r.stdout, "timeout after 150ms") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

func TestNewEnvCarriesHTTPOptions(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.Timeout, cfg.MaxBodySize, cfg.DiscardResponseBodies = 7*time.Second, 99, true
	env, _ := newEnv(&State{Stderr: io.Discard}, &cfg, stats.NewRegistry(1), newLogger(io.Discard, "info"), "")
	if env.HTTP.Timeout != 7*time.Second || env.HTTP.MaxBodyBytes != 99 || !env.HTTP.DiscardBodies || env.HTTP.DialTimeout != 10*time.Second || env.HTTP.UserAgent == "" {
		t.Errorf("env.HTTP = %+v", env.HTTP)
	}
}

func TestHTTPFlagsHelp(t *testing.T) {
	t.Parallel()
	r := run(t, nil, nil, "run", "--help")
	for _, want := range []string{
		"--timeout duration", "(default 1m0s)", "--connect-timeout duration", "(default 10s)",
		"--max-body-size size", "64 MiB", "--discard-response-bodies", "--http-protocol string", "h2c (HTTP/2 without TLS)",
		"--tls-cert string", "--tls-key string", "--tls-ca string", "--tls-server-name string", "--tls-min-version string",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, "--max-body-size size      read at most this much of a response body, e.g. 512KiB, 10MB (default 0: the client's limit, 64 MiB; unlimited or -1: no limit) (default") {
		t.Errorf("--max-body-size shows a second default")
	}
}

// A whole run against an HTTPS server that requires a client certificate
// and speaks HTTP/2: the flags reach every user's client.
func TestMutualTLSAndHTTP2FromTheCommandLine(t *testing.T) {
	t.Parallel()
	clientCert, clientKey := testcert.SelfSigned(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(clientCert)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d", r.ProtoMajor)
	}))
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ca := write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	cert, key := write("client.pem", clientCert), write("client-key.pem", clientKey)
	src := `import { task, http } from "jsload";
export const a = task(() => {
  const r = http.get("/");
  if (r.status !== 200 || r.proto !== "HTTP/2.0" || r.body !== "2") throw new Error(r.proto + " " + r.status + " " + r.error);
});
`
	r := run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "2", "-i", "6", "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key)
	if r.code != ExitOK || !regexp.MustCompile(`(?m)^GET +/ +6 +0\(`).MatchString(r.stdout) {
		t.Errorf("with the client certificate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Without it the server refuses the handshake: a failure, not a crash.
	r = run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "1", "-i", "2", "--tls-ca", ca)
	if r.code != ExitOnError || !regexp.MustCompile(`certificate required|connection reset|broken pipe`).MatchString(r.stdout) {
		t.Errorf("without the client certificate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Without the CA, the server's certificate is not trusted.
	r = run(t, nil, nil, "run", script(t, src), "-H", srv.URL, "--headless", "-u", "1", "-i", "1", "--tls-cert", cert, "--tls-key", key)
	if r.code != ExitOnError || !strings.Contains(r.stdout, "x509: certificate signed by unknown authority") {
		t.Errorf("without the CA: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
