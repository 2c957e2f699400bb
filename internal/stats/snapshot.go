package stats

import (
	"sort"
	"time"
)

// Snapshot is a consistent copy of a registry's statistics at one moment.
// Snapshots are plain data: outputs read them, and they can be merged.
type Snapshot struct {
	Start      time.Time // when the statistics began
	Time       time.Time // when the snapshot was taken
	Users      int       // running VUs, filled in by the engine's owner
	Rows       []*Row    // sorted by name, then type
	Total      *Row      // the "Aggregated" row
	Failures   []Failure // most frequent first
	Exceptions []Exception
	Checks     []Check // by name
	Dropped    int64   // arrival-rate iteration starts no user could serve
	// CutOff counts the requests in flight when the test stopped, which
	// the stop interrupted: they are neither requests nor failures.
	CutOff int64
	// LostWorkers are the workers of a distributed test that stopped
	// reporting (or left) during it and did not come back, filled in by
	// the master's owner: their statistics count up to their last report.
	LostWorkers []LostWorker
	// Metrics are the custom metrics, sorted by name, with the built-in
	// metrics and sub-metrics that thresholds asked for (metrics.go).
	Metrics []*Metric
	// HTTPSubs are the rows of HTTP requests of the sub-metrics that
	// thresholds asked for, by filter ("" for all HTTP requests).
	HTTPSubs map[string]*Row
}

// LostWorker is a worker lost during a distributed test.
type LostWorker struct {
	ID         string    // the worker's id
	Host       string    // the machine it ran on
	Users      int       // the users it ran when it was last heard of
	LastReport time.Time // its last report: what it measured after is lost
	Why        string    // "missing" (no report for a while) or "left" (stopped on its machine)
}

// Elapsed is the time between Start and Time.
func (s *Snapshot) Elapsed() time.Duration { return s.Time.Sub(s.Start) }

// HasErrors reports whether any request failed or any exception was raised.
func (s *Snapshot) HasErrors() bool {
	return s.Total.Failures > 0 || len(s.Exceptions) > 0
}

// Snapshot merges all shards into a new Snapshot taken at now.
func (r *Registry) Snapshot(now time.Time) *Snapshot {
	return r.collect(now, false)
}

// Drain returns what was recorded since the last Drain (or since the
// registry was made) and empties the shards: the delta a cluster's worker
// sends to its master. What Absorb added is not included.
func (r *Registry) Drain(now time.Time) *Snapshot {
	return r.collect(now, true)
}

// collect merges the shards, and unless it drains them what was absorbed,
// into a snapshot taken at now. Each shard is locked in turn, never two
// at a time; draining empties each shard under its lock.
func (r *Registry) collect(now time.Time, drain bool) *Snapshot {
	rows := rowSet{}
	g := newGroups()
	ms := metricSet{}
	subs := rowSet{}
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for k, e := range sh.entries {
			rows.row(k).addEntry(e)
		}
		for _, m := range sh.metrics {
			mergeMetrics(ms, []*Metric{m})
		}
		for f, e := range sh.httpSubs {
			subs.row(Key{Name: f}).addEntry(e)
		}
		g.add(&sh.groups)
		if drain {
			sh.reset()
		}
		sh.mu.Unlock()
	}
	r.mu.Lock()
	start := r.start
	if rm := r.remote; rm != nil && !drain {
		for k, o := range rm.rows {
			rows.row(k).Merge(o)
		}
		for k, o := range rm.httpSubs {
			subs.row(k).Merge(o)
		}
		mergeMetrics(ms, rm.metrics.list())
		g.add(&rm.groups)
	}
	r.mu.Unlock()
	s := &Snapshot{Start: start, Time: now, Rows: rows.list(), Metrics: ms.list()}
	if len(subs) > 0 {
		s.HTTPSubs = map[string]*Row{}
		for k, row := range subs {
			s.HTTPSubs[k.Name] = row
		}
	}
	g.fill(s)
	s.finish()
	return s
}

// finish sorts the rows and groups and recomputes the Aggregated row.
func (s *Snapshot) finish() {
	sort.Slice(s.Rows, func(i, j int) bool {
		a, b := s.Rows[i], s.Rows[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Type < b.Type
	})
	s.Total = newRow(Key{Name: "Aggregated"})
	for _, row := range s.Rows {
		s.Total.Merge(row)
	}
	sort.Slice(s.Failures, func(i, j int) bool {
		a, b := s.Failures[i], s.Failures[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Error < b.Error
	})
	sort.Slice(s.Checks, func(i, j int) bool { return s.Checks[i].Name < s.Checks[j].Name })
	sort.Slice(s.Exceptions, func(i, j int) bool {
		a, b := s.Exceptions[i], s.Exceptions[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		return a.Message < b.Message
	})
}

// Merge adds o into s, as if one registry had recorded both: rows with the
// same key are merged exactly (histograms included), failures, exceptions
// and checks are summed by group (as Absorb and Snapshot group them, so
// two entries of one group in s or o become one). Users are added; Start
// becomes the earlier one and Time the later one. The rows of s are
// updated in place; o is not changed and shares nothing with s afterwards.
func (s *Snapshot) Merge(o *Snapshot) {
	s.Users += o.Users
	if o.Start.Before(s.Start) || s.Start.IsZero() {
		s.Start = o.Start
	}
	if o.Time.After(s.Time) {
		s.Time = o.Time
	}
	idx := map[Key]*Row{}
	for _, r := range s.Rows {
		idx[r.Key] = r
	}
	for _, r := range o.Rows {
		if d := idx[r.Key]; d != nil {
			d.Merge(r)
			continue
		}
		n := newRow(r.Key)
		n.Merge(r)
		s.Rows = append(s.Rows, n)
		idx[r.Key] = n
	}
	if len(o.Metrics) > 0 {
		ms := metricSet{}
		mergeMetrics(ms, s.Metrics)
		mergeMetrics(ms, o.Metrics)
		s.Metrics = ms.list()
	}
	for f, r := range o.HTTPSubs {
		if s.HTTPSubs == nil {
			s.HTTPSubs = map[string]*Row{}
		}
		if d := s.HTTPSubs[f]; d != nil {
			d.Merge(r)
		} else {
			n := newRow(r.Key)
			n.Merge(r)
			s.HTTPSubs[f] = n
		}
	}
	g := newGroups()
	g.addLists(s.Failures, s.Exceptions, s.Checks, s.Dropped, s.CutOff)
	g.addLists(o.Failures, o.Exceptions, o.Checks, o.Dropped, o.CutOff)
	g.fill(s)
	s.finish()
}
