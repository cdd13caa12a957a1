package registry

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mustStart starts a registry for cfg and stops it at the end of the test.
func mustStart(t *testing.T, cfg Config) *Registry {
	t.Helper()
	r := New(cfg)
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return r
}

// mustRandomImage returns a small random image of two layers.
func mustRandomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// mustPush pushes img as repo:tag and returns its digest.
func mustPush(t *testing.T, r *Registry, repo, tag string, img v1.Image) string {
	t.Helper()
	d, err := r.Push(t.Context(), repo, tag, img)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pull fetches ref (a tag or digest reference) with auth as a client would, reading every blob, and
// returns the manifest digest. tr carries the requests; the caller closes
// its idle connections.
func pull(ctx context.Context, tr *http.Transport, ref string, auth authn.Authenticator) (string, error) {
	t, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", err
	}
	img, err := remote.Image(t, remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(tr))
	if err != nil {
		return "", err
	}
	if err := validate.Image(img); err != nil {
		return "", err
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// newTransport returns a client transport closed at the end of the test.
func newTransport(t *testing.T) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// statusOf returns the HTTP status carried by a go-containerregistry error,
// or 0.
func statusOf(err error) int {
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode
	}
	return 0
}
