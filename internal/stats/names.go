package stats

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultMaxNames is how many distinct (type, name) rows a registry keeps
// unless SetMaxNames says otherwise. Each row holds a histogram per shard,
// so rows are what grows when a script puts ids in request names; a
// thousand is far more than a test's endpoints and bounds that growth.
const DefaultMaxNames = 1000

// OverflowName is the name under which a registry counts the requests of
// every (type, name) beyond its limit: one row per type.
const OverflowName = "(other names, over --max-names)"

// nameLimit admits new (type, name) keys up to a maximum, for all shards
// of a registry (and the rows it absorbs) together.
type nameLimit struct {
	max      atomic.Int64
	count    atomic.Int64
	seen     sync.Map // Key -> struct{}
	overflow atomic.Bool
	groupIDs atomic.Bool
}

// admit returns k when it is known or there is room for it, else the
// overflow key of its type. It is called when a shard has no entry for k
// yet, so its cost is paid once per key and shard (and per drain).
func (l *nameLimit) admit(k Key) Key {
	if k.Name == OverflowName {
		return k
	}
	if _, ok := l.seen.Load(k); ok {
		return k
	}
	over := Key{Type: k.Type, Name: OverflowName}
	if l.count.Load() >= l.max.Load() {
		l.overflow.Store(true)
		return over
	}
	if _, loaded := l.seen.LoadOrStore(k, struct{}{}); !loaded {
		if l.count.Add(1) > l.max.Load() {
			l.seen.Delete(k)
			l.count.Add(-1)
			l.overflow.Store(true)
			return over
		}
	}
	return k
}

// reset forgets every key.
func (l *nameLimit) reset() {
	l.seen.Clear()
	l.count.Store(0)
	l.overflow.Store(false)
}

// SetMaxNames sets how many distinct (type, name) rows the registry keeps
// (n <= 0 means DefaultMaxNames); requests under further names are counted
// in one row per type named OverflowName, so that memory stays bounded
// whatever names a script makes. Set it before recording.
func (r *Registry) SetMaxNames(n int) {
	if n <= 0 {
		n = DefaultMaxNames
	}
	r.names.max.Store(int64(n))
}

// Overflowed reports whether some requests were counted under
// OverflowName since the registry was made or reset.
func (r *Registry) Overflowed() bool { return r.names.overflow.Load() }

// SetGroupIDs makes the registry name requests by their path with id-like
// segments replaced by "{id}" (GroupIDs), so that "/items/123" and
// "/items/456" are one row, "/items/{id}".
func (r *Registry) SetGroupIDs(on bool) { r.names.groupIDs.Store(on) }

// GroupIDs replaces the id-like segments of a path-like name with "{id}":
// segments of digits, UUIDs, and hexadecimal strings of 8 characters or
// more with at least one digit. Names without a '/' are left alone.
func GroupIDs(name string) string {
	if !strings.Contains(name, "/") {
		return name
	}
	parts := strings.Split(name, "/")
	changed := false
	for i, p := range parts {
		if idLike(p) {
			parts[i] = "{id}"
			changed = true
		}
	}
	if !changed {
		return name
	}
	return strings.Join(parts, "/")
}

// idLike tells whether a path segment looks like an id.
func idLike(s string) bool {
	if s == "" {
		return false
	}
	digits, hex := 0, 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			hex++
		case c == '-':
		default:
			return false
		}
	}
	if digits == len(s) {
		return true
	}
	if len(s) == 36 && strings.Count(s, "-") == 4 {
		return true // a UUID
	}
	return !strings.Contains(s, "-") && digits > 0 && digits+hex >= 8
}

// NamePattern is a group of names that differ only in id-like segments.
type NamePattern struct {
	Pattern string // GroupIDs of the names, with their type: "GET /items/{id}"
	Names   int    // how many distinct names it covers
}

// BusiestPattern is the pattern of s's rows that covers the most distinct
// names, to tell a user which requests to name.
func BusiestPattern(s *Snapshot) NamePattern {
	counts := map[string]int{}
	for _, r := range s.Rows {
		counts[strings.TrimSpace(r.Type+" "+GroupIDs(r.Name))]++
	}
	var out []NamePattern
	for p, n := range counts {
		out = append(out, NamePattern{p, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Names != out[j].Names {
			return out[i].Names > out[j].Names
		}
		return out[i].Pattern < out[j].Pattern
	})
	if len(out) == 0 {
		return NamePattern{}
	}
	return out[0]
}
