package images

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// SuiteRepo is the suite image's repository in a registry.
const SuiteRepo = "node-e2e-suite"

// SuiteBinaries are the programs the suite image holds: what e2e_node.test
// reads at run time inside a pod (cluster mode, runner/remote) besides
// itself: ginkgo to run it, the pause and test programs next to it (found
// there as --pause-path and --test-image-path default to) to build the
// spec images, and busybox-static at /bin/busybox (--busybox-path), which
// is also the image's shell.
type SuiteBinaries struct {
	// E2ENodeTest is the built suite (_output/bin/e2e_node.test).
	E2ENodeTest string
	// Ginkgo is the ginkgo CLI (_output/bin/ginkgo).
	Ginkgo string
	// Pause and TestImage are the compiled programs (_output/bin/pause,
	// _output/bin/testimage).
	Pause, TestImage string
	// Busybox is Debian's busybox-static (/bin/busybox).
	Busybox string
}

// Validate names the first empty field.
func (b SuiteBinaries) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"E2ENodeTest", b.E2ENodeTest}, {"Ginkgo", b.Ginkgo}, {"Pause", b.Pause},
		{"TestImage", b.TestImage}, {"Busybox", b.Busybox},
	} {
		if f.v == "" {
			return fmt.Errorf("images: suite image: %s binary path is empty", f.name)
		}
	}
	return nil
}

// suiteBinDir holds the suite's programs in the image.
const suiteBinDir = "usr/local/bin"

// Suite returns the suite image: three layers, from the least to the most
// often changed, so that a rebuilt suite pushes only its own layer: busybox
// (as in the busybox image, /bin/sh included), then ginkgo, pause and
// testimage with the host's dynamic loader and libraries the binaries need
// (dynamicDeps; ginkgo and e2e_node.test are built with cgo), then
// e2e_node.test, all in /usr/local/bin. The digest depends
// only on the binaries' contents (and runtime.GOARCH): see buildImage.
func Suite(ctx context.Context, b SuiteBinaries) (v1.Image, error) {
	return suite(ctx, b, listApplets)
}

func suite(ctx context.Context, b SuiteBinaries, list appletLister) (v1.Image, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	bb, err := readBinary("suite image: busybox", b.Busybox)
	if err != nil {
		return nil, err
	}
	applets, err := list(ctx, b.Busybox)
	if err != nil {
		return nil, err
	}
	base, err := busyboxEntries(bb, applets)
	if err != nil {
		return nil, fmt.Errorf("images: suite image: busybox %s: %w", b.Busybox, err)
	}
	binDirs := []entry{directory("usr", 0o755), directory("usr/local", 0o755), directory(suiteBinDir, 0o755)}
	tools := binDirs
	for _, f := range []struct{ name, path string }{{"ginkgo", b.Ginkgo}, {"pause", b.Pause}, {"testimage", b.TestImage}} {
		data, err := readBinary("suite image: "+f.name, f.path)
		if err != nil {
			return nil, err
		}
		tools = append(tools, regular(suiteBinDir+"/"+f.name, 0o755, data))
	}
	libs, err := dynamicDeps([]string{b.Ginkgo, b.Pause, b.TestImage, b.E2ENodeTest})
	if err != nil {
		return nil, err
	}
	for _, l := range libs {
		// A library's parent directory may be one of binDirs (usr).
		if !slices.ContainsFunc(tools, func(e entry) bool { return e.name == l.name }) {
			tools = append(tools, l)
		}
	}
	test, err := readBinary("suite image: e2e_node.test", b.E2ENodeTest)
	if err != nil {
		return nil, err
	}
	layers := []struct {
		entries   []entry
		createdBy string
	}{
		{base, "node-e2e images: busybox-static at /bin/busybox with applet symlinks"},
		{tools, "node-e2e images: ginkgo, pause and testimage in /usr/local/bin, and the dynamic loader and libraries they and e2e_node.test need"},
		{append(binDirs[:3:3], regular(suiteBinDir+"/e2e_node.test", 0o755, test)), "node-e2e images: e2e_node.test in /usr/local/bin"},
	}
	img := empty.Image
	for _, l := range layers {
		layer, err := layerFromEntries(l.entries)
		if err != nil {
			return nil, fmt.Errorf("images: suite image: %w", err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: l.createdBy}}); err != nil {
			return nil, fmt.Errorf("images: suite image: append layer: %w", err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("images: suite image: read config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{}
	cf.OS = "linux"
	cf.Architecture = runtime.GOARCH
	cf.Config = v1.Config{
		Env:        []string{"PATH=/usr/local/bin:/bin:/usr/bin:/sbin:/usr/sbin"},
		Cmd:        []string{"/usr/local/bin/ginkgo", "/usr/local/bin/e2e_node.test", "--", "--start-services=false"},
		WorkingDir: "/",
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("images: suite image: set config: %w", err)
	}
	if _, err := img.Digest(); err != nil {
		return nil, fmt.Errorf("images: suite image: compute digest: %w", err)
	}
	return img, nil
}
