package registry

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestAnonymousPushIsRefused performs a local user's attack on the run's
// registry: replacing a public image the specs run (busybox, pulled with
// Always by some) with their own. Every write without the run's
// credentials gets 401 and changes nothing; the services process's
// authenticated push works; and a digest reference still names the
// original content after the tag moves.
func TestAnonymousPushIsRefused(t *testing.T) {
	cfg := NewConfig()
	r := mustStart(t, cfg)
	orig := mustPush(t, r, "busybox", "1.0", mustRandomImage(t))
	evil := mustRandomImage(t)
	evilDigest, _ := evil.Digest()
	manifest, err := evil.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: newTransport(t), Timeout: 10 * time.Second}
	base := "http://" + r.Host()

	raw := []struct {
		method, path string
		body         []byte
		user, pass   string // empty user: anonymous
	}{
		{"POST", "/v2/busybox/blobs/uploads/", nil, "", ""},
		{"POST", "/v2/busybox/blobs/uploads/?mount=" + orig + "&from=busybox", nil, "", ""},
		{"POST", "/v2/newrepo/blobs/uploads/", nil, "", ""},
		{"PUT", "/v2/busybox/manifests/1.0", manifest, "", ""},
		{"PUT", "/v2/busybox/manifests/1.0", manifest, cfg.Username, "guessed"},
		{"PATCH", "/v2/busybox/blobs/uploads/1", []byte("x"), "", ""},
		{"DELETE", "/v2/busybox/manifests/" + orig, nil, "", ""},
	}
	for _, rq := range raw {
		t.Run("raw "+rq.method+" "+rq.path+" "+rq.user, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), rq.method, base+rq.path, bytes.NewReader(rq.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			if rq.user != "" {
				req.SetBasicAuth(rq.user, rq.pass)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s = %d %s, want 401", rq.method, rq.path, resp.StatusCode, body)
			}
		})
	}

	tag, err := name.NewTag(r.Ref("busybox", "1.0"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	err = remote.Write(tag, evil, remote.WithContext(t.Context()), remote.WithAuth(authn.Anonymous), remote.WithTransport(newTransport(t)))
	if statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("anonymous push of busybox:1.0 = %v, want 401", err)
	}
	tr := newTransport(t)
	if got, err := pull(t.Context(), tr, r.Ref("busybox", "1.0"), authn.Anonymous); err != nil || got != orig {
		t.Fatalf("busybox:1.0 after the refused pushes = %s, %v; want the original %s", got, err, orig)
	}

	// The run's own push works, and moves the tag; the digest reference
	// the specs use still names the original image.
	if got := mustPush(t, r, "busybox", "1.0", evil); got != evilDigest.String() {
		t.Fatalf("authenticated push returned %s, want %s", got, evilDigest)
	}
	if got, err := pull(t.Context(), tr, r.Ref("busybox", "1.0"), authn.Anonymous); err != nil || got != evilDigest.String() {
		t.Fatalf("busybox:1.0 after the authenticated push = %s, %v; want %s", got, err, evilDigest)
	}
	if got, err := pull(t.Context(), tr, r.DigestRef("busybox", orig), authn.Anonymous); err != nil || got != orig {
		t.Errorf("anonymous pull by digest = %s, %v; want %s", got, err, orig)
	}
}
