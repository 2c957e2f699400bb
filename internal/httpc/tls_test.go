package httpc

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// newTestCA makes a self-signed CA named name.
func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leaf is a certificate issued by a testCA, with its key in PEM.
type leaf struct {
	certPEM, keyPEM []byte
	tls             tls.Certificate
}

// issue makes a certificate for names (DNS names or IP addresses), for
// servers or, when client is true, for clients; expired makes one that is
// no longer valid.
func (ca *testCA) issue(t *testing.T, client, expired bool, names ...string) leaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if expired {
		tmpl.NotBefore = time.Now().Add(-48 * time.Hour)
		tmpl.NotAfter = time.Now().Add(-24 * time.Hour)
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	l := leaf{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
	}
	if l.tls, err = tls.X509KeyPair(l.certPEM, l.keyPEM); err != nil {
		t.Fatal(err)
	}
	return l
}

// writeFile writes data to name in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// tlsServer starts an https server on loopback with cert; h2 offers
// HTTP/2; configure, if not nil, adjusts its tls.Config before it starts.
func tlsServer(t *testing.T, h http.Handler, cert tls.Certificate, h2 bool, configure func(*tls.Config)) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = h2
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	if configure != nil {
		configure(srv.TLS)
	}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// okHandler answers "ok" and the protocol it was asked in.
var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "ok "+r.Proto)
})

// protocols are the values of Options.Protocol that work over TLS against
// a server offering HTTP/2: TLS behaves alike with both.
var tlsProtocols = []string{ProtocolHTTP1, ProtocolAuto}

func TestTLSOptionsErrors(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "Test CA")
	l := ca.issue(t, true, false, "client")
	cert := writeFile(t, dir, "cert.pem", l.certPEM)
	key := writeFile(t, dir, "key.pem", l.keyPEM)
	garbage := writeFile(t, dir, "garbage.pem", []byte("not PEM\n"))
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		o    TLSOptions
		want string
	}{
		{TLSOptions{CertFile: missing, KeyFile: key}, "tls: reading the client certificate " + missing + ": open " + missing + ": no such file or directory"},
		{TLSOptions{CertFile: cert, KeyFile: missing}, "tls: reading the client key " + missing + ": open " + missing + ": no such file or directory"},
		{TLSOptions{CertFile: cert}, "tls: loading the client certificate " + cert + " with the key " + cert + ": found a certificate rather than a key in the PEM for the private key"},
		{TLSOptions{CertFile: garbage, KeyFile: key}, "tls: loading the client certificate " + garbage + " with the key " + key + ": failed to find any PEM data in certificate input"},
		{TLSOptions{KeyFile: key}, "tls: the client key " + key + " is set without a client certificate (certFile)"},
		{TLSOptions{CAFile: missing}, "tls: reading the CA file " + missing + ": open " + missing + ": no such file or directory"},
		{TLSOptions{CAFile: garbage}, "tls: the CA file " + garbage + " holds no PEM certificate"},
		{TLSOptions{MinVersion: "1.4"}, `tls: minVersion "1.4" is not one of 1.0, 1.1, 1.2, 1.3`},
	}
	for _, tt := range tests {
		_, err := tt.o.Config()
		if err == nil || err.Error() != tt.want {
			t.Errorf("%+v: Config error\n%v, want\n%s", tt.o, err, tt.want)
		}
		if err := (Options{TLS: tt.o}).Check(); err == nil || err.Error() != tt.want {
			t.Errorf("%+v: Check error %v, want %s", tt.o, err, tt.want)
		}
	}
	if err := (Options{Protocol: "h3"}).Check(); err == nil || err.Error() != `protocol "h3" is not one of "" (auto), "http1.1", "h2", "h2c"` {
		t.Errorf("Check of protocol h3: %v", err)
	}
	good := Options{TLS: TLSOptions{CertFile: cert, KeyFile: key, CAFile: writeFile(t, dir, "ca.pem", ca.pem), MinVersion: "1.3", ServerName: "x"}}
	if err := good.Check(); err != nil {
		t.Errorf("Check of good options: %v", err)
	}
	cfg, err := good.TLS.Config()
	if err != nil || len(cfg.Certificates) != 1 || cfg.RootCAs == nil || cfg.MinVersion != tls.VersionTLS13 || cfg.ServerName != "x" {
		t.Errorf("Config of good options: %+v, %v", cfg, err)
	}
	combined := writeFile(t, dir, "combined.pem", append(append([]byte{}, l.certPEM...), l.keyPEM...))
	if _, err := (TLSOptions{CertFile: combined}).Config(); err != nil {
		t.Errorf("a certificate file holding its key: %v", err)
	}

	// New does not fail: its requests do, without reaching the network.
	c := New(Options{TLS: TLSOptions{CAFile: missing}})
	resp := c.Do(testCtx(t), &Request{URL: "http://127.0.0.1:1/"})
	want := "invalid options: tls: reading the CA file " + missing + ": open " + missing + ": no such file or directory"
	if resp.Status != 0 || resp.ErrText != want || !os.IsNotExist(unwrapAll(resp.Err)) {
		t.Errorf("request of a Client with a missing CA file: status %d, err %q, want %q", resp.Status, resp.ErrText, want)
	}
}

