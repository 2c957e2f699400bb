package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/httpc"
)

// tlsOptionFlags maps the keys of the script's options.tls object to the
// flags they stand for.
var tlsOptionFlags = map[string]string{
	"cert":               "tls-cert",
	"key":                "tls-key",
	"ca":                 "tls-ca",
	"serverName":         "tls-server-name",
	"minVersion":         "tls-min-version",
	"insecureSkipVerify": "insecure-skip-tls-verify",
}

// tlsFileFlags are the flags naming files, which a script gives relative to
// its own directory.
var tlsFileFlags = []string{"tls-cert", "tls-key", "tls-ca"}

// expandScriptOptions returns the script's options as applySources reads
// them: options.tls = { cert, ... } becomes the options of the --tls-*
// flags, and the files the script names are made relative to its
// directory, dir. opts itself is not changed.
func expandScriptOptions(opts map[string]any, dir string) (map[string]any, error) {
	if opts == nil {
		return nil, nil
	}
	out := make(map[string]any, len(opts))
	for k, v := range opts {
		out[k] = v
	}
	if v, ok := out["tls"]; ok && v != nil {
		delete(out, "tls")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("options.tls in the script must be an object like { cert, key, ca, serverName, minVersion, insecureSkipVerify }, got %v", v)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flag, ok := tlsOptionFlags[k]
			if !ok {
				known := make([]string, 0, len(tlsOptionFlags))
				for n := range tlsOptionFlags {
					known = append(known, n)
				}
				sort.Strings(known)
				return nil, fmt.Errorf("options.tls.%s in the script: unknown key%s (known: %v)", k, config.DidYouMean(k, known), known)
			}
			name := optionName(flag)
			if a, ok := optionAliases[flag]; ok && out[a] != nil {
				name = a
			}
			if out[name] != nil {
				return nil, fmt.Errorf("options.tls.%s and options.%s in the script say the same thing: keep one", k, name)
			}
			val := m[k]
			if k == "minVersion" {
				// minVersion: 1.0 is the number 1 by then.
				if f, ok := val.(float64); ok {
					val = strconv.FormatFloat(f, 'f', 1, 64)
				} else if n, ok := val.(int64); ok {
					val = strconv.FormatInt(n, 10) + ".0"
				}
			}
			out[name] = val
		}
	}
	for _, flag := range tlsFileFlags {
		name := optionName(flag)
		if p, ok := out[name].(string); ok && p != "" && !filepath.IsAbs(p) {
			out[name] = filepath.Join(dir, p)
		}
	}
	return out, nil
}

// loadTLSFiles reads the run's TLS files into cfg.TLS's PEM fields, so that
// they reach workers too, and checks them: a certificate and key that make
// a pair, a CA file that holds certificates. Errors name where the file was
// given: onCommandLine tells the flags the command line gave (before
// applySources set the others).
func loadTLSFiles(onCommandLine map[string]bool, getenv func(string) string, cfg *config.Run) error {
	where := func(flag, key string) string {
		if onCommandLine[flag] {
			return "--" + flag
		}
		if getenv(envName(flag)) != "" {
			return envName(flag)
		}
		return "options.tls." + key + " in the script"
	}
	t := &cfg.TLS
	for _, f := range []struct {
		flag, key, path string
		pem             *[]byte
	}{{"tls-cert", "cert", t.Cert, &t.CertPEM}, {"tls-key", "key", t.Key, &t.KeyPEM}, {"tls-ca", "ca", t.CA, &t.CAPEM}} {
		*f.pem = nil
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("%s: cannot read %s: %v", where(f.flag, f.key), f.path, pathError(err))
		}
		*f.pem = b
	}
	if t.CertPEM != nil {
		if _, err := tls.X509KeyPair(t.CertPEM, t.KeyPEM); err != nil {
			return fmt.Errorf("%s %s and %s %s are not a certificate and its key: %v", where("tls-cert", "cert"), t.Cert, where("tls-key", "key"), t.Key, err)
		}
	}
	if t.CAPEM != nil && !x509.NewCertPool().AppendCertsFromPEM(t.CAPEM) {
		return fmt.Errorf("%s: %s holds no PEM certificate", where("tls-ca", "ca"), t.CA)
	}
	return nil
}

// givenFlags returns the names of the flags the command line gave.
func givenFlags(fs *pflag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { m[f.Name] = true })
	return m
}

// pathError drops the path and operation from a file error, which the
// message names already.
func pathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// applyHTTPConfig sets the client options the run's configuration holds:
// timeouts, body handling, protocol and TLS.
func applyHTTPConfig(o *httpc.Options, cfg *config.Run) {
	o.Timeout = cfg.Timeout
	o.DialTimeout = cfg.ConnectTimeout
	o.MaxBodyBytes = cfg.MaxBodySize
	o.DiscardBodies = cfg.DiscardResponseBodies
	o.Protocol = ""
	if cfg.Protocol != "auto" {
		o.Protocol = cfg.Protocol
	}
	t, c := &o.TLS, &cfg.TLS
	t.CertFile, t.KeyFile, t.CAFile = c.Cert, c.Key, c.CA
	t.CertPEM, t.KeyPEM, t.CAPEM = string(c.CertPEM), string(c.KeyPEM), string(c.CAPEM)
	t.ServerName, t.MinVersion = c.ServerName, c.MinVersion
}
