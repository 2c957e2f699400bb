package httpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// TLSOptions configure the TLS connections of a Client. The zero value
// verifies servers against the system's roots with Go's default versions
// and sends no client certificate.
type TLSOptions struct {
	// CertFile and KeyFile are the PEM files of the client certificate and
	// its private key, sent to servers that ask for one (mutual TLS).
	// When KeyFile is empty the key is read from CertFile, which then
	// holds both; a KeyFile without a CertFile is an error.
	CertFile, KeyFile string
	// CAFile is a PEM file of the certificate authorities that server
	// certificates are verified against. It replaces the system's roots,
	// as curl's --cacert does; empty means the system's roots.
	CAFile string
	// ServerName, when set, is the name sent in the TLS handshake (SNI) and
	// the name the server's certificate is verified for, instead of the
	// URL's host. The Host header still comes from the URL.
	ServerName string
	// MinVersion is the lowest TLS version accepted: "1.0", "1.1", "1.2"
	// or "1.3"; empty means Go's default (TLS 1.2).
	MinVersion string
	// InsecureSkipVerify turns off the verification of server certificates
	// (any certificate for any name is accepted).
	InsecureSkipVerify bool
	// CertPEM, KeyPEM and CAPEM are the contents of the certificate, key
	// and CA files (PEM text), used instead of reading CertFile, KeyFile
	// and CAFile when set: a cluster's workers get them from the master,
	// which has the files. The file names then only name them in errors.
	// (Strings, not byte slices, so that TLSOptions stays comparable.)
	CertPEM, KeyPEM, CAPEM string
}

// tlsVersions maps TLSOptions.MinVersion to crypto/tls's constants.
var tlsVersions = map[string]uint16{
	"1.0": tls.VersionTLS10,
	"1.1": tls.VersionTLS11,
	"1.2": tls.VersionTLS12,
	"1.3": tls.VersionTLS13,
}

