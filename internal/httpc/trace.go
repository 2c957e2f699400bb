package httpc

import (
	"crypto/tls"
	"net"
	"time"
)

// Trace is what a Request with a Trace learns of its last hop beyond
// Timings: k6's timings and the server's address. The HTTP/1.1 client
// fills every field; the HTTP/2 and proxy paths leave the phases zero
// (Remote is then nil too).
type Trace struct {
	// Blocked is the time spent before a connection was in hand (looking
	// for an idle one), without Connecting and TLSHandshaking.
	Blocked time.Duration
	// Connecting is the time the TCP connection took (0 when reused).
	Connecting time.Duration
	// TLSHandshaking is the time of the TLS handshake (0 when reused or
	// not https).
	TLSHandshaking time.Duration
	// Sending is the time from the connection being in hand to the
	// request being written (head and body).
	Sending time.Duration
	// Remote is the server's address (its String is "ip:port"); nil when
	// not known.
	Remote net.Addr
	// Reused reports whether the connection was a kept-alive one.
	Reused bool
	// TLSVersion and TLSCipherSuite are the TLS connection's (tls.VersionTLS13,
	// tls.TLS_AES_128_GCM_SHA256, ...); 0 without TLS.
	TLSVersion, TLSCipherSuite uint16
	// KeepLastRedirect, set by the caller, makes a request that reaches
	// its redirect limit return the last 3xx response (as k6 does)
	// instead of failing with "stopped after N redirects" (HTTP/1.1
	// client only).
	KeepLastRedirect bool

	t0, dialAt, dialEnd, shookAt, gotAt, sentAt time.Time
}

// begin starts a hop (an attempt on a connection).
func (t *Trace) begin() {
	*t = Trace{t0: time.Now(), KeepLastRedirect: t.KeepLastRedirect}
}

func (t *Trace) dialing() { t.dialAt = time.Now() }
func (t *Trace) dialed()  { t.dialEnd = time.Now(); t.Connecting = t.dialEnd.Sub(t.dialAt) }
func (t *Trace) shook()   { t.shookAt = time.Now(); t.TLSHandshaking = t.shookAt.Sub(t.dialEnd) }

// got records that the connection nc is in hand.
func (t *Trace) got(nc net.Conn) {
	t.gotAt = time.Now()
	t.Reused = t.dialAt.IsZero()
	t.Blocked = max(t.gotAt.Sub(t.t0)-t.Connecting-t.TLSHandshaking, 0)
	t.Remote = nc.RemoteAddr()
	if tc, ok := nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		t.TLSVersion, t.TLSCipherSuite = st.Version, st.CipherSuite
	}
}

// connectedBefore takes the phases of the connection pre, made for the
// request before it went on it (the HTTP/2 path's first connection).
func (t *Trace) connectedBefore(pre *Trace) {
	t.Connecting, t.TLSHandshaking, t.Reused = pre.Connecting, pre.TLSHandshaking, false
	if t.Remote == nil {
		t.Remote, t.TLSVersion, t.TLSCipherSuite = pre.Remote, pre.TLSVersion, pre.TLSCipherSuite
	}
}

// sent records that the request was written.
func (t *Trace) sent() { t.sentAt = time.Now(); t.Sending = t.sentAt.Sub(t.gotAt) }

// Waiting is the time from the request being written to the response's
// headers arriving, on the last hop of r (r's Timings.Waiting counts from
// the first hop's start); 0 when it was not traced.
func (t *Trace) Waiting(r *Response) time.Duration {
	if t.sentAt.IsZero() || r.End.IsZero() {
		return 0
	}
	return max(r.End.Add(-r.Timings.Receiving).Sub(t.sentAt), 0)
}
