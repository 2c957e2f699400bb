package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jsload/jsload/internal/config"
	"github.com/jsload/jsload/internal/output/console"
	"github.com/jsload/jsload/internal/output/report"
	"github.com/jsload/jsload/internal/stats"
	"github.com/jsload/jsload/internal/web"
	"github.com/jsload/jsload/js"
)

// panel runs tests for the web panel: one at a time, each with fresh
// statistics, as the panel's start, edit, stop and new-test buttons ask.
type panel struct {
	st     *State
	script *js.Script
	cfg    *config.Run
	sig    *signals
	log    *logger

	mu      sync.Mutex
	reg     *stats.Registry
	eng     swarm
	master  *masterOf // in a distributed test
	env     *js.Env
	hist    *report.History
	host    string
	started time.Time
	stopped bool
	done    chan struct{}      // closed when the current test has stopped
	runTime chan time.Duration // a new run time for the current test
	ended   chan struct{}      // receives when a test ends (for --autoquit)
	errs    bool               // the last test had failures or exceptions
}

var _ web.Controller = (*panel)(nil)

func (p *panel) Start(r web.StartRequest) error {
	if r.Users < 0 || r.Users > config.MaxUsers {
		return fmt.Errorf("the number of users must be between 0 and %d", config.MaxUsers)
	}
	if !(r.SpawnRate > 0) {
		return errors.New("the spawn rate must be more than 0")
	}
	if r.Host != "" {
		if err := config.CheckHost(r.Host); err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "--host "))
		}
	}
	for _, c := range r.UserClasses {
		found := false
		for _, k := range p.script.Classes {
			found = found || k.Name == c
		}
		if !found {
			return fmt.Errorf("no user class %q", c)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master != nil && p.master.Healthy() == 0 {
		return errors.New("no worker is connected: start some with `jsload run --worker --master-host HOST`")
	}
	if p.eng != nil && p.stopped && p.eng.State() != "stopped" {
		return errors.New("the last test is still stopping: wait for it to stop")
	}
	if p.eng != nil && !p.stopped {
		p.log.Infof("Changing the test: %d users at a rate of %g per second%s", r.Users, r.SpawnRate, classList(r.UserClasses))
		p.eng.StartClasses(r.Users, r.SpawnRate, r.UserClasses)
		if r.RunTime > 0 {
			// As Locust: a run time given with a change counts from now.
			p.log.Infof("Run time limit set to %v from now", r.RunTime)
			select {
			case p.runTime <- r.RunTime:
			default:
			}
		}
		return nil
	}
	host := r.Host
	if host == "" {
		host = p.cfg.Host
	}
	reg := stats.NewRegistry(4 * runtime.GOMAXPROCS(0))
	env, hostMissing := newEnv(p.st, p.cfg, reg, p.log, host)
	if p.script.HasSetup {
		data, err := p.script.RunSetup(p.sig.stopCtx, env)
		if err != nil {
			return fmt.Errorf("setup() failed: %v", err)
		}
		env.SetupData = data
	}
	p.reg, p.env, p.host = reg, env, host
	p.hist = report.NewHistory()
	if p.master != nil {
		p.master.Use(reg)
		p.master.SetSetupData(env.SetupData)
		p.eng = p.master
	} else {
		p.eng = local{newEngine(p.cfg, p.script, env, reg, p.log)}
	}
	p.started, p.stopped = time.Now(), false
	p.done = make(chan struct{})
	p.runTime = make(chan time.Duration, 1)
	reg.SetStart(p.started)
	p.log.Infof("Starting a test: %d users at a rate of %g per second%s, host %s", r.Users, r.SpawnRate, classList(r.UserClasses), orNone(host))
	p.eng.StartClasses(r.Users, r.SpawnRate, r.UserClasses)
	go p.watch(p.eng, reg, p.hist, r.RunTime, p.runTime, hostMissing, p.done)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// watch records the history of a test and stops it when its run time is
// up, every user stopped, or a relative URL had no host.
func (p *panel) watch(eng swarm, reg *stats.Registry, hist *report.History, runTime time.Duration, newRunTime <-chan time.Duration, hostMissing chan struct{}, done chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var limit <-chan time.Time
	var timer *time.Timer
	setLimit := func(d time.Duration) {
		if timer != nil {
			timer.Stop()
		}
		timer = time.NewTimer(d)
		limit = timer.C
	}
	if runTime > 0 {
		setLimit(runTime)
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-done:
			return
		case d := <-newRunTime:
			setLimit(d)
		case <-tick.C:
			s := reg.Snapshot(time.Now())
			s.Users = eng.Users()
			hist.Add(s)
		case <-limit:
			p.log.Infof("run time limit reached, stopping the test")
			go p.Stop()
			return
		case <-eng.Done():
			p.log.Infof("every user has stopped, stopping the test")
			go p.Stop()
			return
		case <-hostMissing:
			go p.Stop()
			return
		}
	}
}

func (p *panel) Stop() {
	p.mu.Lock()
	eng, env, reg := p.eng, p.env, p.reg
	if eng == nil || p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.done)
	p.mu.Unlock()
	eng.Stop(p.sig.killCtx)
	if p.script.HasTeardown {
		if err := p.script.RunTeardown(p.sig.killCtx, env); err != nil {
			p.log.Errorf("teardown() failed: %v", err)
		}
	}
	s := reg.Snapshot(time.Now())
	p.mu.Lock()
	p.errs = s.HasErrors()
	p.mu.Unlock()
	p.log.Infof("Test stopped: %d requests, %d failures", s.Total.Requests, s.Total.Failures)
	select {
	case p.ended <- struct{}{}:
	default:
	}
}

