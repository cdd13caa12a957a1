package controlplane

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/pki"
	"github.com/node-e2e/harness/internal/run"
)

// Config configures the services process.
type Config struct {
	// Layout is the run whose PKI and directories to use.
	Layout run.Layout
	// FeatureGates and RuntimeConfig are passed to kube-apiserver.
	FeatureGates, RuntimeConfig string
	// StartTimeout bounds each component's start. Default 60s.
	StartTimeout time.Duration
	// OnReady, when set, runs once everything serves and the services
	// state is written (standalone services mode prints how to use them);
	// an error stops everything.
	OnReady func(run.ServicesState) error
	// RunJobController also runs the Job controller (jobcontroller.go).
	// Default false.
	RunJobController bool
	// MemoryLimit is the services process's soft memory limit
	// (runtime/debug.SetMemoryLimit), set by Serve. Default
	// DefaultMemoryLimit; negative: none. GOMEMLIMIT in the environment
	// takes precedence.
	MemoryLimit int64
}

// DefaultMemoryLimit is the services process's default soft memory limit.
// kube-apiserver holds about 80 MB of live heap once it serves (OpenAPI v3,
// the handlers, the caches) and allocates several hundred more while it
// starts: with the Go default (the heap grows to twice the live heap
// between collections) the process peaked at 300 MiB, a third of it the
// binary's mapped pages. Under this limit the collector runs more often
// as the heap nears it, and the process peaks near 240 MiB, at the cost of
// about 0.2 s of start. It is soft: a heap that needs more gets it.
const DefaultMemoryLimit = 140 << 20

// applyMemoryLimit sets the soft memory limit of cfg unless GOMEMLIMIT
// does; it returns the limit in force.
func applyMemoryLimit(cfg Config) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	limit := cfg.MemoryLimit
	if limit == 0 {
		limit = DefaultMemoryLimit
	}
	if limit < 0 {
		limit = math.MaxInt64
	}
	debug.SetMemoryLimit(limit)
	return limit
}

// ControlPlane is etcd, kube-apiserver, the namespace controller and the
// node taint controller.
type ControlPlane struct {
	cfg       Config
	etcd      *Etcd
	apisrv    *APIServer
	nsctrl    *NamespaceController
	taintctrl *NodeTaintController
	jobctrl   *JobController
	phases    []run.Phase
}

// New returns a ControlPlane for cfg.
func New(cfg Config) *ControlPlane {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 60 * time.Second
	}
	return &ControlPlane{cfg: cfg}
}

func (c *ControlPlane) phase(name string, start time.Time) {
	c.phases = append(c.phases, run.Phase{Name: name, Duration: time.Since(start)})
}

// Start starts the components in dependency order; if one fails it
// stops those already started.
func (c *ControlPlane) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	bundle, err := pki.Load(c.cfg.Layout.PKIDir())
	if err != nil {
		return fmt.Errorf("services: %w", err)
	}
	t := time.Now()
	c.etcd = NewEtcd(EtcdConfig{
		DataDir:      c.cfg.Layout.EtcdDir(),
		CAFile:       bundle.CACert,
		CertFile:     bundle.EtcdCert,
		KeyFile:      bundle.EtcdKey,
		StartTimeout: c.cfg.StartTimeout,
		SocketPath:   etcdSocketPath(c.cfg.Layout),
	})
	if err := c.etcd.launch(); err != nil {
		return err
	}
	// kube-apiserver builds its configuration (about 0.3 s: a loopback
	// certificate, admission, storage) while the lone etcd member elects
	// itself; its storage connects once etcd serves. Should etcd fail to,
	// the API server's start is cancelled with etcd's error.
	apiCtx, cancelAPI := context.WithCancelCause(ctx)
	defer cancelAPI(nil)
	etcdErr := make(chan error, 1)
	go func(start time.Time) {
		err := c.etcd.awaitReady()
		if err != nil {
			cancelAPI(err)
		} else {
			c.phase("etcd ready", start)
		}
		etcdErr <- err
	}(t)

	t = time.Now()
	etcdClient := APIServerConfig{
		EtcdURL:      c.etcd.URL(),
		EtcdCAFile:   bundle.CACert,
		EtcdCertFile: bundle.APIServerEtcdClientCert,
		EtcdKeyFile:  bundle.APIServerEtcdClientKey,
	}
	if u := c.etcd.SocketURL(); u != "" {
		etcdClient = APIServerConfig{EtcdURL: u}
	}
	c.apisrv = NewAPIServer(APIServerConfig{
		EtcdURL:                      etcdClient.EtcdURL,
		EtcdCAFile:                   etcdClient.EtcdCAFile,
		EtcdCertFile:                 etcdClient.EtcdCertFile,
		EtcdKeyFile:                  etcdClient.EtcdKeyFile,
		CAFile:                       bundle.CACert,
		CertFile:                     bundle.APIServerCert,
		KeyFile:                      bundle.APIServerKey,
		KubeletClientCertFile:        bundle.APIServerKubeletClientCert,
		KubeletClientKeyFile:         bundle.APIServerKubeletClientKey,
		ServiceAccountKeyFile:        bundle.ServiceAccountPub,
		ServiceAccountSigningKeyFile: bundle.ServiceAccountKey,
		TokenFile:                    bundle.TokenFile,
		FeatureGates:                 c.cfg.FeatureGates,
		RuntimeConfig:                c.cfg.RuntimeConfig,
		StartTimeout:                 c.cfg.StartTimeout,
	})
	apiErr := c.apisrv.Start(apiCtx)
	if err := errors.Join(<-etcdErr, apiErr); err != nil {
		return err
	}
	c.phase("apiserver ready", t)

	t = time.Now()
	c.nsctrl = &NamespaceController{}
	if err := c.nsctrl.Start(ctx, c.apisrv.LoopbackConfig()); err != nil {
		return err
	}
	c.phase("namespace controller started", t)

	t = time.Now()
	c.taintctrl = &NodeTaintController{}
	if err := c.taintctrl.Start(ctx, c.apisrv.LoopbackConfig()); err != nil {
		return err
	}
	c.phase("node taint controller started", t)
	if c.cfg.RunJobController {
		t = time.Now()
		c.jobctrl = &JobController{}
		if err := c.jobctrl.Start(ctx, c.apisrv.LoopbackConfig()); err != nil {
			return err
		}
		c.phase("job controller started", t)
	}
	return nil
}