// unwrapAll returns the innermost error of a chain of single wraps.
func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

// TestTLSConfigShared checks that Clients with equal TLSOptions share one
// prepared configuration, so that New stays cheap.
func TestTLSConfigShared(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "Test CA")
	o := Options{TLS: TLSOptions{CAFile: writeFile(t, dir, "ca.pem", ca.pem)}}
	a, b := New(o), New(o)
	if a.tlsc != b.tlsc || a.tlsc.h1.RootCAs == nil {
		t.Errorf("Clients with equal options do not share their TLS configuration")
	}
}

func TestCAFile(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "Test CA")
	srv := tlsServer(t, okHandler, ca.issue(t, false, false, "127.0.0.1").tls, true, nil)
	caFile := writeFile(t, dir, "ca.pem", ca.pem)
	other := writeFile(t, dir, "other.pem", newTestCA(t, "Other CA").pem)
	ctx := testCtx(t)
	for _, p := range tlsProtocols {
		resp := New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile}}).Do(ctx, &Request{URL: srv.URL})
		if resp.Err != nil || resp.Status != 200 {
			t.Errorf("protocol %q, the server's CA: status %d, err %v", p, resp.Status, resp.Err)
		}
		resp = New(Options{Protocol: p, TLS: TLSOptions{CAFile: other}}).Do(ctx, &Request{URL: srv.URL})
		if resp.Status != 0 || resp.ErrText != "x509: certificate signed by unknown authority" {
			t.Errorf("protocol %q, another CA: status %d, err %q", p, resp.Status, resp.ErrText)
		}
	}
}

func TestServerNameAndHostnameMismatch(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "Test CA")
	srv := tlsServer(t, okHandler, ca.issue(t, false, false, "api.example.test").tls, true, nil)
	caFile := writeFile(t, dir, "ca.pem", ca.pem)
	ctx := testCtx(t)
	for _, p := range tlsProtocols {
		resp := New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile}}).Do(ctx, &Request{URL: srv.URL})
		if want := "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"; resp.Status != 0 || resp.ErrText != want {
			t.Errorf("protocol %q, no server name: status %d, err %q, want %q", p, resp.Status, resp.ErrText, want)
		}
		resp = New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile, ServerName: "www.example.test"}}).Do(ctx, &Request{URL: srv.URL})
		if want := "x509: certificate is valid for api.example.test, not www.example.test"; resp.Status != 0 || resp.ErrText != want {
			t.Errorf("protocol %q, another server name: status %d, err %q, want %q", p, resp.Status, resp.ErrText, want)
		}
		resp = New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile, ServerName: "api.example.test"}}).Do(ctx, &Request{URL: srv.URL})
		if resp.Err != nil || resp.Status != 200 {
			t.Errorf("protocol %q, server name set: status %d, err %v", p, resp.Status, resp.Err)
		}
	}
}

