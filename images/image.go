package images

import (
	"fmt"
	"os"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// imageSpec describes a single-layer linux image for the host architecture.
type imageSpec struct {
	// component names the image in errors ("pause").
	component string
	// entries are the layer's contents.
	entries []entry
	// createdBy is the layer's history text. It must not depend on the
	// host (no paths, no times).
	createdBy string
	// config holds the entrypoint, command and environment.
	config v1.Config
}

// buildImage assembles s. The config's creation time and history time are
// the zero time, and only OS and architecture describe the platform, so the
// digest depends only on s and runtime.GOARCH.
func buildImage(s imageSpec) (v1.Image, error) {
	layer, err := layerFromEntries(s.entries)
	if err != nil {
		return nil, fmt.Errorf("images: %s: %w", s.component, err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{CreatedBy: s.createdBy},
	})
	if err != nil {
		return nil, fmt.Errorf("images: %s: append layer: %w", s.component, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("images: %s: read config: %w", s.component, err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{}
	cf.OS = "linux"
	cf.Architecture = runtime.GOARCH
	cf.Config = s.config
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("images: %s: set config: %w", s.component, err)
	}
	// Compute the digest now, so that any error surfaces here and not
	// while the archive is being written.
	if _, err := img.Digest(); err != nil {
		return nil, fmt.Errorf("images: %s: compute digest: %w", s.component, err)
	}
	return img, nil
}

// readBinary returns the content of the regular file at path.
func readBinary(component, path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("images: %s: %w", component, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("images: %s: %s is not a regular file (mode %v)", component, path, st.Mode())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("images: %s: read binary: %w", component, err)
	}
	return data, nil
}
