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
	// HTTP marks a request of the HTTP client (not a group or a custom
	// event): what k6's http_* metrics count. Status, Group, Scenario and
	// Tags are its tags for sub-metrics (metrics.go): its status (0 after
	// a transport error), the k6 group it ran in, its scenario and the
	// script's own tags (nil when there are none or no sub-metric wants
	// them).
	HTTP     bool
	Status   int
	Group    string
	Scenario string
	Tags     map[string]string
}
