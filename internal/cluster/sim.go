package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// SimConfig configures simulated workers: they speak the protocol to a
// real master, report every Interval with a fixed statistics delta, and run
// no users. They measure how many workers a master can serve.
type SimConfig struct {
	URL     string
	Options []nats.Option
	RunID   string
	Version string
	Workers int
	Delta   []byte // a stats wire form, sent in every report
	// Conns is how many NATS connections the workers share (default 8).
	Conns int
}

// Simulate runs cfg.Workers simulated workers until ctx ends, and returns
// how many reports the master acknowledged.
func Simulate(ctx context.Context, cfg SimConfig) (int64, error) {
	if cfg.Conns <= 0 {
		cfg.Conns = 8
	}
	conns := make([]*nats.Conn, cfg.Conns)
	for i := range conns {
		nc, err := nats.Connect(cfg.URL, append([]nats.Option{nats.Name("jsload simulated workers"), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1)}, cfg.Options...)...)
		if err != nil {
			return 0, err
		}
		defer nc.Close()
		conns[i] = nc
	}
	var acked atomic.Int64
	var wg sync.WaitGroup
	host, _ := os.Hostname()
	errs := make(chan error, cfg.Workers)
	for i := 0; i < cfg.Workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nc := conns[i%len(conns)]
			id := fmt.Sprintf("sim_%05d", i)
			hb, _ := json.Marshal(hello{Worker: id, Version: cfg.Version, Protocol: Protocol, Host: host, PID: os.Getpid(), Cores: 1})
			for {
				msg, err := nc.RequestWithContext(ctx, subject(cfg.RunID, "hello"), hb)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
					continue
				}
				var wl welcome
				if json.Unmarshal(msg.Data, &wl) == nil && wl.Refused != "" {
					errs <- fmt.Errorf("refused: %s", wl.Refused)
					return
				}
				break
			}
			// Spread the workers' reports over the interval.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(i) * Interval / time.Duration(cfg.Workers)):
			}
			tick := time.NewTicker(Interval)
			defer tick.Stop()
			var epoch uint64
			users := 0
			for seq := uint64(1); ; seq++ {
				rep := report{Worker: id, Seq: seq, Stats: cfg.Delta, Epoch: epoch, State: "running", Users: users, Counts: map[string]int{}}
				b := rep.encode()
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				msg, err := nc.RequestWithContext(rctx, subject(cfg.RunID, "report"), b)
				cancel()
				if err == nil {
					acked.Add(1)
					var rp reply
					if json.Unmarshal(msg.Data, &rp) == nil && rp.Assign != nil {
						epoch = rp.Assign.Epoch
						users = 0
						for _, c := range rp.Assign.Counts {
							users += c
						}
					}
				}
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		}(i)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return acked.Load(), err
	default:
	}
	return acked.Load(), nil
}
