package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"k8s.io/klog/v2"
)

// Registry is the harness's in-process OCI registry. Create it with New.
type Registry struct {
	cfg  Config
	errc chan error // serving failures after Start; buffered, at most one

	// transport carries Push's requests; Stop closes its idle connections.
	transport *http.Transport

	mu      sync.Mutex // guards the fields below; held through Start and Stop
	started bool
	stopped bool
	host    string
	srv     *http.Server
	served  chan struct{} // closed when the serving goroutine returns
	logger  klog.Logger
}

// New returns a Registry for cfg; Start validates cfg and serves.
func New(cfg Config) *Registry {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // loopback only: never through a proxy from the environment
	return &Registry{cfg: cfg, errc: make(chan error, 1), transport: tr}
}

// Start validates the config, binds the listener and serves in the
// background. It returns once the registry accepts connections, or with the
// reason it cannot. ctx bounds the start only and provides the logger
// (klog.FromContext). A Registry starts at most once.
func (r *Registry) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return errors.New("registry: start: already started or stopped; a Registry runs once")
	}
	if err := r.cfg.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("registry: start: %w", err)
	}
	r.logger = klog.FromContext(ctx).WithName("registry")

	// Bind first: a port in use is the likeliest failure and must be clear.
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", r.cfg.Address)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("registry: listen on %s: %w: choose another --registry-port or 0 for a free one", r.cfg.Address, syscall.EADDRINUSE)
		}
		return fmt.Errorf("registry: listen on %s: %w", r.cfg.Address, err)
	}

	var handler http.Handler = ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	handler = newBasicAuth(handler, r.cfg.PrivatePrefix, r.cfg.Username, r.cfg.Password)
	handler = newRequestLog(handler, r.cfg.LogWriter)
	r.srv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	if r.cfg.LogWriter != nil {
		r.srv.ErrorLog = log.New(r.cfg.LogWriter, "http: ", 0)
	}
	r.host = ln.Addr().String()
	r.served = make(chan struct{})
	r.started = true

	go func() {
		defer close(r.served)
		if err := r.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			r.errc <- fmt.Errorf("registry: serve on %s: %w", r.host, err)
		}
	}()
	r.logger.Info("Serving OCI registry", "address", r.host, "privatePrefix", r.cfg.PrivatePrefix, "username", r.cfg.Username)
	return nil
}

// Err returns a channel that receives the error that ended serving early,
// if any. It is never closed.
func (r *Registry) Err() <-chan error { return r.errc }

// Host returns "127.0.0.1:PORT", the registry host of image references, or
// "" before Start.
func (r *Registry) Host() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.host
}

// Ref returns the image reference HOST/repo:tag.
func (r *Registry) Ref(repo, tag string) string {
	return r.Host() + "/" + repo + ":" + tag
}

// DigestRef returns the image reference HOST/repo@digest, which names
// content: a client pulling it verifies what it gets against the digest,
// whatever the tags point at.
func (r *Registry) DigestRef(repo, digest string) string {
	return r.Host() + "/" + repo + "@" + digest
}

// Stop shuts the server down gracefully, waiting up to
// Config.ShutdownTimeout for requests in flight before closing their
// connections, and returns once the serving goroutine has exited. It is
// idempotent and safe without Start or after a failed Start; a Registry
// cannot be started after Stop.
func (r *Registry) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || !r.started {
		r.stopped = true
		return nil
	}
	r.stopped = true

	// Push's own keep-alive connections would otherwise count as active.
	r.transport.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ShutdownTimeout)
	defer cancel()
	var err error
	if serr := r.srv.Shutdown(ctx); serr != nil {
		// The bound is reached: requests still in flight at teardown, or
		// clients' spare connections that never sent one (the server waits
		// 5s for those), are cut off. That is what the bound is for.
		r.logger.Info("Closing connections still open after the shutdown timeout", "address", r.host, "timeout", r.cfg.ShutdownTimeout, "reason", serr)
		if cerr := r.srv.Close(); cerr != nil {
			err = fmt.Errorf("registry: stop: close: %w", cerr)
		}
	}
	<-r.served
	r.transport.CloseIdleConnections()
	r.logger.Info("Stopped OCI registry", "address", r.host)
	return err
}