func TestExpiredCertificate(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "Test CA")
	srv := tlsServer(t, okHandler, ca.issue(t, false, true, "127.0.0.1").tls, true, nil)
	caFile := writeFile(t, dir, "ca.pem", ca.pem)
	for _, p := range tlsProtocols {
		resp := New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile}}).Do(testCtx(t), &Request{URL: srv.URL})
		if want := "x509: certificate has expired or is not yet valid"; resp.Status != 0 || resp.ErrText != want {
			t.Errorf("protocol %q: status %d, err %q, want %q", p, resp.Status, resp.ErrText, want)
		}
	}
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA := newTestCA(t, "Server CA")
	clientCA := newTestCA(t, "Client CA")
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	srv := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	}), serverCA.issue(t, false, false, "127.0.0.1").tls, true, func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = pool
	})
	caFile := writeFile(t, dir, "ca.pem", serverCA.pem)
	good := clientCA.issue(t, true, false, "good client")
	// Go's client sends a certificate only if it is of a CA the server
	// names, so a certificate of another CA is as none: the bad one
	// here is of the right CA but expired.
	bad := clientCA.issue(t, true, true, "bad client")
	goodCert := writeFile(t, dir, "good.pem", good.certPEM)
	goodKey := writeFile(t, dir, "good.key", good.keyPEM)
	badCert := writeFile(t, dir, "bad.pem", bad.certPEM)
	badKey := writeFile(t, dir, "bad.key", bad.keyPEM)
	ctx := testCtx(t)
	for _, p := range tlsProtocols {
		resp := New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile, CertFile: goodCert, KeyFile: goodKey}}).Do(ctx, &Request{URL: srv.URL})
		if resp.Err != nil || resp.Status != 200 || string(resp.Body) != "good client" {
			t.Errorf("protocol %q, the right certificate: status %d, body %q, err %v", p, resp.Status, resp.Body, resp.Err)
		}
		resp = New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile}}).Do(ctx, &Request{URL: srv.URL})
		if want := "remote error: tls: certificate required"; resp.Status != 0 || !refused(resp.ErrText, want) {
			t.Errorf("protocol %q, no certificate: status %d, err %q, want %q", p, resp.Status, resp.ErrText, want)
		}
		resp = New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile, CertFile: badCert, KeyFile: badKey}}).Do(ctx, &Request{URL: srv.URL})
		if want := "remote error: tls: expired certificate"; resp.Status != 0 || !refused(resp.ErrText, want) {
			t.Errorf("protocol %q, an expired certificate: status %d, err %q, want %q", p, resp.Status, resp.ErrText, want)
		}
	}
}

// refused reports whether text is that of a client certificate refused
// with alert want. Under TLS 1.3 the client's handshake ends before the
// server checks the certificate: when the request reaches the server after
// it closed the connection, the kernel answers with a reset that can beat
// the alert to the client, so a reset (or, for a write, a broken pipe) is
// what the client may see instead.
func refused(text, want string) bool {
	return text == want || text == "connection reset by peer" || text == "broken pipe"
}

func TestMinVersion(t *testing.T) {
	ca := newTestCA(t, "Test CA")
	srv := tlsServer(t, okHandler, ca.issue(t, false, false, "127.0.0.1").tls, true, func(c *tls.Config) {
		c.MaxVersion = tls.VersionTLS12
	})
	caFile := writeFile(t, t.TempDir(), "ca.pem", ca.pem)
	ctx := testCtx(t)
	for _, p := range tlsProtocols {
		resp := New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile, MinVersion: "1.2"}}).Do(ctx, &Request{URL: srv.URL})
		if resp.Err != nil || resp.Status != 200 {
			t.Errorf("protocol %q, minimum 1.2: status %d, err %v", p, resp.Status, resp.Err)
		}
		resp = New(Options{Protocol: p, TLS: TLSOptions{CAFile: caFile, MinVersion: "1.3"}}).Do(ctx, &Request{URL: srv.URL})
		if want := "remote error: tls: protocol version not supported"; resp.Status != 0 || resp.ErrText != want {
			t.Errorf("protocol %q, minimum 1.3: status %d, err %q, want %q", p, resp.Status, resp.ErrText, want)
		}
	}
}

func TestPlainServerOverTLS(t *testing.T) {
	srv := newServer(t, okHandler)
	for _, p := range tlsProtocols {
		resp := New(Options{Protocol: p}).Do(testCtx(t), &Request{URL: strings.Replace(srv.URL, "http:", "https:", 1)})
		if want := "tls: the server did not answer with TLS (is it plain http?)"; resp.Status != 0 || resp.ErrText != want {
			t.Errorf("protocol %q: status %d, err %q, want %q", p, resp.Status, resp.ErrText, want)
		}
	}
}

// TestHandshakeTimeout checks the failure text of a server that accepts
// connections but never answers the TLS handshake, on every protocol.
func TestHandshakeTimeout(t *testing.T) {
	srv := newHostileServer(t, func(c net.Conn, br *bufio.Reader) {
		io.Copy(io.Discard, br) // reads the ClientHello, answers nothing
	})
	u := "https://" + strings.TrimPrefix(srv.URL, "http://") + "/"
	for _, p := range []string{ProtocolAuto, ProtocolHTTP1, ProtocolH2} {
		c := New(Options{Protocol: p, DialTimeout: 200 * time.Millisecond})
		want := "connect timeout after 200ms (TLS handshake with " + strings.TrimPrefix(srv.URL, "http://") + ")"
		if resp := c.Do(testCtx(t), &Request{URL: u}); resp.ErrText != want {
			t.Errorf("protocol %q: ErrText %q, want %q", p, resp.ErrText, want)
		}
	}
}
