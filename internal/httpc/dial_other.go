//go:build !linux

package httpc

import "syscall"

// dialControl is nil: the port-range option of dial_linux.go is Linux's.
var dialControl func(network, address string, rc syscall.RawConn) error
