//go:build !linux

package httpc

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// canDialDirect is false: dialDirect is Linux's (direct_linux.go).
const canDialDirect = false

func dialDirect(context.Context, netip.AddrPort, time.Time) (net.Conn, error) {
	panic("dialDirect is Linux's")
}