func (p *panel) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reg != nil {
		p.reg.Reset()
		p.log.Infof("Resetting stats")
	}
}

func (p *panel) State() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.eng == nil:
		return "ready"
	case p.stopped && p.eng.State() != "stopped":
		return "stopping"
	case p.stopped:
		return "stopped"
	}
	return p.eng.State()
}

func (p *panel) Snapshot() *stats.Snapshot {
	p.mu.Lock()
	reg, eng := p.reg, p.eng
	p.mu.Unlock()
	if reg == nil {
		return nil
	}
	s := reg.Snapshot(time.Now())
	s.Users = eng.Users()
	return s
}

func (p *panel) History() *report.History {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hist
}

func (p *panel) Info() web.Info {
	p.mu.Lock()
	host := p.host
	p.mu.Unlock()
	if host == "" {
		host = p.cfg.Host
	}
	info := web.Info{Script: p.script.Path, Host: host, Users: p.cfg.Users, SpawnRate: p.cfg.SpawnRate, RunTime: p.cfg.RunTime}
	for _, c := range p.script.Classes {
		ci := web.ClassInfo{Name: c.Name, Weight: c.Weight, FixedCount: c.FixedCount}
		total := 0
		for _, t := range c.Tasks {
			total += t.Weight
		}
		for _, t := range c.Tasks {
			share := 0.0
			if total > 0 {
				share = 100 * float64(t.Weight) / float64(total)
			}
			ci.Tasks = append(ci.Tasks, web.TaskInfo{Name: t.Name, Weight: t.Weight, Share: share})
		}
		info.Classes = append(info.Classes, ci)
	}
	return info
}

func (p *panel) Summary() *report.Summary {
	s := p.Snapshot()
	if s == nil {
		return nil
	}
	p.mu.Lock()
	meta := report.Meta{Script: p.script.Path, Host: p.host, Version: Version, Start: p.started, End: s.Time, Users: s.Users, Args: p.st.Args}
	hist := p.hist
	p.mu.Unlock()
	return report.Build(meta, s, hist, nil)
}

// runPanel serves the web panel until Ctrl-C (or --autoquit after a test
// ends), starting a test at once with --autostart.
func runPanel(st *State, script *js.Script, cfg *config.Run, sig *signals) int {
	log := &logger{w: st.Stderr, level: levelIndex(cfg.LogLevel)}
	sig.use(log, cfg.StopTimeout)
	p := &panel{st: st, script: script, cfg: cfg, sig: sig, log: log, ended: make(chan struct{}, 1)}
	addr := net.JoinHostPort(cfg.WebHost, fmt.Sprint(cfg.WebPort))
	srv, err := web.New(p, web.Options{Addr: addr, Login: cfg.WebLogin, Version: Version})
	if err != nil {
		fmt.Fprintf(st.Stderr, "jsload: %v\n", err)
		return ExitInvalid
	}
	if cfg.WebLogin == "" && !isLoopback(cfg.WebHost) {
		log.Warnf("the web panel listens on %s without --web-login: anyone who can reach it can start load from this machine", cfg.WebHost)
	}
	if cfg.Cluster.Master {
		m, err := startMaster(st, cfg, script, stats.NewRegistry(1), log)
		if err != nil {
			log.Errorf("%v", err)
			return ExitInvalid
		}
		defer m.close()
		p.master = m
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() {
		served <- srv.ListenAndServe(ctx, func(url string) {
			log.Infof("Starting web interface at %s (press Ctrl-C to quit)", url)
		})
	}()
	if cfg.Autostart && p.master != nil {
		if err := waitWorkers(sig.stopCtx, p.master, &cfg.Cluster, log); err != nil {
			if sig.stopCtx.Err() == nil {
				log.Errorf("--autostart: %v", err)
			}
			cfg.Autostart = false
		}
	}
	if cfg.Autostart {
		if err := p.Start(web.StartRequest{Users: cfg.Users, SpawnRate: cfg.SpawnRate, RunTime: cfg.RunTime}); err != nil {
			log.Errorf("--autostart: %v", err)
		}
	}
	var quit <-chan time.Time
	for {
		select {
		case err := <-served:
			if err != nil {
				fmt.Fprintf(st.Stderr, "jsload: %v\n", err)
				return ExitInvalid
			}
			return p.exitCode()
		case <-p.ended:
			if cfg.AutoQuit >= 0 {
				log.Infof("--autoquit: quitting in %v", cfg.AutoQuit)
				quit = time.After(cfg.AutoQuit)
			}
		case <-quit:
			cancel()
			<-served
			return p.exitCode()
		case <-sig.stop:
			p.Stop()
			cancel()
			<-served
			return p.exitCode()
		}
	}
}

// exitCode prints the last test's final tables, as a headless run does,
// and returns the exit code.
func (p *panel) exitCode() int {
	if s := p.Snapshot(); s != nil {
		console.Printer{Color: isTerminal(p.st.Stdout)}.PrintSummary(p.st.Stdout, s)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.errs {
		return p.cfg.ExitCodeOnError
	}
	return ExitOK
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

var _ web.WorkerLister = (*panel)(nil)

// Workers lists a distributed test's workers (nil when local).
func (p *panel) Workers() []web.Worker {
	if p.master == nil {
		return nil
	}
	ws := []web.Worker{}
	for _, w := range p.master.Workers() {
		ws = append(ws, web.Worker{ID: w.ID, Host: w.Host, State: w.State, UserCount: w.Users, CPUUsage: math.Round(w.CPU*10) / 10})
	}
	return ws
}
