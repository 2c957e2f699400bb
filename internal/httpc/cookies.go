package httpc

import (
	"net/http"
	"net/url"
)

// Cookies returns the cookies the client would send to u (an http or https
// URL): the WebSocket client sends the user's cookies with its handshake.
func (c *Client) Cookies(u *url.URL) []*http.Cookie {
	if c == nil || c.jar == nil || !c.hasCookies.Load() {
		return nil
	}
	return c.jar.Cookies(u)
}
