package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/jsload/jsload/js"
)

// stagesPlan runs options.stages of users: each stage's users, spawned at
// its rate, for its duration; the test ends after the last stage.
type stagesPlan struct {
	stageTracker
	log *logger
}

func (p *stagesPlan) begin(_ context.Context, sw swarm, _ *js.Env) (bool, error) {
	stg := p.first()
	p.log.Infof("Stage 1 of %d: %s for %v", len(p.stages), usersAt(stg.Users, stg.SpawnRate), stg.Duration)
	sw.Start(stg.Users, stg.SpawnRate)
	return false, nil
}

func (p *stagesPlan) adjust(_ context.Context, elapsed time.Duration, sw swarm) (bool, error) {
	stg, n, changed, over := p.at(elapsed, p.log)
	if changed {
		p.log.Infof("Stage %d of %d: %s for %v", n, len(p.stages), usersAt(stg.Users, stg.SpawnRate), stg.Duration)
		sw.Start(stg.Users, stg.SpawnRate)
	}
	return over, nil
}

func (p *stagesPlan) finished(swarm) string { return "every user has stopped, shutting down" }

func (p *stagesPlan) close() {}

func (p *stagesPlan) peakUsers() int {
	n := 0
	for _, s := range p.stages {
		n = max(n, s.Users)
	}
	return n
}

// usersAt says "N users at a rate of R per second", or "N users at once"
// for k6's all-at-once start.
func usersAt(users int, rate float64) string {
	if rate >= k6AllAtOnce {
		return fmt.Sprintf("%d users at once", users)
	}
	return fmt.Sprintf("%d users at a rate of %g per second", users, rate)
}
