//go:build !linux

package httpc

// fused is empty where sendAndWait is not used (see fused_linux.go).
type fused struct{}

// canFuse reports false: requests are flushed and read the usual way.
func (c *http1Conn) canFuse() bool { return false }

// sendAndWait is not called where canFuse reports false.
func (c *http1Conn) sendAndWait(tr *Trace) error {
	if err := c.bw.Flush(); err != nil {
		return err
	}
	if tr != nil {
		tr.sent()
	}
	return nil
}
