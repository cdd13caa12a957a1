package cluster

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	gcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/node-e2e/harness/services/registry"
)

// TestPushSuiteImage pushes to a registry on loopback (go-containerregistry's
// own, in memory) and pulls the reference back by digest.
func TestPushSuiteImage(t *testing.T) {
	srv := httptest.NewServer(gcrregistry.New(gcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.Remote{Host: host, Prefix: "team/e2e"}
	ref, err := PushSuiteImage(context.Background(), reg, img)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if want := host + "/team/e2e/node-e2e-suite@" + d.String(); ref != want {
		t.Errorf("ref = %s, want %s", ref, want)
	}
	r, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(r)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	if gd, _ := got.Digest(); gd != d {
		t.Errorf("pulled digest %s, pushed %s", gd, d)
	}
	tag, err := name.NewTag(host + "/team/e2e/node-e2e-suite:" + SuiteTag(d))
	if err != nil {
		t.Fatal(err)
	}
	if desc, err := remote.Head(tag); err != nil || desc.Digest != d {
		t.Errorf("tag %s: %v, %v; want digest %s", tag, desc, err, d)
	}
	if dg, ok := DigestOf(ref); !ok || dg != d.String() {
		t.Errorf("DigestOf(%s) = %s, %v", ref, dg, ok)
	}
}

func TestPushSuiteImageUnreachable(t *testing.T) {
	srv := httptest.NewServer(gcrregistry.New(gcrregistry.Logger(log.New(io.Discard, "", 0))))
	host := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	img, _ := random.Image(16, 1)
	_, err := PushSuiteImage(context.Background(), registry.Remote{Host: host}, img)
	if err == nil || !strings.Contains(err.Error(), "push the suite image to "+host) {
		t.Errorf("push to a closed registry: %v, want an error naming it", err)
	}
}
