package e2e_node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/node-e2e/harness/e2e_node/nodefacts"
	"github.com/node-e2e/harness/e2e_node/options"
	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
	"github.com/node-e2e/harness/services/imageserver"
	"github.com/node-e2e/harness/services/registry"
)

// pullProbeTimeout bounds the test pull that tells whether a node's
// runtime pulls from the suite's loopback registry.
const pullProbeTimeout = 15 * time.Second

// extImages is how a node the harness did not start gets the suite's
// images, and what to undo at the end.
type extImages struct {
	state run.RegistryState
	// pulls: the node's runtime pulls from the registry (own loopback
	// registry it trusts, or --image-registry); false: imported over its
	// socket.
	pulls bool
	// privateNeedsAuth: the private test image is refused without
	// credentials (the private-image spec needs that).
	privateNeedsAuth bool
	// served is the suite's own loopback registry, when it serves one.
	served *imageserver.Server
	// endpoint is the node's CRI endpoint ("" when not on this host).
	endpoint string
	// before is what the runtime held before the run: the images the run
	// adds are removed at the end, and audited.
	before []string
	// workDir holds the import archive; removed at the end.
	workDir string
}

// checkImageRegistry checks --image-registry and its credentials before
// anything starts: bad input, exit 2, in seconds.
func checkImageRegistry(ctx context.Context, c *options.Config) (registry.Remote, error) {
	if c.External.ImageRegistry == "" {
		return registry.Remote{}, nil
	}
	host, prefix, err := options.SplitImageRegistry(c.External.ImageRegistry)
	if err != nil {
		return registry.Remote{}, usageError{err}
	}
	user, password, err := c.RegistryCredentials()
	if err != nil {
		return registry.Remote{}, usageError{err}
	}
	r := registry.Remote{Host: host, Prefix: prefix, Username: user, Password: password}
	if err := r.Ping(ctx, 3*time.Second); err != nil {
		return r, usageError{fmt.Errorf("--image-registry=%s: the registry does not answer: %v (give a registry this host and the node can reach, or leave --image-registry out to serve the images from this host)", c.External.ImageRegistry, err)}
	}
	return r, nil
}

// provideImages gets the suite's images to the node: pushed to
// --image-registry, which the node pulls from; or served from the suite's
// own loopback registry and pulled by the node's runtime if it trusts
// that registry, else imported over the runtime's socket (the node must
// then be on this host).
func provideImages(ctx context.Context, c *options.Config, remote registry.Remote, facts *nodefacts.Facts, reportDir string) (*extImages, error) {
	x := &extImages{endpoint: facts.Value(nodefacts.RuntimeEndpoint)}
	if x.endpoint != "" {
		before, err := services.ListImageRefs(ctx, x.endpoint)
		if err != nil {
			return nil, fmt.Errorf("the node's runtime at %s (%s): %w", x.endpoint, facts.Get(nodefacts.RuntimeEndpoint).Source, err)
		}
		x.before = before
	}
	if remote.Host != "" {
		built, err := buildSuiteImages(ctx, c)
		if err != nil {
			return nil, err
		}
		return x, x.push(ctx, remote, built)
	}
	if !facts.Local || x.endpoint == "" {
		return nil, usageError{fmt.Errorf("the node's runtime cannot be reached from here (%s): give --image-registry=HOST[:PORT][/PREFIX], a registry the node pulls from, for the suite to push its images to", nodefacts.SkipMessage(facts.Get(nodefacts.RuntimeEndpoint)))}
	}
	if err := x.serve(ctx, c, reportDir); err != nil {
		// Nothing reaches finish: stop what serve started.
		return nil, errors.Join(err, x.stopServing())
	}
	return x, nil
}

// buildSuiteImages builds the suite's images from this repository's
// binaries.
func buildSuiteImages(ctx context.Context, c *options.Config) (map[string]v1.Image, error) {
	ic := images.NewConfig()
	var err error
	if ic.PauseBinary, err = c.PauseBinary(); err != nil {
		return nil, usageError{err}
	}
	if ic.TestImageBinary, err = c.TestImageBinary(); err != nil {
		return nil, usageError{err}
	}
	ic.BusyboxBinary = c.BusyboxPath
	built, err := images.BuildSuite(ctx, ic)
	if err != nil {
		return nil, fmt.Errorf("build the suite's images: %w", err)
	}
	return built, nil
}

