package stats

import (
	"strings"
	"sync"
	"time"
)

// Failure is one group of failed requests.
type Failure struct {
	Type, Name, Error string
	Count             int64
}

// Exception is one group of script exceptions.
type Exception struct {
	Message   string
	Position  string // file:line:column in the user's source, "" if unknown
	Traceback string
	Count     int64
	// First is when the group's first occurrence was recorded: the one
	// whose message and traceback the group keeps, and the one logged.
	First time.Time
}

// Check counts the outcomes of one named check.
type Check struct {
	Name          string
	Passes, Fails int64
}

// Rate is the share of passes (0 with no outcomes).
func (c Check) Rate() float64 {
	if n := c.Passes + c.Fails; n > 0 {
		return float64(c.Passes) / float64(n)
	}
	return 0
}

// failKey is how failures are grouped: by request and error message.
type failKey struct {
	Type, Name, Error string
}

// excKey is how exceptions are grouped; exKey makes it.
type excKey struct {
	Message, Position string
}

// exKey is how exceptions are grouped (see RecordException): by the
// error's kind ("TypeError" of "TypeError: x is undefined") and position
// when the position is known, else by message.
func exKey(message, position string) excKey {
	if position != "" {
		if i := strings.Index(message, ": "); i > 0 && isIdent(message[:i]) {
			return excKey{message[:i], position}
		}
	}
	return excKey{message, position}
}

// isIdent reports whether s is made of JavaScript identifier characters
// (ASCII letters, digits, '_' and '$').
func isIdent(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// groups are the counts kept by group rather than by row: failures,
// exceptions, checks, dropped iteration starts and requests cut off. Shards, absorbed
// statistics and snapshots being built or merged all keep them in this
// form, and merge them with add or addLists.
type groups struct {
	failures   map[failKey]int64
	exceptions map[excKey]*Exception
	checks     map[string]*Check
	dropped    int64
	cutOff     int64
}

func newGroups() groups {
	return groups{failures: map[failKey]int64{}, exceptions: map[excKey]*Exception{}, checks: map[string]*Check{}}
}

// add adds o's counts to g (copying what it keeps).
func (g *groups) add(o *groups) {
	for k, n := range o.failures {
		g.failures[k] += n
	}
	for k, x := range o.exceptions {
		g.addException(k, x)
	}
	for _, c := range o.checks {
		g.addCheck(c)
	}
	g.dropped += o.dropped
	g.cutOff += o.cutOff
}

// addLists adds groups listed as a Snapshot lists them to g (copying what
// it keeps). Lists may name a group more than once: the counts add up.
func (g *groups) addLists(fails []Failure, excs []Exception, checks []Check, dropped, cutOff int64) {
	for _, f := range fails {
		g.failures[failKey{f.Type, f.Name, f.Error}] += f.Count
	}
	for i := range excs {
		x := &excs[i]
		g.addException(exKey(x.Message, x.Position), x)
	}
	for i := range checks {
		g.addCheck(&checks[i])
	}
	g.dropped += dropped
	g.cutOff += cutOff
}

// addException adds x's count to the group k. A group g lacks starts as a
// copy of x. Of two occurrences of a group the earlier one (First) keeps its
// message and traceback, whatever the order of the merge; equal times (or
// none) are decided by the message, then the traceback, so that merging
// shards, workers and snapshots in any order gives the same group.
func (g *groups) addException(k excKey, x *Exception) {
	y := g.exceptions[k]
	if y == nil {
		cp := *x
		g.exceptions[k] = &cp
		return
	}
	if excBefore(x, y) {
		y.Message, y.Traceback, y.First = x.Message, x.Traceback, x.First
	}
	y.Count += x.Count
}

// excBefore reports whether occurrence a comes before b: recorded first,
// else (same time) the smaller message, then the smaller traceback.
func excBefore(a, b *Exception) bool {
	switch {
	case !a.First.Equal(b.First):
		if a.First.IsZero() || b.First.IsZero() {
			return b.First.IsZero() // a known time comes first
		}
		return a.First.Before(b.First)
	case a.Message != b.Message:
		return a.Message < b.Message
	}
	return a.Traceback < b.Traceback
}

// firstExceptions holds the first occurrence of every exception group of a
// registry, shared by its shards: the one RecordException reports as first
// (and the caller logs) is the one every shard's copy of the group keeps.
type firstExceptions struct {
	mu sync.Mutex
	m  map[excKey]Exception
}

// claim returns the group k's first occurrence, which is x (stamped now)
// when the group is new, and whether it is.
func (f *firstExceptions) claim(k excKey, x Exception) (Exception, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if y, ok := f.m[k]; ok {
		return y, false
	}
	if f.m == nil {
		f.m = map[excKey]Exception{}
	}
	x.First = time.Now()
	f.m[k] = x
	return x, true
}

// reset forgets every group.
func (f *firstExceptions) reset() {
	f.mu.Lock()
	f.m = nil
	f.mu.Unlock()
}

// addCheck adds c's outcomes to the check of the same name, which starts
// as a copy of c when g lacks it.
func (g *groups) addCheck(c *Check) {
	if d := g.checks[c.Name]; d != nil {
		d.Passes += c.Passes
		d.Fails += c.Fails
	} else {
		cp := *c
		g.checks[c.Name] = &cp
	}
}

// fill replaces s's failures, exceptions, checks and dropped count with
// g's, unsorted (Snapshot.finish sorts them). An empty list is nil.
func (g *groups) fill(s *Snapshot) {
	s.Failures, s.Exceptions, s.Checks = nil, nil, nil
	for k, n := range g.failures {
		s.Failures = append(s.Failures, Failure{k.Type, k.Name, k.Error, n})
	}
	for _, x := range g.exceptions {
		s.Exceptions = append(s.Exceptions, *x)
	}
	for _, c := range g.checks {
		s.Checks = append(s.Checks, *c)
	}
	s.Dropped, s.CutOff = g.dropped, g.cutOff
}
