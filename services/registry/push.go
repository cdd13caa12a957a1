package registry

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"
)

// pushJobs is how many images PushAll writes at once.
const pushJobs = 4

// Push writes img into the running registry as repo:tag, with the
// configured credentials (the registry takes no anonymous write), and
// returns the manifest digest ("sha256:...").
func (r *Registry) Push(ctx context.Context, repo, tag string, img v1.Image) (string, error) {
	host := r.Host()
	if host == "" {
		return "", fmt.Errorf("registry: push %s:%s: registry not started", repo, tag)
	}
	ref := host + "/" + repo + ":" + tag
	t, err := name.NewTag(ref, name.StrictValidation, name.Insecure) // Insecure: plain HTTP
	if err != nil {
		return "", fmt.Errorf("registry: push %s: %w", ref, err)
	}
	auth := &authn.Basic{Username: r.cfg.Username, Password: r.cfg.Password}
	if err := remote.Write(t, img, remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(r.transport)); err != nil {
		return "", fmt.Errorf("registry: push %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("registry: push %s: digest: %w", ref, err)
	}
	return d.String(), nil
}

// PushAll pushes every image, keyed by "repo:tag", a few at a time, and
// returns the manifest digest of each, by the same key. The first failure
// cancels the rest and is returned naming its image.
func (r *Registry) PushAll(ctx context.Context, images map[string]v1.Image) (map[string]string, error) {
	return pushAll(ctx, images, r.Push)
}

// pushAll pushes images, keyed by "repo:tag", with push, a few at a time.
func pushAll(ctx context.Context, images map[string]v1.Image, push func(ctx context.Context, repo, tag string, img v1.Image) (string, error)) (map[string]string, error) {
	keys := slices.Sorted(maps.Keys(images))
	for _, key := range keys {
		if _, _, ok := splitRepoTag(key); !ok {
			return nil, fmt.Errorf("registry: push %q: want repo:tag", key)
		}
	}
	digests := make([]string, len(keys))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(pushJobs)
	for i, key := range keys {
		repo, tag, _ := splitRepoTag(key)
		img := images[key]
		g.Go(func() (err error) {
			digests[i], err = push(ctx, repo, tag, img)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for i, key := range keys {
		out[key] = digests[i]
	}
	return out, nil
}

// splitRepoTag splits "repo:tag" at its last colon.
func splitRepoTag(key string) (repo, tag string, ok bool) {
	i := strings.LastIndexByte(key, ':')
	if i <= 0 || i == len(key)-1 || strings.Contains(key[i+1:], "/") {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}
