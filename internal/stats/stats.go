// Package stats aggregates request samples into Locust-style statistics.
//
// Virtual users record samples through a Recorder. Recorders are spread over
// a fixed number of shards, each with its own lock, so that no lock is shared
// by all VUs on the per-request path. A Snapshot merges the shards into rows
// keyed by (type, name), each with a histogram whose memory is bounded by the
// spread of the response times, not by their number.
package stats

import (
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// Percentiles are the quantiles every report shows, in Locust's order.
var Percentiles = []float64{0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0}

// Key identifies a statistics row.
type Key struct {
	Type string // the request method, or a custom client's type
	Name string // the request's stats name
}

// Sample is one measured request or custom event.
type Sample struct {
	Type     string
	Name     string
	Duration time.Duration // the response time
	Size     int64         // the response's content length in bytes
	Err      string        // "" for a success; otherwise the failure's message
	At       time.Time     // when the request ended; zero means now
	// Scheduled, in arrival-rate tests, is the response time counted from
	// when the request would have been sent had its iteration started on
	// schedule (Duration plus the iteration's lateness): the latency that
	// coordinated omission hides. Zero in closed-model tests.
	Scheduled time.Duration
}

// ringLen is how many recent seconds each row keeps for current rates.
const ringLen = 16

// CurrentWindow is how many complete seconds the current rates average over.
const CurrentWindow = 10

type second struct {
	sec         int64
	reqs, fails int64
}

// entry accumulates the samples of one key inside one shard.
type entry struct {
	requests, failures int64
	total              time.Duration
	min, max           time.Duration
	size               int64
	first, last        time.Time
	hist               Histogram
	sched              *Histogram // Sample.Scheduled, in arrival-rate tests
	recent             [ringLen]second
}

func (e *entry) add(s *Sample, at time.Time) {
	if s.Scheduled > 0 {
		if e.sched == nil {
			e.sched = &Histogram{}
		}
		e.sched.Record(s.Scheduled)
	}
	e.requests++
	if s.Err != "" {
		e.failures++
	}
	d := s.Duration
	if d < 0 {
		d = 0
	}
	e.total += d
	if e.requests == 1 || d < e.min {
		e.min = d
	}
	if d > e.max {
		e.max = d
	}
	e.size += s.Size
	if e.first.IsZero() || at.Before(e.first) {
		e.first = at
	}
	if at.After(e.last) {
		e.last = at
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

type failKey struct {
	Type, Name, Error string
}

type excKey struct {
	Message, Position string
}

// exKey is how exceptions are grouped (see RecordException): by the
// error's kind ("TypeError" of "TypeError: x is undefined") and position
// when the position is known, else by message.
func exKey(message, position, _ string) excKey {
	if position != "" {
		if i := strings.Index(message, ": "); i > 0 && isIdent(message[:i]) {
			return excKey{message[:i], position}
		}
	}
	return excKey{message, position}
}

func isIdent(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// groups are the counts kept by group rather than by row: failures,
// exceptions, checks and dropped iteration starts.
type groups struct {
	failures   map[failKey]int64
	exceptions map[excKey]*Exception
	checks     map[string]*Check
	dropped    int64
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
		if y := g.exceptions[k]; y != nil {
			y.Count += x.Count
		} else {
			cp := *x
			g.exceptions[k] = &cp
		}
	}
	for k, c := range o.checks {
		if d := g.checks[k]; d != nil {
			d.Passes += c.Passes
			d.Fails += c.Fails
		} else {
			cp := *c
			g.checks[k] = &cp
		}
	}
	g.dropped += o.dropped
}

// addLists adds a snapshot's groups to g.
func (g *groups) addLists(fails []Failure, excs []Exception, checks []Check, dropped int64) {
	for _, f := range fails {
		g.failures[failKey{f.Type, f.Name, f.Error}] += f.Count
	}
	for _, x := range excs {
		k := exKey(x.Message, x.Position, x.Traceback)
		if y := g.exceptions[k]; y != nil {
			y.Count += x.Count
		} else {
			cp := x
			g.exceptions[k] = &cp
		}
	}
	for _, c := range checks {
		if d := g.checks[c.Name]; d != nil {
			d.Passes += c.Passes
			d.Fails += c.Fails
		} else {
			cp := c
			g.checks[c.Name] = &cp
		}
	}
	g.dropped += dropped
}

type shard struct {
	mu      sync.Mutex
	entries map[Key]*entry
	groups
	_ [64]byte // keep shards' locks on separate cache lines
}

func (s *shard) reset() {
	s.entries = make(map[Key]*entry)
	s.groups = newGroups()
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

// Registry holds all statistics of one test run.
type Registry struct {
	shards []shard
	mu     sync.Mutex // guards start and remote
	start  time.Time
	// remote holds what other processes recorded (Absorb): a cluster's
	// workers, as seen by its master.
	remote *remote
}

// remote accumulates absorbed statistics like a shard, by key.
type remote struct {
	rows map[Key]*Row
	groups
	scratch wireDelta // reused by AbsorbWire
}

func newRemote() *remote {
	return &remote{rows: map[Key]*Row{}, groups: newGroups()}
}

func (rm *remote) row(k Key) *Row {
	r := rm.rows[k]
	if r == nil {
		r = newRow(k)
		rm.rows[k] = r
	}
	return r
}

// NewRegistry returns a registry with n shards (at least 1). A few shards per
// CPU keep lock contention low; VU i records into shard i mod n.
func NewRegistry(n int) *Registry {
	if n < 1 {
		n = 1
	}
	r := &Registry{shards: make([]shard, n), start: time.Now()}
	for i := range r.shards {
		r.shards[i].reset()
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
}

// Absorb adds statistics recorded elsewhere (a delta from Drain, usually
// decoded from another process) to the registry, exactly: histograms are
// merged bucket by bucket, failures, exceptions and checks by group.
// Later snapshots include them; Reset discards them.
func (r *Registry) Absorb(d *Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.remote == nil {
		r.remote = newRemote()
	}
	for _, row := range d.Rows {
		r.remote.row(row.Key).Merge(row)
	}
	r.remote.addLists(d.Failures, d.Exceptions, d.Checks, d.Dropped)
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
	k := Key{s.Type, s.Name}
	sh.mu.Lock()
	e := sh.entries[k]
	if e == nil {
		e = &entry{}
		sh.entries[k] = e
	}
	e.add(&s, at)
	if s.Err != "" {
		sh.failures[failKey{s.Type, s.Name, s.Err}]++
	}
	sh.mu.Unlock()
}

// RecordException counts one script exception. Exceptions with a known
// source position ("file:line:column") are grouped by their kind and
// position, so that messages that vary (ids, random values) do not make a
// group each: the first message and traceback are kept. Without a position
// they are grouped by message.
func (rec Recorder) RecordException(message, position, traceback string) {
	sh := rec.s
	k := exKey(message, position, traceback)
	sh.mu.Lock()
	x := sh.exceptions[k]
	if x == nil {
		x = &Exception{Message: message, Position: position, Traceback: traceback}
		sh.exceptions[k] = x
	}
	x.Count++
	sh.mu.Unlock()
}

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
}

// Row is the statistics of one (type, name), or of all of them together.
type Row struct {
	Key
	Requests, Failures int64
	TotalTime          time.Duration
	Min, Max           time.Duration
	TotalSize          int64
	First, Last        time.Time // first and last sample's time; zero when empty
	Hist               *Histogram
	// Sched holds the response times counted from the scheduled start
	// (arrival-rate tests only; nil otherwise).
	Sched  *Histogram
	recent [ringLen]second
}

// SchedPercentile is the q quantile of the response times counted from
// the scheduled start, or 0 when there are none.
func (r *Row) SchedPercentile(q float64) time.Duration {
	if r.Sched == nil || r.Sched.Count() == 0 {
		return 0
	}
	return r.Sched.ValueAtQuantile(q)
}

func newRow(k Key) *Row { return &Row{Key: k, Hist: &Histogram{}} }

func (r *Row) addEntry(e *entry) {
	r.mergeSched(e.sched)
	r.merge(e.requests, e.failures, e.total, e.min, e.max, e.size, e.first, e.last, &e.recent)
	r.Hist.Merge(&e.hist)
}

func (r *Row) mergeSched(h *Histogram) {
	if h == nil {
		return
	}
	if r.Sched == nil {
		r.Sched = &Histogram{}
	}
	r.Sched.Merge(h)
}

// Merge adds o's counts to r (the keys are not compared).
func (r *Row) Merge(o *Row) {
	r.mergeSched(o.Sched)
	r.merge(o.Requests, o.Failures, o.TotalTime, o.Min, o.Max, o.TotalSize, o.First, o.Last, &o.recent)
	r.Hist.Merge(o.Hist)
}

// merge adds everything but the histograms.
func (r *Row) merge(reqs, fails int64, total, min, max time.Duration, size int64, first, last time.Time, recent *[ringLen]second) {
	if reqs == 0 {
		return
	}
	if r.Requests == 0 || min < r.Min {
		r.Min = min
	}
	if max > r.Max {
		r.Max = max
	}
	r.Requests += reqs
	r.Failures += fails
	r.TotalTime += total
	r.TotalSize += size
	if r.First.IsZero() || first.Before(r.First) {
		r.First = first
	}
	if last.After(r.Last) {
		r.Last = last
	}
	for _, s := range recent {
		if s.sec == 0 {
			continue
		}
		d := &r.recent[s.sec%ringLen]
		switch {
		case d.sec == s.sec:
			d.reqs += s.reqs
			d.fails += s.fails
		case d.sec < s.sec:
			*d = s
		}
	}
}

// Avg is the mean response time (0 with no requests).
func (r *Row) Avg() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.TotalTime / time.Duration(r.Requests)
}

// AvgMS is the mean response time in milliseconds, unrounded.
func (r *Row) AvgMS() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.TotalTime) / float64(time.Millisecond) / float64(r.Requests)
}

// AvgSize is the mean content size in bytes.
func (r *Row) AvgSize() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.TotalSize) / float64(r.Requests)
}

