package output

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/jsload/jsload/internal/output/prom"
	"github.com/jsload/jsload/internal/stats"
)

// Prometheus serves the live statistics at /metrics (--prometheus ADDR)
// until it is closed.
type Prometheus struct {
	Base
	srv  *http.Server
	addr net.Addr
}

var _ Output = (*Prometheus)(nil)

// NewPrometheus listens on addr and serves the snapshots source returns,
// one per scrape.
func NewPrometheus(addr string, source func() *stats.Snapshot) (*Prometheus, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--prometheus %s: %v", addr, unwrapNet(err))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", prom.Handler(source))
	p := &Prometheus{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, addr: ln.Addr()}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Addr is the address it listens on.
func (p *Prometheus) Addr() net.Addr { return p.addr }

// Close stops serving, waiting up to a second for scrapes in progress.
func (p *Prometheus) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	return nil
}

func unwrapNet(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}
