package cli

import (
	"context"
	"time"

	"github.com/jsload/jsload/js"
)

// stagesPlan runs options.stages of users: each stage's users, spawned at
// its rate, for its duration; the test ends after the last stage.
type stagesPlan struct {
	stages []stage
	log    *logger
	last   stage
}

func (p *stagesPlan) begin(_ context.Context, sw swarm, _ *js.Env) (bool, error) {
	p.last = p.stages[0]
	p.log.Infof("Stage 1 of %d: %d users at a rate of %g per second for %v", len(p.stages), p.last.Users, p.last.SpawnRate, p.last.Duration)
	sw.Start(p.last.Users, p.last.SpawnRate)
	return false, nil
}

func (p *stagesPlan) adjust(_ context.Context, elapsed time.Duration, sw swarm) (bool, error) {
	stg, n, ok := stageAt(p.stages, elapsed)
	if !ok {
		p.log.Infof("the last stage is over, shutting down")
		return true, nil
	}
	if stg != p.last {
		p.last = stg
		p.log.Infof("Stage %d of %d: %d users at a rate of %g per second for %v", n, len(p.stages), stg.Users, stg.SpawnRate, stg.Duration)
		sw.Start(stg.Users, stg.SpawnRate)
	}
	return false, nil
}

func (p *stagesPlan) finished(swarm) string { return "every user has stopped, shutting down" }

func (p *stagesPlan) close() {}
