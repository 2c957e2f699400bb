package cli

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"
)

// signals turns interrupts into a graceful stop (the first) and an
// immediate one (the second).
type signals struct {
	stop    chan struct{}   // closed by the first interrupt
	stopCtx context.Context // canceled by the first interrupt
	cancel  context.CancelFunc
	killCtx context.Context
	kill    context.CancelFunc
	done    chan struct{}
	mu      sync.Mutex
	log     *logger
	timeout time.Duration
	first   os.Signal // the first interrupt, once there was one
}

func watchSignals(st *State) *signals {
	s := &signals{stop: make(chan struct{}), done: make(chan struct{}), log: &logger{w: st.Stderr}}
	s.killCtx, s.kill = context.WithCancel(context.Background())
	s.stopCtx, s.cancel = context.WithCancel(s.killCtx)
	go func() {
		n := 0
		for {
			select {
			case <-s.done:
				return
			case got := <-st.Signals:
				n++
				s.mu.Lock()
				if n == 1 {
					s.first = got
				}
				log, timeout := s.log, s.timeout
				s.mu.Unlock()
				if n == 1 && timeout > 0 {
					log.Infof("stopping: letting running tasks finish for up to %v; press Ctrl-C again to stop at once", timeout)
					close(s.stop)
					s.cancel()
				} else if n == 1 {
					log.Infof("stopping; press Ctrl-C again to stop at once")
					close(s.stop)
					s.cancel()
				} else {
					log.Warnf("stopping at once")
					s.kill()
					return
				}
			}
		}
	}()
	return s
}

// use sets the logger and stop timeout the interrupt messages mention.
func (s *signals) use(log *logger, timeout time.Duration) {
	s.mu.Lock()
	s.log, s.timeout = log, timeout
	s.mu.Unlock()
}

func (s *signals) close() {
	close(s.done)
	s.kill()
}

// exitCode is the exit code of a run an interrupt stopped before its
// planned end: 128 plus the signal's number, as shells report it (130 for
// SIGINT, 143 for SIGTERM); 0 when no interrupt came.
func (s *signals) exitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first == nil {
		return 0
	}
	if n, ok := s.first.(syscall.Signal); ok && n > 0 {
		return 128 + int(n)
	}
	return ExitInterrupted
}
