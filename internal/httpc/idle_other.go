//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package httpc

import "net"

// idleConnsChecked tells whether idleConnBroken looks at connections on
// this platform.
const idleConnsChecked = false

// idleConnBroken reports false: on this platform an idle connection's
// socket is not looked at, and a request that may not be replayed fails
// when the server has closed the connection it is sent on.
func idleConnBroken(net.Conn) bool { return false }
