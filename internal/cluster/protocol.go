// Package cluster runs one test on many processes: a master that owns the
// test (its plan, its statistics, its outputs) and workers that run its
// users, coordinated over NATS. The master embeds a NATS server unless it is
// given an existing NATS deployment.
//
// Subjects live under "jsload.<run id>." so that several runs can share one
// NATS deployment:
//
//	hello       worker -> master, request: a worker announces itself; the
//	            reply is the job (the bundled script and its settings) or a
//	            refusal (another jsload version)
//	report      worker -> master, request, every Interval: the worker's state,
//	            users and a statistics delta (stats wire form) with a sequence
//	            number; the reply acknowledges it and carries the worker's
//	            current assignment
//	w.<worker>  master -> one worker: a new assignment, at once
//	all         master -> every worker: quit
//	problem     worker -> master: a worker cannot run the job
//	bye         worker -> master: a worker stopped on its own machine leaves
//	shared      worker -> master, request: a counter or queue call of the
//	            script's users (internal/shared's wire form), answered from
//	            the master's store, so that each queue item is taken once
//	            in the whole run
//
// A worker keeps an unacknowledged delta and sends it again, unchanged, until
// the master acknowledges it, while new samples wait in the next one; the
// master absorbs each sequence number once. So statistics are counted once
// even when replies are lost, and a worker that dies loses only what it had
// not sent.
package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Protocol is the version of the messages; master and worker must agree,
// and are also refused when their jsload versions differ.
const Protocol = 4 // 2: statistics carry the cut-off count (wire version 2); 3: shared state, data files in the job; 4: statistics carry metrics (wire version 4)

// DefaultPort is the master's port, as Locust's.
const DefaultPort = 5557

// Interval is how often workers report; a worker silent for MissingAfter
// is marked missing and its users go to the others.
const (
	Interval     = time.Second
	MissingAfter = 4 * time.Second
)

// Logger receives the cluster's log lines.
type Logger interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
	Errorf(format string, args ...any)
}

type hello struct {
	Worker   string `json:"worker"`
	Version  string `json:"version"`
	Protocol int    `json:"protocol"`
	Host     string `json:"host"`
	PID      int    `json:"pid"`
	Cores    int    `json:"cores"`
}

type welcome struct {
	Refused string `json:"refused,omitempty"` // why the master will not use this worker
	Job     []byte `json:"job,omitempty"`     // opaque to this package: what WorkerConfig.Prepare reads
}

type report struct {
	Worker string         `json:"worker"`
	Seq    uint64         `json:"seq"`   // of Stats; 0 when it carries none
	Stats  []byte         `json:"-"`     // sent after the JSON (encode)
	Epoch  uint64         `json:"epoch"` // the assignment being run
	State  string         `json:"state"`
	Users  int            `json:"users"`
	Counts map[string]int `json:"counts,omitempty"` // users per class
	Done   bool           `json:"done,omitempty"`   // every user stopped by itself
	CPU    float64        `json:"cpu"`              // the worker's CPU use over the last interval, percent of one core
}

// encode is the report's JSON, a newline, then the statistics' wire form
// (not inside the JSON, where it would cost base64).
func (r *report) encode() []byte {
	b, _ := json.Marshal(r)
	b = append(b, '\n')
	return append(b, r.Stats...)
}

func decodeReport(b []byte) (*report, error) {
	head, stats, _ := bytes.Cut(b, []byte{'\n'})
	var r report
	if err := json.Unmarshal(head, &r); err != nil {
		return nil, err
	}
	if len(stats) > 0 {
		r.Stats = stats
	}
	return &r, nil
}

type reply struct {
	Unknown bool        `json:"unknown,omitempty"` // say hello again
	Assign  *assignment `json:"assign,omitempty"`
	// Spawned: the whole swarm runs its target (of SpawnedUsers users) and
	// the worker runs its current assignment.
	Spawned      bool `json:"spawned,omitempty"`
	SpawnedUsers int  `json:"spawnedUsers,omitempty"`
}

// assignment is what one worker runs. A newer Epoch replaces the older.
type assignment struct {
	Epoch     uint64  `json:"epoch"`
	Counts    []int   `json:"counts,omitempty"`  // users per class (closed model)
	Rate      float64 `json:"rate"`              // spawn rate (closed model)
	ByArrival bool    `json:"open,omitempty"`    // an arrival rate (open model), not users
	Arrival   float64 `json:"arrival,omitempty"` // iterations per second (open model)
	Initial   int     `json:"initial,omitempty"`
	MaxVUs    int     `json:"maxVUs,omitempty"`
	SetupData string  `json:"setupData,omitempty"`
	Idle      bool    `json:"idle,omitempty"` // no test: stop any users (an earlier master's)
	Stop      bool    `json:"stop,omitempty"` // stop gracefully (Kill: at once)
	Kill      bool    `json:"kill,omitempty"`
	Index     int     `json:"index,omitempty"`   // the worker's 0-based place among the workers
	Workers   int     `json:"workers,omitempty"` // how many workers share the test
}

type broadcast struct {
	Quit bool `json:"quit,omitempty"`
	// Spawned: the swarm runs its target of SpawnedUsers users, with each
	// worker (by id) on the assignment of that epoch.
	Spawned      map[string]uint64 `json:"spawned,omitempty"`
	SpawnedUsers int               `json:"spawnedUsers,omitempty"`
}

type problem struct {
	Worker string `json:"worker"`
	Error  string `json:"error"`
}

var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CheckRunID validates a run id (letters, digits, _ and -).
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("run id %q: use 1 to 64 letters, digits, _ or -", id)
	}
	return nil
}

func subject(run, name string) string { return "jsload." + run + "." + name }

// ErrRefused is returned by Worker.Run when the master will not use it.
var ErrRefused = errors.New("refused by the master")
