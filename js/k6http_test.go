package js

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jsload/jsload/internal/httpc"
)

// reqErr makes a failed response as httpc reports it: Err unwraps to err.
type reqErr struct{ err error }

func (e reqErr) Error() string { return e.err.Error() }
func (e reqErr) Unwrap() error { return e.err }

func TestK6ErrorCodes(t *testing.T) {
	opDial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	for _, c := range []struct {
		name string
		res  httpc.Response
		want int
	}{
		{"ok", httpc.Response{Status: 200}, 0},
		{"redirect", httpc.Response{Status: 302}, 0},
		{"not found", httpc.Response{Status: 404}, 1404},
		{"server error", httpc.Response{Status: 503}, 1503},
		{"timeout", httpc.Response{ErrText: "timeout after 100ms", Err: reqErr{os.ErrDeadlineExceeded}}, 1050},
		{"bad url", httpc.Response{ErrText: `invalid URL "x": no host`, Err: reqErr{errors.New("x")}}, 1020},
		{"no such host", httpc.Response{ErrText: "lookup nope: no such host", Err: reqErr{&net.DNSError{Err: "no such host", Name: "nope", IsNotFound: true}}}, 1101},
		{"dns", httpc.Response{ErrText: "lookup x: server misbehaving", Err: reqErr{&net.DNSError{Err: "server misbehaving", Name: "x"}}}, 1100},
		{"refused", httpc.Response{ErrText: "connection refused", Err: reqErr{opDial(syscall.ECONNREFUSED)}}, 1212},
		{"connect timeout", httpc.Response{ErrText: "connect timeout after 10s (dial tcp 10.0.0.1:80)", Err: reqErr{opDial(os.ErrDeadlineExceeded)}}, 1211},
		{"other dial", httpc.Response{ErrText: "dial tcp: network unreachable", Err: reqErr{opDial(syscall.ENETUNREACH)}}, 1210},
		{"reset", httpc.Response{ErrText: "connection reset by peer", Err: reqErr{syscall.ECONNRESET}}, 1220},
		{"broken pipe", httpc.Response{ErrText: "broken pipe", Err: reqErr{syscall.EPIPE}}, 1201},
		{"unknown CA", httpc.Response{ErrText: "tls: unknown authority", Err: reqErr{x509.UnknownAuthorityError{}}}, 1310},
		{"host mismatch", httpc.Response{ErrText: "tls: certificate is not for host", Err: reqErr{x509.HostnameError{Host: "h", Certificate: &x509.Certificate{}}}}, 1311},
		{"tls other", httpc.Response{ErrText: "tls: handshake failure", Err: reqErr{errors.New("remote error: tls: handshake failure")}}, 1300},
		{"other", httpc.Response{ErrText: "server closed connection (EOF)", Err: reqErr{errors.New("EOF")}}, 1000},
	} {
		if got := k6ErrorCode(&c.res); got != c.want {
			t.Errorf("%s: error_code %d, want %d", c.name, got, c.want)
		}
	}
}

func TestDigestFields(t *testing.T) {
	f := digestFields(`realm="a, b", qop="auth,auth-int", nonce="n", algorithm=MD5, opaque="o"`)
	want := map[string]string{"realm": "a, b", "qop": "auth,auth-int", "nonce": "n", "algorithm": "MD5", "opaque": "o"}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, f[k], v, f)
		}
	}
}

