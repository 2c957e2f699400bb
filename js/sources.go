package js

import (
	"encoding/json"
	"slices"
)

// SameSources reports whether two bundles were made from the same source
// files (their contents, wherever they were on disk): how a cluster's
// worker given its own copy of the script checks it against the master's.
func SameSources(a, b Bundle) bool {
	ca, oka := sourcesContent(a.SourceMap)
	cb, okb := sourcesContent(b.SourceMap)
	if !oka || !okb {
		return a.Code == b.Code
	}
	slices.Sort(ca)
	slices.Sort(cb)
	return slices.Equal(ca, cb)
}

func sourcesContent(smap []byte) ([]string, bool) {
	var m struct {
		SourcesContent []string `json:"sourcesContent"`
	}
	if json.Unmarshal(smap, &m) != nil || len(m.SourcesContent) == 0 {
		return nil, false
	}
	return m.SourcesContent, true
}