// maxSocketPath is the longest unix socket path Linux takes (sun_path is
// 108 bytes, with its terminating NUL).
const maxSocketPath = 107

// etcdSocketPath is where etcd serves the API server on a unix socket: in
// the run directory (mode 0700, root's), so only root reaches it. Empty
// when the path would be too long for a socket: the API server then uses
// etcd's TLS port. Pure.
func etcdSocketPath(l run.Layout) string {
	p := filepath.Join(l.Dir, "etcd.sock")
	if len(p) > maxSocketPath {
		return ""
	}
	return p
}

// State describes the running control plane.
func (c *ControlPlane) State() run.ServicesState {
	return run.ServicesState{APIServerURL: c.apisrv.URL(), EtcdURL: c.etcd.URL(), Phases: c.phases}
}

// Err delivers the first failure of etcd or the API server after Start.
func (c *ControlPlane) Err() <-chan error {
	out := make(chan error, 1)
	etcdErr, apiErr := c.etcd.Err(), c.apisrv.Err() // before Stop clears them
	go func() {
		select {
		case err := <-etcdErr:
			out <- fmt.Errorf("etcd: %w", err)
		case err := <-apiErr:
			out <- err
		}
	}()
	return out
}

// Stop stops the components in reverse order and waits for each. It is
// safe to call again (Start stops what it started when it fails, and Serve
// stops everything after): each component is stopped once.
func (c *ControlPlane) Stop() error {
	var errs []error
	if c.jobctrl != nil {
		errs = append(errs, c.jobctrl.Stop())
		c.jobctrl = nil
	}
	if c.taintctrl != nil {
		errs = append(errs, c.taintctrl.Stop())
		c.taintctrl = nil
	}
	if c.nsctrl != nil {
		errs = append(errs, c.nsctrl.Stop())
		c.nsctrl = nil
	}
	if c.apisrv != nil {
		errs = append(errs, c.apisrv.Stop())
		c.apisrv = nil
	}
	if c.etcd != nil {
		errs = append(errs, c.etcd.Stop())
		c.etcd = nil
	}
	return errors.Join(errs...)
}

// Sidecar is another component the services process serves next to the
// control plane (the image registry). It starts concurrently with it.
type Sidecar interface {
	// Start brings the component up and returns once it serves.
	Start(ctx context.Context) error
	// Describe adds the component to the services state.
	Describe(st *run.ServicesState)
	// Err delivers a failure after Start.
	Err() <-chan error
	// Stop stops it and waits; safe after a failed Start.
	Stop() error
}

// Serve runs the control plane and side until ctx ends (SIGINT/SIGTERM in
// services mode) or a component fails, writing the services state file
// once all of them are ready.
func Serve(ctx context.Context, cfg Config, side Sidecar) error {
	log := klog.FromContext(ctx).WithName("services")
	log.V(2).Info("soft memory limit", "bytes", applyMemoryLimit(cfg))
	cp := New(cfg)
	sideErr := make(chan error, 1)
	go func() {
		err := side.Start(ctx)
		if err == nil {
			// The registry serves before the control plane does: the
			// node's runtime starts and pulls from it meanwhile.
			var st run.ServicesState
			side.Describe(&st)
			if st.Registry != nil {
				err = run.WriteJSON(cfg.Layout.RegistryState(), st.Registry)
			}
		}
		sideErr <- err
	}()
	cpErr := cp.Start(ctx)
	if err := errors.Join(cpErr, <-sideErr); err != nil {
		// Start undoes its own work on failure; the other may be up.
		return errors.Join(err, side.Stop(), cp.Stop())
	}
	st := cp.State()
	side.Describe(&st)
	if err := run.WriteJSON(cfg.Layout.ServicesState(), st); err != nil {
		return errors.Join(err, side.Stop(), cp.Stop())
	}
	log.Info("control plane serving", "apiserver", st.APIServerURL, "etcd", st.EtcdURL)
	if cfg.OnReady != nil && ctx.Err() == nil {
		if err := cfg.OnReady(st); err != nil {
			return errors.Join(err, side.Stop(), cp.Stop())
		}
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("stopping control plane", "cause", context.Cause(ctx))
	case runErr = <-cp.Err():
		log.Error(runErr, "control plane failed")
	case runErr = <-side.Err():
		log.Error(runErr, "image registry failed")
	}
	return errors.Join(runErr, side.Stop(), cp.Stop())
}
