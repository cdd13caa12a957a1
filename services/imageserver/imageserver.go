package imageserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services/registry"
)

// Config configures the services process's image registry.
type Config struct {
	// Port is the registry's port on 127.0.0.1 (--registry-port). Default
	// 0: the kernel picks a free one.
	Port int
	// Images says where the images' inputs are.
	Images images.Config
	// LogPath receives one line per registry request. Required.
	LogPath string
}

// Server builds the suite's images and serves them from an
// in-process registry on loopback, read-only to anonymous clients, with the
// private test image behind basic authentication. The services state names
// every image by digest.
type Server struct {
	cfg     Config
	reg     *registry.Registry
	logFile *os.File
	state   run.RegistryState
	phases  []run.Phase
}

// New returns a Server for cfg; Start serves it.
func New(cfg Config) *Server {
	return &Server{cfg: cfg}
}

// Start binds the registry's port, builds every suite image and pushes it.
// A failure names the port or the image.
func (r *Server) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			err = errors.Join(err, r.Stop())
		}
	}()
	f, err := os.OpenFile(r.cfg.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("registry: request log: %w", err)
	}
	r.logFile = f
	user, password := registry.NewCredentials()
	rc := registry.NewConfig()
	rc.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(r.cfg.Port))
	rc.Username, rc.Password, rc.LogWriter = user, password, f
	r.reg = registry.New(rc)

	t := time.Now()
	if err := r.reg.Start(ctx); err != nil {
		return err
	}
	r.phase("registry serving", t)

	t = time.Now()
	built, err := images.BuildSuite(ctx, r.cfg.Images)
	if err != nil {
		return fmt.Errorf("build the suite's images: %w", err)
	}
	r.phase("images built", t)

	t = time.Now()
	byRepo := make(map[string]v1.Image, len(built))
	for name, img := range built {
		byRepo[images.Repos[name]] = img
	}
	digests, err := r.reg.PushAll(ctx, byRepo)
	if err != nil {
		return err
	}
	refs, err := digestRefs(r.reg.Host(), slices.Collect(maps.Keys(built)), digests)
	if err != nil {
		return err
	}
	r.phase("images pushed to the registry", t)
	r.state = run.RegistryState{Host: r.reg.Host(), Username: user, Password: password, Images: refs}
	return nil
}

// digestRefs returns the reference of each image name by digest, given
// the digests PushAll returned by repository:tag. Specs, containerd's
// sandbox image and the pre-pull use these references, so a tag moved in
// the registry after the push changes nothing that runs.
func digestRefs(host string, names []string, digests map[string]string) (map[string]string, error) {
	refs := make(map[string]string, len(names))
	for _, name := range names {
		d := digests[images.Repos[name]]
		ref := images.DigestRef(host, name, d)
		if ref == "" {
			return nil, fmt.Errorf("registry: image %s (%s) was pushed with digest %q, want sha256:<64 hex digits>", name, images.Repos[name], d)
		}
		refs[name] = ref
	}
	return refs, nil
}

func (r *Server) phase(name string, start time.Time) {
	r.phases = append(r.phases, run.Phase{Name: name, Duration: time.Since(start)})
}

// Describe adds the registry and its startup phases to the services state.
func (r *Server) Describe(st *run.ServicesState) {
	s := r.state
	st.Registry = &s
	st.Phases = append(st.Phases, r.phases...)
}

// Err delivers a serving failure after Start.
func (r *Server) Err() <-chan error {
	if r.reg == nil {
		return nil
	}
	return r.reg.Err()
}

// Stop stops serving and closes the request log; idempotent.
func (r *Server) Stop() error {
	var errs []error
	if r.reg != nil {
		errs = append(errs, r.reg.Stop())
	}
	if r.logFile != nil {
		errs = append(errs, r.logFile.Close())
		r.logFile = nil
	}
	return errors.Join(errs...)
}
