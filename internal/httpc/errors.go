package httpc

import (
	"errors"
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errText maps a transport error to a short message that is identical for
// identical failures: it never contains ephemeral ports, local addresses or
// pointer values, and never the "Get \"http://...\": " prefix of *url.Error.
// rawURL is the requested URL and dialTimeout the Client's dial timeout;
// both are stable. The request timeout and caller cancellation are
// recognized by Do from the contexts before errText is consulted.
func errText(err error, rawURL string, dialTimeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Op == "parse" {
		return `invalid URL "` + ue.URL + `": ` + ue.Err.Error()
	}
	// Peel *url.Error wrappers ("Get \"http://...\": ").
	for errors.As(err, &ue) {
		err = ue.Err
	}

	var le *limitError
	if errors.As(err, &le) {
		return le.text
	}
	// net/http's transport (used with a proxy) words the header limit
	// its own way: "net/http: server response headers exceeded N bytes;
	// aborted".
	if _, after, ok := strings.Cut(err.Error(), "server response headers exceeded "); ok {
		n, _, _ := strings.Cut(after, " ")
		if limit, perr := strconv.ParseInt(n, 10, 64); perr == nil {
			return headersTooLarge(limit).Error()
		}
	}

	if s := tlsErrText(err); s != "" { // see tls.go
		return s
	}

	var noH2 *errNoH2
	if errors.As(err, &noH2) {
		return noH2.Error()
	}

	var tmr *errTooManyRedirects
	if errors.As(err, &tmr) {
		return tmr.Error()
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		// Leave out dnsErr.Server: it is the resolver, not the target.
		return "lookup " + dnsErr.Name + ": " + dnsErr.Err
	}

	var opErr *net.OpError
	hasOp := errors.As(err, &opErr)

	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (dial tcp " + targetAddr(opErr, rawURL) + ")"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "server closed connection (unexpected EOF)"
	case errors.Is(err, io.EOF), strings.Contains(err.Error(), "server closed idle connection"):
		return "server closed connection (EOF)"
	}

	if hasOp && opErr.Op == "dial" && opErr.Timeout() {
		return "connect timeout after " + dialTimeout.String() + " (dial tcp " + targetAddr(opErr, rawURL) + ")"
	}

	msg := err.Error()
	if msg == "http: no Host in request URL" {
		return `invalid URL "` + rawURL + `": no host`
	}
	return cleanMessage(msg)
}

// targetAddr returns the remote address of a dial error, or the host:port of
// rawURL when the error carries none.
func targetAddr(opErr *net.OpError, rawURL string) string {
	if opErr != nil && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	host := u.Host
	if u.Port() == "" {
		switch u.Scheme {
		case "https":
			host = net.JoinHostPort(u.Hostname(), "443")
		default:
			host = net.JoinHostPort(u.Hostname(), "80")
		}
	}
	return host
}

// pointerRe matches hexadecimal pointer values such as 0xc000123456.
var pointerRe = regexp.MustCompile(`0x[0-9a-fA-F]{6,}`)

// cleanMessage removes unstable parts from an error message: the local
// endpoint of "local->remote" address pairs (the ephemeral port) and pointer
// values.
func cleanMessage(msg string) string {
	msg = stripLocalAddrs(msg)
	if strings.Contains(msg, "0x") {
		msg = pointerRe.ReplaceAllString(msg, "0x?")
	}
	return msg
}

// stripLocalAddrs turns every "ip:port->ip:port" in s into the remote
// "ip:port" only. Arrows not preceded by a host:port are left alone.
func stripLocalAddrs(s string) string {
	from := 0
	for {
		i := strings.Index(s[from:], "->")
		if i < 0 {
			return s
		}
		i += from
		j := strings.LastIndexByte(s[:i], ' ') + 1
		if looksLikeHostPort(s[j:i]) {
			s = s[:j] + s[i+2:]
			from = j
		} else {
			from = i + 2
		}
	}
}

// looksLikeHostPort reports whether s has the form host:port with a numeric
// port (IPv6 hosts in brackets included).
func looksLikeHostPort(s string) bool {
	k := strings.LastIndexByte(s, ':')
	if k <= 0 || k == len(s)-1 {
		return false
	}
	_, err := strconv.ParseUint(s[k+1:], 10, 16)
	return err == nil
}
