package controlplane

import (
	"errors"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
)

// EtcdConfig configures the embedded etcd.
type EtcdConfig struct {
	// DataDir holds etcd's data. Required.
	DataDir string
	// CAFile is the CA that signs every client and peer certificate etcd
	// admits. Required: etcd never serves without client authentication.
	CAFile string
	// CertFile and KeyFile are etcd's serving pair, for both its client
	// and its peer listener; the certificate must allow server and client
	// authentication (etcd's gateway and peer transport present it to
	// etcd itself). Required.
	CertFile, KeyFile string
	// StartTimeout bounds the wait for etcd to be ready. Default 60s.
	StartTimeout time.Duration
	// SocketPath, when set, is a unix socket on which etcd also serves
	// clients, without TLS, for the API server in the same process (see
	// SocketURL). Its directory must be one only root may enter: whoever
	// connects is admitted. Empty: TLS on loopback only.
	SocketPath string
}

// Validate reports every missing field, joined. It has no side effects.
func (c EtcdConfig) Validate() error {
	var errs []error
	for _, f := range []struct{ name, value string }{
		{"data dir", c.DataDir}, {"CA file", c.CAFile}, {"certificate file", c.CertFile}, {"key file", c.KeyFile},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("etcd: no %s set", f.name))
		}
	}
	return errors.Join(errs...)
}

// Etcd is an embedded etcd serving on loopback ports chosen by the kernel,
// over TLS, to clients holding a certificate signed by EtcdConfig.CAFile.
type Etcd struct {
	cfg  EtcdConfig
	etcd *embed.Etcd
	url  string
	// closing is set by Stop: etcd's logger then drops the errors its
	// serving goroutines log about the listeners Close shuts.
	closing atomic.Bool
}

// NewEtcd returns an Etcd for cfg; Start runs it.
func NewEtcd(cfg EtcdConfig) *Etcd {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	return &Etcd{cfg: cfg}
}

// embedConfig builds etcd's configuration: a single member, loopback only,
// with ports picked by the kernel so runs never collide. Both listeners
// speak TLS only and require a client certificate signed by the run's CA:
// any local user can connect to a loopback port, and whoever writes to etcd
// bypasses the API server's authentication and authorization.
func (e *Etcd) embedConfig() (*embed.Config, error) {
	c := embed.NewConfig()
	c.Name = "node-e2e"
	c.Dir = e.cfg.DataDir
	loop := url.URL{Scheme: "https", Host: "127.0.0.1:0"}
	c.ListenClientUrls = []url.URL{loop}
	c.AdvertiseClientUrls = []url.URL{loop}
	c.ListenPeerUrls = []url.URL{loop}
	c.AdvertisePeerUrls = []url.URL{loop}
	c.InitialCluster = c.Name + "=" + loop.String()
	if e.cfg.SocketPath != "" {
		// Every resource's storage in kube-apiserver opens its own
		// connection to etcd and waits until it is up, one after the
		// other while the API server's storage is built: over TLS with
		// client certificates, about 70 handshakes on the start's
		// critical path. The socket needs none; the directory it lives
		// in keeps out everyone but root.
		c.ListenClientUrls = append(c.ListenClientUrls, url.URL{Scheme: "unix", Path: e.cfg.SocketPath})
	}
	tls := transport.TLSInfo{
		CertFile:       e.cfg.CertFile,
		KeyFile:        e.cfg.KeyFile,
		TrustedCAFile:  e.cfg.CAFile,
		ClientCertAuth: true,
	}
	c.ClientTLSInfo = tls
	c.PeerTLSInfo = tls
	// The API server speaks gRPC; the HTTP/JSON gateway is one more way in,
	// and it would dial the configured port 0 anyway.
	c.EnableGRPCGateway = false
	c.LogLevel = "warn"
	c.LogOutputs = []string{"stderr"}
	lg, err := etcdLogger(&e.closing)
	if err != nil {
		return nil, fmt.Errorf("etcd: logger: %w", err)
	}
	c.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	// Small and quick: this etcd holds one node's worth of objects.
	c.QuotaBackendBytes = 1 << 30
	// The data lives as long as the run and is removed with it: nothing
	// needs it to survive a crash of the machine, so no write of the run
	// waits on the disk.
	c.UnsafeNoFsync = true
	// The lone member elects itself after a randomised election timeout
	// (one to two of them, less the ticks etcd skips at start): with the
	// default 100 ms ticks and 1 s timeout, 0.3 to 1 s of every start. It
	// has no peers to send heartbeats to, so short ticks cost nothing.
	c.TickMs = 10
	c.ElectionMs = 100
	return c, nil
}

// Start runs etcd and returns once it serves clients.
func (e *Etcd) Start() error {
	if err := e.launch(); err != nil {
		return err
	}
	if err := e.awaitReady(); err != nil {
		return errors.Join(err, e.Stop())
	}
	return nil
}

// launch starts etcd and returns once its listeners are bound: URL is
// valid, and clients that connect are served once awaitReady returns (the
// lone member has elected itself). The API server's configuration is built
// meanwhile.
func (e *Etcd) launch() error {
	if err := e.cfg.Validate(); err != nil {
		return err
	}
	cfg, err := e.embedConfig()
	if err != nil {
		return err
	}
	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("etcd: start: %w", err)
	}
	for _, l := range srv.Clients {
		if l.Addr().Network() == "tcp" {
			e.url = "https://" + l.Addr().String()
			break
		}
	}
	if e.url == "" {
		srv.Close()
		return fmt.Errorf("etcd: no client listener on loopback")
	}
	e.etcd = srv
	return nil
}

// awaitReady waits until etcd serves, after launch. On failure the caller
// stops etcd.
func (e *Etcd) awaitReady() error {
	srv := e.etcd
	select {
	case <-srv.Server.ReadyNotify():
		return nil
	case err := <-srv.Err():
		return fmt.Errorf("etcd: failed before ready: %w", err)
	case <-time.After(e.cfg.StartTimeout):
		return fmt.Errorf("etcd: not ready after %s", e.cfg.StartTimeout)
	}
}

// URL is the client URL ("https://127.0.0.1:PORT"), valid after Start.
func (e *Etcd) URL() string { return e.url }

// SocketURL is the client URL of EtcdConfig.SocketPath
// ("unix:///run/dir/etcd.sock"), empty without one.
func (e *Etcd) SocketURL() string {
	if e.cfg.SocketPath == "" {
		return ""
	}
	return (&url.URL{Scheme: "unix", Path: e.cfg.SocketPath}).String()
}

// peerAddr is the peer listener's host:port, valid after Start.
func (e *Etcd) peerAddr() string {
	if e.etcd == nil || len(e.etcd.Peers) == 0 {
		return ""
	}
	return e.etcd.Peers[0].Addr().String()
}

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
		e.closing.Store(true)
		e.etcd.Close()
	}
	return nil
}
