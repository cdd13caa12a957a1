package services

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services/registry"
)

// ImageRegistryConfig configures the services process's image registry.
type ImageRegistryConfig struct {
	// Port is the registry's port on 127.0.0.1 (--registry-port). Default
	// 0: the kernel picks a free one.
	Port int
	// Images says where the images' inputs are.
	Images images.Config
	// LogPath receives one line per registry request. Required.
	LogPath string
}

// ImageRegistry builds the suite's images and serves them from an
// in-process registry on loopback, read-only to anonymous clients, with the
// private test image behind basic authentication. The services state names
// every image by digest.
type ImageRegistry struct {
	cfg     ImageRegistryConfig
	reg     *registry.Registry
	logFile *os.File
	state   run.RegistryState
	phases  []run.Phase
}

// NewImageRegistry returns an ImageRegistry for cfg; Start serves it.
func NewImageRegistry(cfg ImageRegistryConfig) *ImageRegistry {
	return &ImageRegistry{cfg: cfg}
}

// Start binds the registry's port, builds every suite image and pushes it.
// A failure names the port or the image.
func (r *ImageRegistry) Start(ctx context.Context) (err error) {
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

func (r *ImageRegistry) phase(name string, start time.Time) {
	r.phases = append(r.phases, run.Phase{Name: name, Duration: time.Since(start)})
}

// Describe adds the registry and its startup phases to the services state.
func (r *ImageRegistry) Describe(st *run.ServicesState) {
	s := r.state
	st.Registry = &s
	st.Phases = append(st.Phases, r.phases...)
}

// Err delivers a serving failure after Start.
func (r *ImageRegistry) Err() <-chan error {
	if r.reg == nil {
		return nil
	}
	return r.reg.Err()
}

// Stop stops serving and closes the request log; idempotent.
func (r *ImageRegistry) Stop() error {
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

// saveArchive fetches refs (digest references) from the harness's
// plain-HTTP registry, checking each against its digest, and writes them
// into one docker archive at path. A docker archive names images by tag
// only, so each is stored under its tag (images.Ref); the returned map
// gives the digest reference for each such tag, for nameByDigest.
func saveArchive(ctx context.Context, path string, refs []string) (map[string]string, error) {
	imgs := make(map[string]v1.Image, len(refs))
	aliases := make(map[string]string, len(refs))
	for _, ref := range refs {
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", ref, err)
		}
		img, err := remote.Image(r, remote.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("fetch image %s from the harness's registry: %w", ref, err)
		}
		tag := tagOf(ref)
		if tag == "" {
			return nil, fmt.Errorf("image %s is not one of the suite's images %v", ref, images.Names())
		}
		imgs[tag] = img
		aliases[tag] = ref
	}
	return aliases, images.WriteArchive(path, imgs)
}

// tagOf returns the tag reference (images.Ref) of the suite image that
// digest reference ref names, or "".
func tagOf(ref string) string {
	host, _, _ := strings.Cut(ref, "/")
	for _, n := range images.Names() {
		if tag := images.Ref(host, n); images.Repository(tag) == images.Repository(ref) {
			return tag
		}
	}
	return ""
}

// nameByDigest gives each image imported under a tag (a key of aliases)
// its digest reference too, in the containerd at address, with ctr: the
// specs ask the runtime for images by digest reference.
func nameByDigest(ctx context.Context, ctr, address string, aliases map[string]string) error {
	for _, tag := range slices.Sorted(maps.Keys(aliases)) {
		args := []string{"--address", address, "-n", images.Namespace, "images", "tag", "--force", tag, aliases[tag]}
		if out, err := exec.CommandContext(ctx, ctr, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("name image %s %s in containerd: %s %s: %w\n%s", tag, aliases[tag], ctr, strings.Join(args, " "), err, proc.Indent(proc.LastLines(out, 20), "  | "))
		}
	}
	return nil
}
