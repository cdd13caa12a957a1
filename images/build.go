package images

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// BuildSuite builds every image of the suite as cfg says, keyed by name
// (Names): pause, busybox and the test image concurrently, compiling the
// pause and test programs first when cfg gives no binaries. PrivateTestName is
// and PullTestName are the test image itself, served under other
// repositories.
func BuildSuite(ctx context.Context, cfg Config) (map[string]v1.Image, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var pause, bb, test v1.Image
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		bb, err = busybox(gctx, cfg.BusyboxBinary, listApplets)
		return err
	})
	g.Go(func() (err error) {
		pause, err = buildPause(gctx, cfg)
		return err
	})
	g.Go(func() (err error) {
		test, err = BuildTestImage(gctx, cfg)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := map[string]v1.Image{PauseName: pause, BusyboxName: bb, TestName: test, PrivateTestName: test, PullTestName: test}
	for name, img := range out {
		if _, err := img.Digest(); err != nil {
			return nil, fmt.Errorf("images: digest of %s: %w", name, err)
		}
	}
	return out, nil
}
