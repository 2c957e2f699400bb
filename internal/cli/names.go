package cli

import (
	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/stats"
)

// namesWarnAt is the number of distinct request names past which a run
// warns that names probably hold ids.
const namesWarnAt = 100

// limitNames applies --max-names and --group-ids to reg.
func limitNames(reg *stats.Registry, cfg *config.Run) {
	reg.SetMaxNames(cfg.MaxNames)
	reg.SetGroupIDs(cfg.GroupIDs)
}

// nameGuard warns, once each, when a run's request names grow past
// namesWarnAt and when they reach --max-names.
type nameGuard struct {
	warned, capped bool
}

// check looks at the names in s.
func (g *nameGuard) check(s *stats.Snapshot, reg *stats.Registry, cfg *config.Run, log *logger) {
	if !g.warned && len(s.Rows) > namesWarnAt && namesWarnAt < cfg.MaxNames {
		g.warned = true
		p := stats.BusiestPattern(s)
		log.Warnf("%d distinct request names so far, %d of them %s: ids in URLs make a statistics row each; give such requests a name (http.get(url, { name: %q })) or run with --group-ids", len(s.Rows), p.Names, p.Pattern, patternPath(p.Pattern))
	}
	if !g.capped && reg.Overflowed() {
		g.capped = true
		log.Warnf("more than %d request names (--max-names): requests under further names are counted in the row %q of their type", cfg.MaxNames, stats.OverflowName)
	}
}

// patternPath is the path of a "TYPE /path" pattern.
func patternPath(p string) string {
	for i := 0; i < len(p); i++ {
		if p[i] == ' ' {
			return p[i+1:]
		}
	}
	return p
}
