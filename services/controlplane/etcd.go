package controlplane

import (
	"fmt"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// EtcdConfig configures the embedded etcd.
type EtcdConfig struct {
	// DataDir holds etcd's data. Required.
	DataDir string
	// StartTimeout bounds the wait for etcd to be ready. Default 60s.
	StartTimeout time.Duration
}

// Etcd is an embedded etcd serving on loopback ports chosen by the kernel.
type Etcd struct {
	cfg  EtcdConfig
	etcd *embed.Etcd
	url  string
}

// NewEtcd returns an Etcd for cfg; Start runs it.
func NewEtcd(cfg EtcdConfig) *Etcd {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	return &Etcd{cfg: cfg}
}

// embedConfig builds etcd's configuration: a single member, loopback only,
// with ports picked by the kernel so runs never collide.
func (e *Etcd) embedConfig() *embed.Config {
	c := embed.NewConfig()
	c.Name = "node-e2e"
	c.Dir = e.cfg.DataDir
	loop := url.URL{Scheme: "http", Host: "127.0.0.1:0"}
	c.ListenClientUrls = []url.URL{loop}
	c.AdvertiseClientUrls = []url.URL{loop}
	c.ListenPeerUrls = []url.URL{loop}
	c.AdvertisePeerUrls = []url.URL{loop}
	c.InitialCluster = c.Name + "=" + loop.String()
	c.LogLevel = "warn"
	c.LogOutputs = []string{"stderr"}
	// Small and quick: this etcd holds one node's worth of objects.
	c.QuotaBackendBytes = 1 << 30
	return c
}

// Start runs etcd and returns once it serves clients.
func (e *Etcd) Start() error {
	if e.cfg.DataDir == "" {
		return fmt.Errorf("etcd: no data dir set")
	}
	srv, err := embed.StartEtcd(e.embedConfig())
	if err != nil {
		return fmt.Errorf("etcd: start: %w", err)
	}
	e.etcd = srv
	select {
	case <-srv.Server.ReadyNotify():
	case err := <-srv.Err():
		srv.Close()
		return fmt.Errorf("etcd: failed before ready: %w", err)
	case <-time.After(e.cfg.StartTimeout):
		srv.Close()
		return fmt.Errorf("etcd: not ready after %s", e.cfg.StartTimeout)
	}
	if len(srv.Clients) == 0 {
		srv.Close()
		return fmt.Errorf("etcd: no client listener")
	}
	e.url = "http://" + srv.Clients[0].Addr().String()
	return nil
}

// URL is the client URL, valid after Start.
func (e *Etcd) URL() string { return e.url }

// Err delivers errors etcd hits after Start.
func (e *Etcd) Err() <-chan error {
	if e.etcd == nil {
		return nil
	}
	return e.etcd.Err()
}

// Stop closes etcd and waits for it; it is idempotent and safe without Start.
func (e *Etcd) Stop() error {
	if e.etcd != nil {
		e.etcd.Close()
	}
	return nil
}
