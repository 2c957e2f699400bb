package cli

import (
	"context"
	"time"

	"github.com/jsload/jsload/js"
)

// usersPlan runs a number of users started at a spawn rate (-u and -r)
// until the test is stopped.
type usersPlan struct {
	users int
	rate  float64
	log   *logger
}

func (p *usersPlan) begin(_ context.Context, sw swarm, _ *js.Env) (bool, error) {
	if p.rate >= k6AllAtOnce {
		p.log.Infof("Starting %d users at once", p.users)
	} else {
		p.log.Infof("Ramping to %d users at a rate of %g per second", p.users, p.rate)
	}
	sw.Start(p.users, p.rate)
	return false, nil
}

func (p *usersPlan) adjust(context.Context, time.Duration, swarm) (bool, error) { return false, nil }

func (p *usersPlan) finished(swarm) string { return "every user has stopped, shutting down" }

func (p *usersPlan) close() {}

func (p *usersPlan) peakUsers() int { return p.users }
