// Package stats aggregates request samples into Locust-style statistics.
//
// Virtual users record samples through a Recorder. Recorders are spread over
// a fixed number of shards, each with its own lock, so that no lock is shared
// by all VUs on the per-request path. A Snapshot merges the shards into rows
// keyed by (type, name), each with a histogram whose memory is bounded by the
// spread of the response times, not by their number.
package stats

// The files hold one concern each: sample.go what a VU records,
// recorder.go the per-request path into a shard, registry.go the registry
// that owns the shards and what other processes recorded, counters.go the
// totals that a shard's entry and a row share, row.go a row and its maths,
// groups.go the failure, exception and check groups, snapshot.go the
// snapshot that brings them together, histogram.go the response-time
// histogram and wire.go the snapshot's binary form.
