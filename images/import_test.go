package images

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestImportArgs(t *testing.T) {
	cases := []struct {
		ctr, address, archive string
		want                  []string
	}{
		{
			"ctr", "/run/e2e/containerd.sock", "/out/images.tar",
			[]string{"ctr", "--address", "/run/e2e/containerd.sock", "-n", "k8s.io", "images", "import", "--no-unpack=false", "/out/images.tar"},
		},
		{
			"/usr/bin/ctr", "", "images.tar",
			[]string{"/usr/bin/ctr", "-n", "k8s.io", "images", "import", "--no-unpack=false", "images.tar"},
		},
	}
	for _, c := range cases {
		if got := ImportArgs(c.ctr, c.address, c.archive); !slices.Equal(got, c.want) {
			t.Errorf("ImportArgs(%q, %q, %q) =\n  %q\nwant\n  %q", c.ctr, c.address, c.archive, got, c.want)
		}
	}
}

func TestImportFailureCarriesOutput(t *testing.T) {
	ctr := mustWriteFile(t, t.TempDir(), "ctr", "#!/bin/sh\necho 'ctr: failed to dial \"/nope.sock\"' >&2\nexit 1\n")
	archive := filepath.Join(t.TempDir(), "images.tar")
	err := Import(context.Background(), ctr, "/nope.sock", archive)
	if err == nil {
		t.Fatal("Import with a failing ctr succeeded")
	}
	for _, want := range []string{"images: import " + archive, ctr + " --address /nope.sock -n k8s.io images import", "exit status 1", "failed to dial"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
