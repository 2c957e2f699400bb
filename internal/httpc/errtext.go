package httpc

import "time"

// ErrorText is the short, stable text of a transport error (a refused or
// timed-out connect, an untrusted certificate, a reset), worded as HTTP
// failures are: the other protocol clients (internal/ws, internal/tcp)
// report their connect failures with it so that identical failures group
// together in the statistics. rawURL names the target when the error does
// not; dialTimeout is the connect timeout a dial timeout is reported with.
func ErrorText(err error, rawURL string, dialTimeout time.Duration) string {
	return errText(err, rawURL, dialTimeout)
}
