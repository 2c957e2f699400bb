package stats

import (
	"sync"
	"time"
)

// shard is one lock's share of a registry: the recorders of the VUs whose
// id maps to it record here, and snapshots read it under the same lock.
type shard struct {
	mu      sync.Mutex
	entries map[Key]*entry
	names   *nameLimit       // the registry's, shared by its shards
	firsts  *firstExceptions // the registry's, shared by its shards
	groups
	metrics  metricSet         // custom metrics and sub-metrics (metrics.go)
	httpSubs map[string]*entry // HTTP sub-metric rows, by filter (metrics.go)
	wants    *wantSet          // the registry's, shared by its shards
	_        [64]byte          // keep shards' locks on separate cache lines
}

// reset empties the shard; its lock must be held (or the shard unshared).
func (s *shard) reset() {
	s.entries = make(map[Key]*entry)
	s.groups = newGroups()
	s.metrics = metricSet{}
	s.httpSubs = map[string]*entry{}
}

// entry accumulates the samples of one key inside one shard. Its histogram
// is a value so that recording into an existing entry does not allocate.
type entry struct {
	Counters
	hist  Histogram
	sched *Histogram // Sample.Scheduled, in arrival-rate tests
}

// add counts one sample that ended at at. A negative duration counts as 0.
func (e *entry) add(s *Sample, at time.Time) {
	if s.Scheduled > 0 {
		if e.sched == nil {
			e.sched = &Histogram{}
		}
		e.sched.Record(s.Scheduled)
	}
	e.Requests++
	if s.Err != "" {
		e.Failures++
	}
	d := s.Duration
	if d < 0 {
		d = 0
	}
	e.TotalTime += d
	if e.Requests == 1 || d < e.Min {
		e.Min = d
	}
	if d > e.Max {
		e.Max = d
	}
	e.TotalSize += s.Size
	if e.First.IsZero() || at.Before(e.First) {
		e.First = at
	}
	if at.After(e.Last) {
		e.Last = at
	}
	e.hist.Record(d)
	sec := at.Unix()
	r := &e.recent[sec%ringLen]
	if r.sec < sec {
		*r = second{sec: sec}
	}
	if r.sec == sec { // else too late for the ring: keep the newer second
		r.reqs++
		if s.Err != "" {
			r.fails++
		}
	}
}

// newEntry makes the entry of a key the shard has not seen, or, past the
// registry's limit on names, finds or makes its type's overflow entry (and
// changes *k to its key). The shard's lock must be held.
func (s *shard) newEntry(k *Key) *entry {
	*k = s.names.admit(*k)
	e := s.entries[*k]
	if e == nil {
		e = &entry{}
		s.entries[*k] = e
	}
	return e
}

// Recorder adds samples to one shard of a Registry. It is safe for
// concurrent use, though it is meant for one VU.
type Recorder struct {
	s *shard
}

// Record adds one sample: a request, counted as a failure when s.Err is set.
// A failure is also grouped by (type, name, error) for the error report.
func (rec Recorder) Record(s Sample) {
	at := s.At
	if at.IsZero() {
		at = time.Now()
	}
	sh := rec.s
	if sh.names.groupIDs.Load() {
		s.Name = GroupIDs(s.Name)
	}
	k := Key{s.Type, s.Name}
	sh.mu.Lock()
	e := sh.entries[k]
	if e == nil {
		e = sh.newEntry(&k)
	}
	e.add(&s, at)
	if s.Err != "" {
		sh.failures[failKey{k.Type, k.Name, s.Err}]++
	}
	if s.HTTP {
		if w := sh.wants.p.Load(); w != nil && len(w.HTTP) > 0 {
			sh.addHTTPSubs(w, &s, at)
		}
	}
	sh.mu.Unlock()
}

// RecordException counts one script exception and reports whether it is
// the first of its group in the registry (since it was made or Reset), the
// one a caller that logs each group once should log. Exceptions with a
// known source position ("file:line:column") are grouped by their kind and
// position, so that messages that vary (ids, random values) do not make a
// group each: the first message and traceback are kept, the same that was
// reported first, however many VUs record the group at once. Without a
// position they are grouped by message.
func (rec Recorder) RecordException(message, position, traceback string) (first bool) {
	sh := rec.s
	k := exKey(message, position)
	x0, first := sh.firsts.claim(k, Exception{Message: message, Position: position, Traceback: traceback})
	sh.mu.Lock()
	x := sh.exceptions[k]
	if x == nil {
		x = &x0
		sh.exceptions[k] = x
	}
	x.Count++
	sh.mu.Unlock()
	return first
}

// RecordCheck counts one outcome of the check called name.
func (rec Recorder) RecordCheck(name string, ok bool) {
	sh := rec.s
	sh.mu.Lock()
	c := sh.checks[name]
	if c == nil {
		c = &Check{Name: name}
		sh.checks[name] = c
	}
	if ok {
		c.Passes++
	} else {
		c.Fails++
	}
	sh.mu.Unlock()
}

// RecordDropped counts n iteration starts of an arrival-rate test that no
// user was free to serve.
func (rec Recorder) RecordDropped(n int64) {
	rec.s.mu.Lock()
	rec.s.dropped += n
	rec.s.mu.Unlock()
}

// RecordCutOff counts n requests that the test's stop interrupted: they
// are not requests or failures, and are counted apart.
func (rec Recorder) RecordCutOff(n int64) {
	rec.s.mu.Lock()
	rec.s.cutOff += n
	rec.s.mu.Unlock()
}
