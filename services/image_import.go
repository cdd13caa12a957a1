package services

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
)

// PrepullImages are the references of the registry's images that the
// harness pulls before the specs (images.Prepulled), sorted.
func PrepullImages(reg *run.RegistryState) []string {
	var refs []string
	for name, ref := range reg.Images {
		if images.Prepulled(name) {
			refs = append(refs, ref)
		}
	}
	slices.Sort(refs)
	return refs
}

// ImportImages copies the registry's public images into a runtime the
// harness did not configure (it may not pull from a plain-HTTP registry):
// it writes them into an archive under dir and imports that with ctr, so
// the endpoint must be a containerd socket.
func ImportImages(ctx context.Context, endpoint, dir string, reg *run.RegistryState) error {
	archive := filepath.Join(dir, "images.tar")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	aliases, err := saveArchive(ctx, archive, PrepullImages(reg))
	if err != nil {
		return err
	}
	sock := strings.TrimPrefix(endpoint, "unix://")
	if err := images.Import(ctx, "ctr", sock, archive); err != nil {
		return fmt.Errorf("import images into the runtime at %s (only containerd is supported for --container-runtime-endpoint): %w", filepath.Clean(sock), err)
	}
	return nameByDigest(ctx, "ctr", sock, aliases)
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
