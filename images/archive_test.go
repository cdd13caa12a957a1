package images

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// testImages returns a pause and a busybox image built from fake binaries.
func testImages(t *testing.T) map[string]v1.Image {
	t.Helper()
	dir := t.TempDir()
	pause, err := Pause(mustWriteFile(t, dir, "pause", "fake pause"))
	if err != nil {
		t.Fatal(err)
	}
	bb, err := busybox(context.Background(), mustWriteFile(t, dir, "busybox", "fake busybox"), stubApplets("sh"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]v1.Image{testPauseRef: pause, testBusyboxRef: bb}
}

func TestWriteArchiveRoundTrip(t *testing.T) {
	imgs := testImages(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "images.tar")
	if err := os.WriteFile(path, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteArchive(path, imgs); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("archive mode %v, want 0644", st.Mode().Perm())
	}
	for ref, img := range imgs {
		tag, err := name.NewTag(ref)
		if err != nil {
			t.Fatal(err)
		}
		back, err := tarball.ImageFromPath(path, &tag)
		if err != nil {
			t.Fatalf("read %s back: %v", ref, err)
		}
		if got, want := mustDigest(t, back), mustDigest(t, img); got != want {
			t.Errorf("%s: digest read back %s, written %s", ref, got, want)
		}
	}
	assertOnlyFiles(t, dir, "images.tar")
}

func TestWriteArchiveRejects(t *testing.T) {
	img := testImages(t)[testPauseRef]
	cases := []struct {
		desc string
		imgs map[string]v1.Image
		want string
	}{
		{"no images", nil, "no images"},
		{"no tag", map[string]v1.Image{"node-e2e.local/pause": img}, `reference "node-e2e.local/pause"`},
		{"no registry", map[string]v1.Image{"pause:1.0": img}, `reference "pause:1.0"`},
		{"digest", map[string]v1.Image{"node-e2e.local/pause@sha256:" + strings.Repeat("0", 64): img}, "reference"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteArchive(filepath.Join(dir, "images.tar"), c.imgs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("WriteArchive = %v, want error containing %q", err, c.want)
			}
			assertOnlyFiles(t, dir)
		})
	}
}

func TestWriteArchiveMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "images.tar")
	err := WriteArchive(path, testImages(t))
	if err == nil || !strings.Contains(err.Error(), "images: archive: write "+path) {
		t.Fatalf("WriteArchive = %v, want an error naming %s", err, path)
	}
}

// assertOnlyFiles checks that dir holds exactly the named files: no
// temporary file was left behind.
func assertOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, de := range des {
		got = append(got, de.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

// References the archive tests tag images with.
const (
	testPauseRef   = "node-e2e.local/pause:1.0"
	testBusyboxRef = "node-e2e.local/busybox:1.0"
)
