package cli

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jsload/jsload/js"
)

// shapePlan follows the script's shape() function, asked once per tick for
// the users, spawn rate and classes to run; it ends when shape() returns
// null.
type shapePlan struct {
	script  *js.Script
	log     *logger
	runTime time.Duration
	shape   *js.Shape
	last    js.ShapeStep
}

func (p *shapePlan) begin(ctx context.Context, sw swarm, env *js.Env) (bool, error) {
	var err error
	if p.shape, err = p.script.NewShape(ctx, env); err != nil {
		return false, fmt.Errorf("shape(): %v", err)
	}
	step, end, err := p.shape.Tick(ctx, 0, 0, p.runTime)
	if err != nil {
		return false, fmt.Errorf("shape(): %v", err)
	}
	if end {
		p.log.Infof("shape() returned null at the start: nothing to run")
		return true, nil
	}
	p.apply(step, sw)
	return false, nil
}

func (p *shapePlan) apply(step js.ShapeStep, sw swarm) {
	p.last = step
	p.log.Infof("Shape: %d users at a rate of %g per second%s", step.Users, step.SpawnRate, classList(step.Classes))
	sw.StartClasses(step.Users, step.SpawnRate, step.Classes)
}

func (p *shapePlan) adjust(ctx context.Context, elapsed time.Duration, sw swarm) (bool, error) {
	step, end, err := p.shape.Tick(ctx, elapsed, sw.Users(), p.runTime)
	if err != nil {
		return false, fmt.Errorf("shape(): %v", err)
	}
	if end {
		p.log.Infof("shape() returned null: shutting down")
		return true, nil
	}
	if step.Users != p.last.Users || step.SpawnRate != p.last.SpawnRate || !slices.Equal(step.Classes, p.last.Classes) {
		p.apply(step, sw)
	}
	return false, nil
}

func (p *shapePlan) finished(swarm) string { return "every user has stopped, shutting down" }

func (p *shapePlan) close() {
	if p.shape != nil {
		p.shape.Close()
	}
}

func (p *shapePlan) peakUsers() int { return 0 }
