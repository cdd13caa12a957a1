package images

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestTarEntriesNormalisedAndSorted(t *testing.T) {
	raw, err := tarEntries([]entry{
		regular("etc/passwd", 0o644, []byte("root:x:0:0::/:/bin/sh\n")),
		symlink("bin/sh", "busybox"),
		directory("tmp", 0o1777),
		directory("bin", 0o755),
		directory("etc", 0o755),
	})
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	var names []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if !hdr.ModTime.Equal(epoch) || hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: mtime %v uid %d gid %d uname %q gname %q, want epoch, 0, 0, empty names",
				hdr.Name, hdr.ModTime, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname)
		}
		if hdr.Name == "tmp/" && hdr.Mode != 0o1777 {
			t.Errorf("tmp/ mode %o, want 1777", hdr.Mode)
		}
	}
	want := []string{"bin/", "bin/sh", "etc/", "etc/passwd", "tmp/"}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
}

func TestTarEntriesRejects(t *testing.T) {
	cases := []struct {
		desc    string
		entries []entry
		want    string
	}{
		{"absolute", []entry{directory("/bin", 0o755)}, "not a clean relative path"},
		{"parent", []entry{regular("../x", 0o644, nil)}, "not a clean relative path"},
		{"unclean", []entry{regular("bin//sh", 0o644, nil)}, "not a clean relative path"},
		{"empty", []entry{regular("", 0o644, nil)}, "not a clean relative path"},
		{"duplicate", []entry{directory("bin", 0o755), symlink("bin", "x")}, "appears twice"},
		{"hardlink", []entry{{name: "x", typ: tar.TypeLink}}, "unsupported type"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, err := tarEntries(c.entries)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("tarEntries = %v, want error containing %q", err, c.want)
			}
		})
	}
}
