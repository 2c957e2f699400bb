//go:build !linux

package cli

import "time"

// coresBusyReader does not know the cores' busy time on this system.
func coresBusyReader() func() time.Duration { return nil }
