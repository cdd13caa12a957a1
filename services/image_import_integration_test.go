package services

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services/registry"
)

// TestIntegrationExternalRuntimeFindsImagesByDigest imports the suite's
// public images into a containerd the harness did not configure (one
// started here on a private socket, root and state) the way a run with
// --container-runtime-endpoint does, and checks that the runtime finds
// each by the digest reference the specs use.
func TestIntegrationExternalRuntimeFindsImagesByDigest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real containerd")
	}
	if os.Geteuid() != 0 {
		t.Skip("containerd needs root")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	reg := registry.New(registry.NewConfig())
	if err := reg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Stop() })
	names := []string{images.BusyboxName, images.TestName}
	digests := map[string]string{}
	for _, name := range names {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		// ctr imports only images for this platform.
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf.OS, cf.Architecture = "linux", runtime.GOARCH
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		repo, tag, _ := strings.Cut(images.Repos[name], ":")
		if digests[images.Repos[name]], err = reg.Push(ctx, repo, tag, img); err != nil {
			t.Fatal(err)
		}
	}
	refs := map[string]string{}
	for _, name := range names {
		if refs[name] = images.DigestRef(reg.Host(), name, digests[images.Repos[name]]); refs[name] == "" {
			t.Fatalf("image %s was pushed with digest %q", name, digests[images.Repos[name]])
		}
	}
	state := &run.RegistryState{Host: reg.Host(), Images: refs}

	dir := t.TempDir()
	sock := filepath.Join(dir, "containerd.sock")
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte("version = 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", config, "--address", sock, "--root", filepath.Join(dir, "root"), "--state", filepath.Join(dir, "state"))
	log, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start containerd: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		exec.Command("umount", "-R", filepath.Join(dir, "root")).Run()
	})
	endpoint := "unix://" + sock
	deadline := time.Now().Add(30 * time.Second)
	for CRIReady(ctx, endpoint) != nil {
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("containerd's CRI did not answer within 30s:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := ImportImages(ctx, endpoint, filepath.Join(dir, "images"), state); err != nil {
		t.Fatal(err)
	}
	conn, err := DialCRI(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	is := runtimeapi.NewImageServiceClient(conn)
	for name, ref := range refs {
		resp, err := is.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: ref}})
		if err != nil {
			t.Fatalf("image status %s: %v", ref, err)
		}
		if resp.Image == nil {
			t.Errorf("the runtime does not find %s (%s) by its digest reference", name, ref)
			continue
		}
		t.Logf("%s: id %s, tags %v, digests %v", ref, resp.Image.Id, resp.Image.RepoTags, resp.Image.RepoDigests)
	}
}
