package stats

import "time"

// ringLen is how many recent seconds each row keeps for current rates.
const ringLen = 16

// CurrentWindow is how many complete seconds the current rates average over.
const CurrentWindow = 10

// second counts the requests and failures that ended in one Unix second.
type second struct {
	sec         int64
	reqs, fails int64
}

// Counters are the totals of a set of samples, apart from the histograms:
// what a shard keeps for one key as samples arrive, what a Row reports
// (Row embeds it, so row.Requests and the like are Row's fields) and what
// the wire form carries for a row. Counters merge exactly by merge.
type Counters struct {
	Requests, Failures int64
	TotalTime          time.Duration
	Min, Max           time.Duration // meaningful only when Requests > 0
	TotalSize          int64
	First, Last        time.Time // first and last sample's time; zero when empty
	// recent counts the requests of the last ringLen seconds by second,
	// each second in slot sec % ringLen, for the current rates.
	recent [ringLen]second
}

// merge adds o to c as if c had counted o's samples too. Counters with no
// requests add nothing; of two counts of the same second in the ring both
// are added, and a newer second replaces an older one in its slot.
func (c *Counters) merge(o *Counters) {
	if o.Requests == 0 {
		return
	}
	if c.Requests == 0 || o.Min < c.Min {
		c.Min = o.Min
	}
	if o.Max > c.Max {
		c.Max = o.Max
	}
	c.Requests += o.Requests
	c.Failures += o.Failures
	c.TotalTime += o.TotalTime
	c.TotalSize += o.TotalSize
	if c.First.IsZero() || o.First.Before(c.First) {
		c.First = o.First
	}
	if o.Last.After(c.Last) {
		c.Last = o.Last
	}
	for _, s := range o.recent {
		if s.sec == 0 {
			continue
		}
		d := &c.recent[s.sec%ringLen]
		switch {
		case d.sec == s.sec:
			d.reqs += s.reqs
			d.fails += s.fails
		case d.sec < s.sec:
			*d = s
		}
	}
}
