package stats

import "time"

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
