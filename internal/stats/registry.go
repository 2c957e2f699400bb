package stats

import (
	"sync"
	"time"
)

// Registry holds all statistics of one test run.
type Registry struct {
	shards []shard
	mu     sync.Mutex // guards start and remote
	start  time.Time
	// remote holds what other processes recorded (Absorb): a cluster's
	// workers, as seen by its master.
	remote *remote
	// names bounds the distinct (type, name) rows, shards and remote
	// together.
	names *nameLimit
	// firsts is the first occurrence of each exception group, shared by
	// the shards.
	firsts *firstExceptions
	// wants are the sub-metrics kept (Want), shared by the shards.
	wants *wantSet
}

// remote accumulates absorbed statistics like a shard, by key.
type remote struct {
	rows     rowSet
	httpSubs rowSet    // HTTP sub-metric rows, by filter (Name)
	metrics  metricSet // custom metrics and sub-metrics
	groups
	scratch wireDelta // reused by AbsorbWire
}

// NewRegistry returns a registry with n shards (at least 1). A few shards per
// CPU keep lock contention low; VU i records into shard i mod n.
func NewRegistry(n int) *Registry {
	if n < 1 {
		n = 1
	}
	r := &Registry{shards: make([]shard, n), start: time.Now(), names: &nameLimit{}, firsts: &firstExceptions{}, wants: &wantSet{}}
	r.names.max.Store(DefaultMaxNames)
	for i := range r.shards {
		r.shards[i].reset()
		r.shards[i].names = r.names
		r.shards[i].firsts = r.firsts
		r.shards[i].wants = r.wants
	}
	return r
}

// Start returns when the statistics began (creation or the last Reset).
func (r *Registry) Start() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.start
}

// SetStart sets when the statistics began, for rates computed over the run.
func (r *Registry) SetStart(t time.Time) {
	r.mu.Lock()
	r.start = t
	r.mu.Unlock()
}

// Reset discards every recorded sample, failure and exception and restarts
// the clock used for rates.
func (r *Registry) Reset() {
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		s.reset()
		s.mu.Unlock()
	}
	r.mu.Lock()
	r.remote = nil
	r.start = time.Now()
	r.mu.Unlock()
	r.names.reset()
	r.firsts.reset()
}

// remoteLocked returns where absorbed statistics go, making it on first
// use. The caller must hold r.mu.
func (r *Registry) remoteLocked() *remote {
	if r.remote == nil {
		r.remote = &remote{rows: rowSet{}, httpSubs: rowSet{}, metrics: metricSet{}, groups: newGroups()}
	}
	return r.remote
}

// Absorb adds statistics recorded elsewhere (a delta from Drain, usually
// decoded from another process) to the registry, exactly: histograms are
// merged bucket by bucket, failures, exceptions and checks by group,
// metrics as Metric.Merge does.
// Later snapshots include them; Reset discards them.
func (r *Registry) Absorb(d *Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rm := r.remoteLocked()
	for _, row := range d.Rows {
		rm.rows.row(r.names.admit(row.Key)).Merge(row)
	}
	rm.addLists(d.Failures, d.Exceptions, d.Checks, d.Dropped, d.CutOff)
	for f, row := range d.HTTPSubs {
		rm.httpSubs.row(Key{Name: f}).Merge(row)
	}
	mergeMetrics(rm.metrics, d.Metrics)
}

// Recorder returns the recorder for VU id. Recorders are cheap values; one VU
// should keep its own.
func (r *Registry) Recorder(id int) Recorder {
	i := id % len(r.shards) // not -id first: -math.MinInt overflows
	if i < 0 {
		i = -i
	}
	return Recorder{s: &r.shards[i]}
}
