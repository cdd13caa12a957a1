package images

import (
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/node-e2e/harness/internal/run"
)

// WriteArchive writes imgs, keyed by reference, into one docker-archive
// tarball at path that `ctr images import` accepts; each image is tagged with
// its reference (RepoTags), so containerd names it. References must be fully
// qualified with an explicit tag. The file is written next to path under a
// temporary name and renamed into place with mode 0644, so readers never
// see a partial archive.
func WriteArchive(path string, imgs map[string]v1.Image) error {
	if len(imgs) == 0 {
		return errors.New("images: write archive: no images")
	}
	refs := make(map[name.Reference]v1.Image, len(imgs))
	for ref, img := range imgs {
		tag, err := name.NewTag(ref, name.StrictValidation)
		if err != nil {
			return fmt.Errorf("images: write archive: reference %q: %w", ref, err)
		}
		refs[tag] = img
	}
	if err := run.WriteFileFunc(path, 0o644, func(w io.Writer) error { return tarball.MultiRefWrite(refs, w) }); err != nil {
		return fmt.Errorf("images: archive: %w", err)
	}
	return nil
}
