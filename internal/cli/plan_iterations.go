package cli

import (
	"context"
	"fmt"

	"github.com/jsload/jsload/js"
)

// iterationsPlan is a plan with an iteration budget (-i): the users stop
// once that many tasks have started, and the test ends when they have.
// The budget itself is the engine's (engine.Config.Iterations).
type iterationsPlan struct {
	loadPlan
	n   int64
	log *logger
}

func (p *iterationsPlan) begin(ctx context.Context, sw swarm, env *js.Env) (bool, error) {
	p.log.Infof("Iteration limit set to %d tasks", p.n)
	return p.loadPlan.begin(ctx, sw, env)
}

func (p *iterationsPlan) finished(sw swarm) string {
	if sw.IterationsStarted() >= p.n {
		return fmt.Sprintf("all %d iterations done, shutting down", p.n)
	}
	return p.loadPlan.finished(sw)
}