func TestK6HTTPExtrasRefuseBadInput(t *testing.T) {
	srv := server(t)
	env := testEnv(srv.URL)
	vu := runOnce(t, env, `
import http, { cookieJar, CookieJar, url, file, expectedStatuses, setResponseCallback } from "k6/http";
const B = "`+srv.URL+`";
export default function () {
  const out = [];
  const try_ = (f) => { try { f(); out.push("no error"); } catch (e) { out.push(String(e.message)); } };
  try_(() => expectedStatuses("200"));
  try_(() => expectedStatuses({ min: 500, max: 400 }));
  try_(() => expectedStatuses());
  try_(() => setResponseCallback((r) => true));
  try_(() => http.get(B + "/echo", { jar: {} }));
  try_(() => http.get(B + "/echo", { auth: "kerberos" }));
  try_(() => http.get(B + "/echo", { auth: "digest" }));
  try_(() => file(42));
  try_(() => cookieJar().set("not a url", "a", "b"));
  try_(() => new CookieJar().set(B, "a", "b", { maxAge: 1 }));
  try_(() => http.batch([[ "GET", B + "/echo", null, { jar: new CookieJar() } ]]));
  try_(() => http.batch([[ "GET", B + "/echo", null, { cookies: { a: { value: "1", replace: true } } } ]]));
  const u = url`+"`${B}/echo?id=${7}`"+`;
  out.push(http.get(u).json().query);
  globalThis.out = out;
}
`)
	got := global(vu, "out").Export().([]any)
	want := []string{
		"http.expectedStatuses: argument 1 must be a status (a whole number) or { min, max }",
		"http.expectedStatuses: argument 1 must be a status",
		"give at least one status",
		"http.setResponseCallback(callback): callback must be what http.expectedStatuses(...) returns, or null",
		"params.jar must be a cookie jar",
		`params.auth must be "basic", "digest" or "ntlm", got "kerberos"`,
		`params.auth "digest" takes the user and password from the URL`,
		"http.file(data, filename, contentType): data must be a string or an ArrayBuffer",
		"jar.set(url, ...): url must be an absolute URL",
		`jar.set: options has "maxAge", which is not one of domain, path, expires, max_age, secure, http_only`,
		"params.jar and auth \"digest\" are not supported in a batch",
		"cookies with replace: true are not supported in a batch",
		"id=7",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		if !strings.Contains(got[i].(string), w) {
			t.Errorf("%d: %q, want it to contain %q", i, got[i], w)
		}
	}
	snap := env.Registry.Snapshot(time.Now())
	if r := rowOf(t, snap, "GET", "${}/echo?id=${}"); r.Requests != 1 {
		t.Errorf("http.url row: %d requests", r.Requests)
	}
}

func TestK6TLSFieldsAndThrow(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	env := testEnv(srv.URL)
	env.HTTP.TLS.InsecureSkipVerify = true
	vu := runOnce(t, env, `
import http from "k6/http";
export default function () {
  const r = http.get("`+srv.URL+`/");
  const again = http.get("`+srv.URL+`/");
  let thrown = "none";
  try { http.get("http://127.0.0.1:1/", { throw: true }); } catch (e) { thrown = e.message; }
  const quiet = http.get("http://127.0.0.1:1/", { throw: false });
  globalThis.out = [r.status, r.tls_version === http.TLS_1_3, r.tls_cipher_suite.startsWith("TLS_"),
    r.timings.tls_handshaking > 0, again.timings.tls_handshaking, thrown, quiet.error_code];
}
`)
	got := global(vu, "out").Export().([]any)
	if got[0] != int64(200) || got[1] != true || got[2] != true || got[3] != true || got[4] != int64(0) ||
		!strings.Contains(got[5].(string), "GET http://127.0.0.1:1/: connection refused") || got[6] != int64(1212) {
		t.Errorf("out = %v", got)
	}
}

func TestK6BatchOptionBoundsRequestsInFlight(t *testing.T) {
	var mu sync.Mutex
	in, most, total := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		in++
		total++
		most = max(most, in)
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // lets requests overlap; nothing asserts on time
		mu.Lock()
		in--
		mu.Unlock()
	}))
	defer srv.Close()
	env := testEnv(srv.URL)
	runOnce(t, env, `
import http from "k6/http";
export const options = { batch: 2 };
export default function () {
  http.batch(Array.from({ length: 8 }, () => "`+srv.URL+`/"));
}
`)
	mu.Lock()
	defer mu.Unlock()
	if total != 8 || most > 2 {
		t.Errorf("%d requests, at most %d at once; want 8, at most 2", total, most)
	}
}