// Percentile returns the response time at quantile q (0..1], clamped to the
// exact minimum and maximum; q = 1 is the exact maximum.
func (r *Row) Percentile(q float64) time.Duration {
	if r.Requests == 0 {
		return 0
	}
	// The nearest rank's ends are known exactly.
	rank := int64(math.Ceil(q * float64(r.Requests)))
	if q >= 1 || rank >= r.Requests {
		return r.Max
	}
	if rank <= 1 {
		return r.Min
	}
	v := r.Hist.ValueAtQuantile(q)
	if v < r.Min {
		v = r.Min
	}
	if v > r.Max {
		v = r.Max
	}
	return v
}

// Median is the 50th percentile.
func (r *Row) Median() time.Duration { return r.Percentile(0.5) }

// FailRatio is failures / requests (0 with no requests).
func (r *Row) FailRatio() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.Failures) / float64(r.Requests)
}

// RPS returns requests and failures per second over elapsed.
func (r *Row) RPS(elapsed time.Duration) (reqs, fails float64) {
	s := elapsed.Seconds()
	if s <= 0 {
		return 0, 0
	}
	return float64(r.Requests) / s, float64(r.Failures) / s
}

// CurrentRPS returns requests and failures per second over the last
// CurrentWindow complete seconds before now (fewer if the run began later
// than that), the rate the live tables show.
func (r *Row) CurrentRPS(now, start time.Time) (reqs, fails float64) {
	end := now.Unix() // the current, incomplete second is left out
	from := end - CurrentWindow
	if s := start.Unix(); s > from {
		from = s
	}
	n := end - from
	if n <= 0 {
		// Less than one complete second so far: use what there is.
		el := now.Sub(start).Seconds()
		if el <= 0 {
			return 0, 0
		}
		return float64(r.Requests) / el, float64(r.Failures) / el
	}
	// When the window begins with the run, its first second is only the
	// part after the start: divide by the time actually covered.
	span := float64(n)
	if from == start.Unix() {
		span = float64(end) - float64(start.UnixNano())/1e9
	}
	var rq, fl int64
	for _, s := range r.recent {
		if s.sec >= from && s.sec < end {
			rq += s.reqs
			fl += s.fails
		}
	}
	return float64(rq) / span, float64(fl) / span
}

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
}