// Config builds the tls.Config that o describes: it reads the client
// certificate and key and the CA file, and sets ServerName, MinVersion and
// InsecureSkipVerify. It offers no application protocols (NextProtos is
// empty). Its errors name the option or file at fault and the problem,
// e.g. `tls: reading the CA file ca.pem: open ca.pem: no such file or
// directory`. Each call reads the files anew and returns a new Config.
func (o TLSOptions) Config() (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName:         o.ServerName,
		InsecureSkipVerify: o.InsecureSkipVerify,
	}
	if o.MinVersion != "" {
		v, ok := tlsVersions[o.MinVersion]
		if !ok {
			return nil, fmt.Errorf("tls: minVersion %q is not one of 1.0, 1.1, 1.2, 1.3", o.MinVersion)
		}
		cfg.MinVersion = v
	}
	switch {
	case o.CertFile != "" || o.CertPEM != "":
		certPEM, err := readPEM(o.CertPEM, o.CertFile, "the client certificate")
		if err != nil {
			return nil, err
		}
		keyPEM, keyFile := certPEM, o.CertFile
		if o.KeyFile != "" || o.KeyPEM != "" {
			keyFile = o.KeyFile
			if keyPEM, err = readPEM(o.KeyPEM, o.KeyFile, "the client key"); err != nil {
				return nil, err
			}
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("tls: loading the client certificate %s with the key %s: %s",
				o.CertFile, keyFile, strings.TrimPrefix(err.Error(), "tls: "))
		}
		cfg.Certificates = []tls.Certificate{cert}
	case o.KeyFile != "":
		return nil, fmt.Errorf("tls: the client key %s is set without a client certificate (certFile)", o.KeyFile)
	}
	if o.CAFile != "" || o.CAPEM != "" {
		caPEM, err := readPEM(o.CAPEM, o.CAFile, "the CA file")
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("tls: the CA file %s holds no PEM certificate", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// readPEM is pem when set, else the contents of file; what names the file
// in errors.
func readPEM(pem, file, what string) ([]byte, error) {
	if pem != "" {
		return []byte(pem), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: reading %s %s: %w", what, file, err)
	}
	return b, nil
}

// tlsSetup holds the tls.Configs that Clients with the same TLSOptions
// share read-only, one per set of application protocols offered through
// ALPN. A Config that needs a per-host ServerName is cloned per connection.
type tlsSetup struct {
	h1   *tls.Config // offers http/1.1 only
	auto *tls.Config // offers h2 and http/1.1
	h2   *tls.Config // offers h2 only
}

// tlsSetups caches the tlsSetup of each TLSOptions value that built
// without error, so that the files are read once per process and New
// (called once per VU) stays cheap. Failed builds are not cached: a
// fixed file is read on the next try.
var tlsSetups struct {
	sync.Mutex
	m map[TLSOptions]*tlsSetup
}

// setupTLS returns the shared tlsSetup for o, building it on first use.
func setupTLS(o TLSOptions) (*tlsSetup, error) {
	tlsSetups.Lock()
	defer tlsSetups.Unlock()
	if s := tlsSetups.m[o]; s != nil {
		return s, nil
	}
	base, err := o.Config()
	if err != nil {
		return nil, err
	}
	withProtos := func(protos ...string) *tls.Config {
		c := base.Clone()
		c.NextProtos = protos
		return c
	}
	s := &tlsSetup{
		h1:   withProtos("http/1.1"),
		auto: withProtos("h2", "http/1.1"),
		h2:   withProtos("h2"),
	}
	if tlsSetups.m == nil {
		tlsSetups.m = make(map[TLSOptions]*tlsSetup)
	}
	tlsSetups.m[o] = s
	return s, nil
}

// errOptions wraps an invalid option: every request of a Client made by New
// with invalid options fails with it.
type errOptions struct{ err error }

func (e *errOptions) Error() string { return "invalid options: " + e.err.Error() }
func (e *errOptions) Unwrap() error { return e.err }

// Check reports whether o is usable: whether Protocol is known and the TLS
// files can be read and parsed (see TLSOptions.Config). The command line
// calls it once before a test starts. New does not fail: a Client made from
// options that do not pass Check reports the same error, prefixed with
// "invalid options: ", in Response.Err of every request.
func (o Options) Check() error {
	if _, err := parseProtocol(o.Protocol); err != nil {
		return err
	}
	_, err := setupTLS(o.TLS)
	return err
}

// handshake runs the TLS handshake over nc for u's host with cfg (one of
// the Client's tlsSetup configs), bounded by ctx and the dial timeout. It
// closes nc when it fails.
func (c *Client) handshake(ctx context.Context, nc net.Conn, u *url.URL, cfg *tls.Config) (*tls.Conn, error) {
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName = u.Hostname()
	}
	tc := tls.Client(nc, cfg)
	hctx, cancel := context.WithTimeout(ctx, c.dialer.Timeout)
	err := tc.HandshakeContext(hctx)
	timedOut := hctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	cancel()
	if err != nil {
		nc.Close()
		if timedOut {
			// crypto/tls says only "context deadline exceeded".
			return nil, &handshakeTimeout{after: c.dialer.Timeout, addr: hostPort(u)}
		}
		return nil, err
	}
	return tc, nil
}

// handshakeTimeout is a TLS handshake that took longer than the connect
// timeout (Options.DialTimeout).
type handshakeTimeout struct {
	after time.Duration
	addr  string
}

func (e *handshakeTimeout) Error() string {
	return "connect timeout after " + e.after.String() + " (TLS handshake with " + e.addr + ")"
}

// tlsErrText returns the stable text of a TLS failure in err, or "" when
// err is none. Certificate errors read as crypto/x509 words them, without
// the wrapping "tls: failed to verify certificate: " and without the
// current time that an expiry error carries.
func tlsErrText(err error) string {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		if inv.Reason == x509.Expired {
			return "x509: certificate has expired or is not yet valid"
		}
		return inv.Error()
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return unknown.Error()
	}
	var host x509.HostnameError
	if errors.As(err, &host) {
		return host.Error()
	}
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		return "tls: " + verify.Err.Error()
	}
	var rec tls.RecordHeaderError
	if errors.As(err, &rec) {
		return "tls: the server did not answer with TLS (is it plain http?)"
	}
	return ""
}
