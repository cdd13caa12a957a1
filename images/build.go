package images

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"k8s.io/klog/v2"
)

// BuildAll builds PauseImage and BusyboxImage as cfg says, compiling the
// pause program first when cfg.PauseBinary is empty, and writes both into
// one archive (see WriteArchive). It returns the images in that order.
func BuildAll(ctx context.Context, cfg Config) ([]Built, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	logger := klog.FromContext(ctx).WithName("images")
	// Busybox first: a missing busybox-static is the likeliest failure,
	// and it is reported before any compiling.
	bb, err := busybox(ctx, cfg.BusyboxBinary, listApplets)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("images: create work dir: %w", err)
	}
	pauseBinary := cfg.PauseBinary
	if pauseBinary == "" {
		pauseBinary = filepath.Join(cfg.WorkDir, "pause")
		logger.V(1).Info("compiling pause", "source", cfg.PauseSource, "output", pauseBinary)
		if err := CompilePause(ctx, cfg.PauseSource, pauseBinary); err != nil {
			return nil, err
		}
	}
	pause, err := Pause(pauseBinary)
	if err != nil {
		return nil, err
	}

	archive := cfg.archive()
	ordered := []struct {
		ref string
		img v1.Image
	}{{PauseImage, pause}, {BusyboxImage, bb}}
	imgs := make(map[string]v1.Image, len(ordered))
	built := make([]Built, 0, len(ordered))
	for _, o := range ordered {
		d, err := o.img.Digest()
		if err != nil {
			return nil, fmt.Errorf("images: digest of %s: %w", o.ref, err)
		}
		imgs[o.ref] = o.img
		built = append(built, Built{Ref: o.ref, Digest: d.String(), Path: archive})
	}
	if err := WriteArchive(archive, imgs); err != nil {
		return nil, err
	}
	for _, b := range built {
		logger.V(0).Info("built image", "ref", b.Ref, "digest", b.Digest, "archive", b.Path)
	}
	return built, nil
}
