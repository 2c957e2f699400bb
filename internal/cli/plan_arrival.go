package cli

import (
	"context"
	"time"

	"github.com/jsload/jsload/internal/config"

	"github.com/jsload/jsload/js"
)

// arrivalPlan starts iterations at a rate whatever the response times
// (--arrival-rate, or options.stages of rate), from a pool of users that
// grows up to --max-vus.
type arrivalPlan struct {
	rate         float64
	initial      int
	maxVUs       int
	stageTracker // stages of rate; none for a constant rate
	log          *logger
}

func newArrivalPlan(cfg *config.Run, stages []stage, log *logger) *arrivalPlan {
	maxVUs := cfg.MaxVUs
	if maxVUs == 0 {
		maxVUs = max(cfg.Users, 100)
	}
	return &arrivalPlan{rate: cfg.ArrivalRate, initial: cfg.Users, maxVUs: maxVUs, stageTracker: stageTracker{stages: stages}, log: log}
}

func (p *arrivalPlan) begin(_ context.Context, sw swarm, _ *js.Env) (bool, error) {
	rate := p.rate
	if len(p.stages) > 0 {
		rate = p.first().Rate
	}
	p.log.Infof("Arrival rate %g iterations per second, %d users to start with, at most %d", rate, min(p.initial, p.maxVUs), p.maxVUs)
	sw.StartArrival(rate, p.initial, p.maxVUs)
	return false, nil
}

func (p *arrivalPlan) adjust(_ context.Context, elapsed time.Duration, sw swarm) (bool, error) {
	if len(p.stages) == 0 {
		return false, nil
	}
	stg, n, changed, over := p.at(elapsed, p.log)
	if changed {
		p.log.Infof("Stage %d of %d: %g iterations per second for %v", n, len(p.stages), stg.Rate, stg.Duration)
		sw.SetRate(stg.Rate)
	}
	return over, nil
}

func (p *arrivalPlan) finished(swarm) string { return "every user has stopped, shutting down" }

func (p *arrivalPlan) close() {}

func (p *arrivalPlan) peakUsers() int { return p.maxVUs }