// Elapsed is the time between Start and Time.
func (s *Snapshot) Elapsed() time.Duration { return s.Time.Sub(s.Start) }

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

func (r *Registry) collect(now time.Time, drain bool) *Snapshot {
	rows := map[Key]*Row{}
	row := func(k Key) *Row {
		x := rows[k]
		if x == nil {
			x = newRow(k)
			rows[k] = x
		}
		return x
	}
	g := newGroups()
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for k, e := range sh.entries {
			row(k).addEntry(e)
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
			row(k).Merge(o)
		}
		g.add(&rm.groups)
	}
	r.mu.Unlock()
	fails, excs, checks := g.failures, g.exceptions, g.checks
	s := &Snapshot{Start: start, Time: now, Dropped: g.dropped}
	for _, c := range checks {
		s.Checks = append(s.Checks, *c)
	}
	for _, row := range rows {
		s.Rows = append(s.Rows, row)
	}
	for k, n := range fails {
		s.Failures = append(s.Failures, Failure{k.Type, k.Name, k.Error, n})
	}
	for _, x := range excs {
		s.Exceptions = append(s.Exceptions, *x)
	}
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
// same key are merged exactly (histograms included), failures and exceptions
// are summed by group. Users are added; Start becomes the earlier one and
// Time the later one.
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
	fi := map[failKey]int{}
	for i, f := range s.Failures {
		fi[failKey{f.Type, f.Name, f.Error}] = i
	}
	for _, f := range o.Failures {
		if i, ok := fi[failKey{f.Type, f.Name, f.Error}]; ok {
			s.Failures[i].Count += f.Count
		} else {
			s.Failures = append(s.Failures, f)
		}
	}
	xi := map[excKey]int{}
	for i, x := range s.Exceptions {
		xi[exKey(x.Message, x.Position, x.Traceback)] = i
	}
	for _, x := range o.Exceptions {
		if i, ok := xi[exKey(x.Message, x.Position, x.Traceback)]; ok {
			s.Exceptions[i].Count += x.Count
		} else {
			s.Exceptions = append(s.Exceptions, x)
		}
	}
	ci := map[string]int{}
	for i, c := range s.Checks {
		ci[c.Name] = i
	}
	for _, c := range o.Checks {
		if i, ok := ci[c.Name]; ok {
			s.Checks[i].Passes += c.Passes
			s.Checks[i].Fails += c.Fails
		} else {
			s.Checks = append(s.Checks, c)
		}
	}
	s.Dropped += o.Dropped
	s.finish()
}

// HasErrors reports whether any request failed or any exception was raised.
func (s *Snapshot) HasErrors() bool {
	return s.Total.Failures > 0 || len(s.Exceptions) > 0
}