// push pushes the images to remote and pre-pulls them on the node when
// its runtime is reachable from here.
func (x *extImages) push(ctx context.Context, remote registry.Remote, built map[string]v1.Image) error {
	byRepo := make(map[string]v1.Image, len(built))
	for name, img := range built {
		byRepo[remote.Repo(images.Repos[name])] = img
	}
	digests, err := remote.PushAll(ctx, byRepo)
	if err != nil {
		return fmt.Errorf("--image-registry=%s: %w", remote.Base(), err)
	}
	refs := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(built)) {
		ref := images.DigestRef(remote.Base(), name, digests[remote.Repo(images.Repos[name])])
		if ref == "" {
			return fmt.Errorf("--image-registry=%s: image %s was pushed without a sha256 digest", remote.Base(), name)
		}
		refs[name] = ref
	}
	x.state = run.RegistryState{Host: remote.Host, Username: remote.Username, Password: remote.Password, Images: refs}
	x.pulls = true
	if anon, err := registry.Anonymous(ctx, refs[images.PrivateTestName]); err == nil {
		x.privateNeedsAuth = !anon
	}
	if x.endpoint != "" {
		if err := services.PullImagesAs(ctx, x.endpoint, services.PrepullImages(&x.state), remote.Username, remote.Password); err != nil {
			return fmt.Errorf("the node's runtime cannot pull from --image-registry=%s: %w", remote.Base(), err)
		}
	}
	return nil
}

// serve starts the suite's own loopback registry, and gets its images
// into the node's runtime: pulled, when the runtime trusts the registry,
// else imported with ctr.
func (x *extImages) serve(ctx context.Context, c *options.Config, reportDir string) error {
	dir, err := os.MkdirTemp("", "node-e2e-images-")
	if err != nil {
		return err
	}
	x.workDir = dir
	ic := images.NewConfig()
	if ic.PauseBinary, err = c.PauseBinary(); err != nil {
		return usageError{err}
	}
	if ic.TestImageBinary, err = c.TestImageBinary(); err != nil {
		return usageError{err}
	}
	ic.BusyboxBinary, ic.WorkDir = c.BusyboxPath, dir
	x.served = imageserver.New(imageserver.Config{Port: c.RegistryPort, Images: ic, LogPath: filepath.Join(reportDir, "registry.log")})
	if err := x.served.Start(ctx); err != nil {
		return err
	}
	var st run.ServicesState
	x.served.Describe(&st)
	x.state, x.privateNeedsAuth = *st.Registry, true
	refs := services.PrepullImages(&x.state)
	pctx, cancel := context.WithTimeout(ctx, pullProbeTimeout)
	perr := services.PullImages(pctx, x.endpoint, refs[:1])
	cancel()
	if perr == nil {
		x.pulls = true
		return services.PullImages(ctx, x.endpoint, refs)
	}
	if err := services.ImportImages(ctx, x.endpoint, dir, &x.state); err != nil {
		return fmt.Errorf("get the suite's images into the node's runtime: it does not pull from %s (%v), and importing failed: %w", x.state.Host, perr, err)
	}
	return nil
}

// added lists the images the runtime holds now that it did not before the
// run: what the run pulled or imported.
func (x *extImages) added(ctx context.Context) ([]string, error) {
	if x.endpoint == "" {
		return nil, nil
	}
	now, err := services.ListImageRefs(ctx, x.endpoint)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range now {
		if !slices.Contains(x.before, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// finish audits and removes the images the run added to the node's
// runtime, stops the loopback registry and removes the work dir. The
// audit error names every added image that did not come from the suite's
// registry.
func (x *extImages) finish(reportDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	added, err := x.added(ctx)
	errs = append(errs, err)
	var foreign, ours []string
	for _, r := range added {
		switch {
		case strings.HasPrefix(r, "sha256:"):
		case strings.HasPrefix(r, x.state.Host+"/"):
			ours = append(ours, r)
		default:
			foreign = append(foreign, r)
		}
	}
	if reportDir != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "registry %s\n", x.state.Host)
		for _, r := range added {
			fmt.Fprintf(&b, "added %s\n", r)
		}
		errs = append(errs, run.WriteFile(filepath.Join(reportDir, runtimeImagesFile), []byte(b.String()), 0o644))
	}
	if len(foreign) > 0 {
		errs = append(errs, fmt.Errorf("during the run the node's runtime got images that did not come from the suite's registry %s: %s (every image a spec uses must be built by this repository)", x.state.Host, strings.Join(foreign, ", ")))
	}
	if len(ours) > 0 {
		errs = append(errs, services.RemoveImages(ctx, x.endpoint, ours))
	}
	errs = append(errs, x.stopServing())
	return errors.Join(errs...)
}

// stopServing stops the loopback registry and removes the work dir, when
// serve made them.
func (x *extImages) stopServing() error {
	var errs []error
	if x.served != nil {
		errs = append(errs, x.served.Stop())
	}
	if x.workDir != "" {
		errs = append(errs, os.RemoveAll(x.workDir))
	}
	return errors.Join(errs...)
}
