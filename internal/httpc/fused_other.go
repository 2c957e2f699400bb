//go:build !linux

package httpc

import "io"

// fused is empty where requests are not fused with reads (see
// fused_linux.go).
type fused struct{}

// reader returns what c's budgetReader reads from.
func (c *http1Conn) reader() io.Reader { return c.nc }

// canFuse reports false: requests are flushed and read the usual way.
func (c *http1Conn) canFuse() bool { return false }

// fuse is not called where canFuse reports false.
func (c *http1Conn) fuse(tr *Trace) {}

// lastRx is 0: receive times are not known (see fused_linux.go); c may
// be nil.
func (c *http1Conn) lastRx() int64 { return 0 }

// awaitResponse is not called where canFuse reports false.
func (c *http1Conn) awaitResponse() {}
