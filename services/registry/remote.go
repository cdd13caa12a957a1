package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Remote is a registry the harness does not run, that a node pulls from
// (e2e_node.test --image-registry): the suite pushes its images there.
// Loopback and private (RFC 1918) hosts are reached over plain HTTP, any
// other over HTTPS, as go-containerregistry and containerd decide.
type Remote struct {
	// Host is host[:port].
	Host string
	// Prefix is the repository prefix ("" or "team/node-e2e").
	Prefix string
	// Username and Password authenticate pushes (and the private
	// repositories' pulls); empty for anonymous.
	Username, Password string
}

// Repo is the repository path of repo under the prefix.
func (r Remote) Repo(repo string) string {
	if r.Prefix == "" {
		return repo
	}
	return r.Prefix + "/" + repo
}

// Base is host[/prefix]: what a reference starts with.
func (r Remote) Base() string {
	if r.Prefix == "" {
		return r.Host
	}
	return r.Host + "/" + r.Prefix
}

func (r Remote) auth() authn.Authenticator {
	if r.Username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.Username, Password: r.Password}
}

// Ping checks, within timeout, that the registry answers its API
// (GET /v2/, where 200 and 401 both mean a registry is there).
func (r Remote) Ping(ctx context.Context, timeout time.Duration) error {
	reg, err := name.NewRegistry(r.Host)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+r.Host+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("GET %s://%s/v2/: %s (not a registry API?)", reg.Scheme(), r.Host, resp.Status)
	}
	return nil
}

// PushAll pushes images, keyed by "repo:tag", under the prefix, and
// returns each manifest digest by the same key. Blobs the registry holds
// already are not sent again.
func (r Remote) PushAll(ctx context.Context, images map[string]v1.Image) (map[string]string, error) {
	return pushAll(ctx, images, func(ctx context.Context, repo, tag string, img v1.Image) (string, error) {
		ref := r.Base() + "/" + repo + ":" + tag
		t, err := name.NewTag(ref, name.StrictValidation)
		if err != nil {
			return "", fmt.Errorf("registry: push %s: %w", ref, err)
		}
		if err := remote.Write(t, img, remote.WithContext(ctx), remote.WithAuth(r.auth())); err != nil {
			return "", fmt.Errorf("registry: push %s: %w", ref, err)
		}
		d, err := img.Digest()
		if err != nil {
			return "", fmt.Errorf("registry: push %s: digest: %w", ref, err)
		}
		return d.String(), nil
	})
}

// Anonymous reports whether ref (a digest or tag reference) can be
// fetched without credentials: false when the registry asks for them.
func Anonymous(ctx context.Context, ref string) (bool, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return false, err
	}
	_, err = remote.Head(r, remote.WithContext(ctx))
	var terr *transport.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden):
		return false, nil
	}
	return false, err
}
