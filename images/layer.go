package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is the modification time of every file in our layers.
var epoch = time.Unix(0, 0).UTC()

// entry is one file system object of a layer.
type entry struct {
	// name is the path inside the image, relative and clean ("bin/sh").
	name string
	// typ is tar.TypeReg, tar.TypeDir or tar.TypeSymlink.
	typ byte
	// mode holds the permission bits, including setuid, setgid and sticky
	// (0o1777 for /tmp).
	mode int64
	// data is a regular file's content.
	data []byte
	// target is a symlink's target.
	target string
}

func regular(name string, mode int64, data []byte) entry {
	return entry{name: name, typ: tar.TypeReg, mode: mode, data: data}
}

func directory(name string, mode int64) entry {
	return entry{name: name, typ: tar.TypeDir, mode: mode}
}

func symlink(name, target string) entry {
	return entry{name: name, typ: tar.TypeSymlink, mode: 0o777, target: target}
}

// tarEntries returns an uncompressed tar stream of entries, sorted by name so
// that a parent directory precedes its children. Every header is owned by
// 0:0 with no user or group name and has its mtime at the Unix epoch, so the
// stream depends only on the entries.
func tarEntries(entries []entry) ([]byte, error) {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i, e := range sorted {
		if err := checkEntryName(e.name); err != nil {
			return nil, err
		}
		if i > 0 && sorted[i-1].name == e.name {
			return nil, fmt.Errorf("images: layer entry %q appears twice", e.name)
		}
		hdr := &tar.Header{
			Typeflag: e.typ,
			Name:     e.name,
			Mode:     e.mode,
			ModTime:  epoch,
		}
		switch e.typ {
		case tar.TypeReg:
			hdr.Size = int64(len(e.data))
		case tar.TypeDir:
			hdr.Name += "/"
		case tar.TypeSymlink:
			hdr.Linkname = e.target
		default:
			return nil, fmt.Errorf("images: layer entry %q has unsupported type %q", e.name, e.typ)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("images: write tar header %q: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("images: write tar entry %q: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("images: close tar: %w", err)
	}
	return buf.Bytes(), nil
}

// checkEntryName rejects names that are absolute, unclean or leave the root.
func checkEntryName(name string) error {
	if name == "" || path.IsAbs(name) || path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("images: layer entry name %q is not a clean relative path", name)
	}
	return nil
}

// layerFromEntries returns a gzip-compressed layer holding entries. The
// compressed form is computed once and cached.
func layerFromEntries(entries []entry) (v1.Layer, error) {
	raw, err := tarEntries(entries)
	if err != nil {
		return nil, err
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }
	l, err := tarball.LayerFromOpener(open, tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("images: make layer: %w", err)
	}
	return l, nil
}
