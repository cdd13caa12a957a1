package images

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		desc   string
		mutate func(*Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"prebuilt pause", func(c *Config) { c.PauseSource = ""; c.PauseBinary = "/x/pause" }, ""},
		{"no pause", func(c *Config) { c.PauseSource = "" }, "set PauseBinary or PauseSource"},
		{"no busybox", func(c *Config) { c.BusyboxBinary = "" }, "BusyboxBinary is empty"},
		{"no work dir", func(c *Config) { c.WorkDir = "" }, "WorkDir is empty"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			cfg := NewConfig()
			c.mutate(&cfg)
			err := cfg.Validate()
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("Validate = %v, want %q", err, c.want)
			}
		})
	}
}

func TestConfigArchiveDefault(t *testing.T) {
	cfg := NewConfig()
	cfg.WorkDir = "/w"
	if got := cfg.archive(); got != "/w/images.tar" {
		t.Errorf("default archive %q, want /w/images.tar", got)
	}
	cfg.ArchivePath = "/a.tar"
	if got := cfg.archive(); got != "/a.tar" {
		t.Errorf("archive %q, want /a.tar", got)
	}
}

func TestBuildAllMissingBusybox(t *testing.T) {
	cfg := NewConfig()
	cfg.BusyboxBinary = filepath.Join(t.TempDir(), "busybox")
	cfg.WorkDir = filepath.Join(t.TempDir(), "work")
	_, err := BuildAll(context.Background(), cfg)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "install Debian's busybox-static (hack/install-deps.sh)") {
		t.Fatalf("BuildAll = %v, want the install hint", err)
	}
	if _, err := os.Stat(cfg.WorkDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("work dir created before the inputs were checked: %v", err)
	}
}

// TestBuildAll compiles the pause program and builds both images from the
// host's busybox-static.
func TestBuildAll(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the pause program")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	cfg := NewConfig()
	if _, err := os.Stat(cfg.BusyboxBinary); err != nil {
		t.Skipf("%v (install busybox-static)", err)
	}
	cfg.PauseSource = "pause"
	cfg.WorkDir = filepath.Join(t.TempDir(), "work")
	built, err := BuildAll(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(cfg.WorkDir, "images.tar")
	if len(built) != 2 || built[0].Ref != PauseImage || built[1].Ref != BusyboxImage {
		t.Fatalf("built %+v, want %s and %s", built, PauseImage, BusyboxImage)
	}
	for _, b := range built {
		if b.Path != archive {
			t.Errorf("%s: path %s, want %s", b.Ref, b.Path, archive)
		}
		tag, err := name.NewTag(b.Ref)
		if err != nil {
			t.Fatal(err)
		}
		img, err := tarball.ImageFromPath(archive, &tag)
		if err != nil {
			t.Fatalf("%s: %v", b.Ref, err)
		}
		if got := mustDigest(t, img); got != b.Digest {
			t.Errorf("%s: archive digest %s, reported %s", b.Ref, got, b.Digest)
		}
		t.Logf("%s %s", b.Ref, b.Digest)
	}
	if st, err := os.Stat(filepath.Join(cfg.WorkDir, "pause")); err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Errorf("compiled pause: %v, %v", st, err)
	}
	// A second build of the same inputs gives the same digests.
	again, err := BuildAll(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range built {
		if again[i].Digest != built[i].Digest {
			t.Errorf("%s: rebuild digest %s, first %s", built[i].Ref, again[i].Digest, built[i].Digest)
		}
	}
}
