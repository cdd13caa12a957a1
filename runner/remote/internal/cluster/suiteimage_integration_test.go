package cluster

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/services/registry"
)

// TestIntegrationSuiteImageFromBuiltBinaries builds the suite image twice
// from _output/bin (hack/build.sh) and /bin/busybox, checks the digests
// match, pushes it to a registry on loopback and logs the time and size.
func TestIntegrationSuiteImageFromBuiltBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("integration: builds the suite image from _output/bin")
	}
	bin, err := filepath.Abs("../../../../_output/bin")
	if err != nil {
		t.Fatal(err)
	}
	in := images.SuiteBinaries{
		E2ENodeTest: filepath.Join(bin, "e2e_node.test"), Ginkgo: filepath.Join(bin, "ginkgo"),
		Pause: filepath.Join(bin, "pause"), TestImage: filepath.Join(bin, "testimage"), Busybox: "/bin/busybox",
	}
	for _, p := range []string{in.E2ENodeTest, in.Ginkgo, in.Pause, in.TestImage, in.Busybox} {
		if _, err := os.Stat(p); err != nil {
			missingBinary(t, err, "run hack/build.sh (and hack/install-deps.sh for busybox-static)")
		}
	}
	ctx := context.Background()
	var digests []string
	for i := range 2 {
		start := time.Now()
		img, err := images.Suite(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		built := time.Since(start)
		var size int64
		layers, _ := img.Layers()
		for _, l := range layers {
			s, err := l.Size()
			if err != nil {
				t.Fatal(err)
			}
			size += s
		}
		digests = append(digests, d.String())
		t.Logf("build %d: %v, %d layers, %.1f MiB compressed, digest %s", i+1, built.Round(time.Millisecond), len(layers), float64(size)/(1<<20), d)
		if i == 1 {
			srv := httptest.NewServer(gcrregistry.New(gcrregistry.Logger(log.New(io.Discard, "", 0))))
			defer srv.Close()
			start = time.Now()
			ref, err := PushSuiteImage(ctx, registry.Remote{Host: strings.TrimPrefix(srv.URL, "http://")}, img)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("pushed %s in %v", ref, time.Since(start).Round(time.Millisecond))
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the same binaries: digests %s and %s", digests[0], digests[1])
	}
}

// missingBinary skips the test when a built binary is missing (a plain
// `go test ./...` in a fresh clone), and fails it under hack/test.sh,
// which sets NODE_E2E_REQUIRE_BINARIES=1 after building them.
func missingBinary(t *testing.T, err error, fix string) {
	t.Helper()
	if os.Getenv("NODE_E2E_REQUIRE_BINARIES") == "1" {
		t.Fatalf("%v: %s", err, fix)
	}
	t.Skipf("%v: %s", err, fix)
}
