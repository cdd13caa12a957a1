package images

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
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

func TestBuildSuiteMissingBusybox(t *testing.T) {
	cfg := NewConfig()
	cfg.BusyboxBinary = filepath.Join(t.TempDir(), "busybox")
	cfg.PauseBinary = filepath.Join(t.TempDir(), "pause")
	cfg.TestImageBinary = filepath.Join(t.TempDir(), "testimage")
	cfg.WorkDir = filepath.Join(t.TempDir(), "work")
	_, err := BuildSuite(context.Background(), cfg)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("BuildSuite = %v, want a not-exist error", err)
	}
}

// TestBuildSuite compiles the pause and test programs and builds every
// suite image from them and the host's busybox-static, twice.
func TestBuildSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the pause and test programs")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	cfg := NewConfig()
	if _, err := os.Stat(cfg.BusyboxBinary); err != nil {
		t.Skipf("%v (install busybox-static)", err)
	}
	cfg.PauseSource, cfg.TestImageSource = "pause", "testimage"
	cfg.WorkDir = filepath.Join(t.TempDir(), "work")
	built, err := BuildSuite(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(built)); !slices.Equal(got, Names()) {
		t.Fatalf("built %v, want %v", got, Names())
	}
	for _, n := range []string{PrivateTestName, PullTestName} {
		if mustDigest(t, built[n]) != mustDigest(t, built[TestName]) {
			t.Errorf("%s differs from the test image", n)
		}
	}
	for _, bin := range []string{"pause", "testimage"} {
		if st, err := os.Stat(filepath.Join(cfg.WorkDir, bin)); err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("compiled %s: %v, %v", bin, st, err)
		}
	}
	// A second build of the same inputs gives the same digests.
	again, err := BuildSuite(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, img := range built {
		d := mustDigest(t, img)
		if got := mustDigest(t, again[name]); got != d {
			t.Errorf("%s: rebuild digest %s, first %s", name, got, d)
		}
		t.Logf("%s %s", name, d)
	}
}

func TestRef(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{BusyboxName, "127.0.0.1:5000/busybox:1.0"},
		{PrivateTestName, "127.0.0.1:5000/private/testimage:1.0"},
		{"nginx", ""},
	} {
		if got := Ref("127.0.0.1:5000", c.name); got != c.want {
			t.Errorf("Ref(%q) = %q, want %q", c.name, got, c.want)
		}
	}
}
