package cli

import "fmt"

// fdReserve is what a run needs besides its users' connections: its own
// files, listeners and the occasional extra connection.
const fdReserve = 100

// fdWarning is the warning for a test that plans users users under an
// open-file limit of limit (raised from before), or "" when they fit. Each
// user holds at least one connection, and a connection is an open file.
func fdWarning(users int, limit, before uint64) string {
	if users <= 0 || limit == 0 || uint64(users)+fdReserve <= limit {
		return ""
	}
	raised := ""
	if before < limit {
		raised = fmt.Sprintf(" (jsload raised it from %d to the hard limit)", before)
	}
	return fmt.Sprintf("%d users need at least %d open files (a connection each), but this process may open %d%s: requests beyond that fail with \"too many open files\"; raise the hard limit (ulimit -Hn, LimitNOFILE= in a systemd unit, nofile in /etc/security/limits.conf) or spread the users over workers (--processes, --worker)",
		users, uint64(users)+fdReserve, limit, raised)
}

// checkOpenFiles raises the open-file limit as far as it goes and warns
// when the plan's peak users still do not fit.
func checkOpenFiles(users int, log *logger) {
	now, before, ok := raiseOpenFileLimit()
	if !ok {
		return
	}
	if w := fdWarning(users, now, before); w != "" {
		log.Warnf("%s", w)
	}
}
