package images

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// layerFile is one tar entry of an image, with its content.
type layerFile struct {
	hdr  *tar.Header
	data []byte
}

// mustFiles returns the entries of img's layers by name (directories without
// the trailing slash), in tar order.
func mustFiles(t *testing.T, img v1.Image) (files map[string]layerFile, order []string) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatalf("layers: %v", err)
	}
	files = map[string]layerFile{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatalf("uncompress layer: %v", err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("read layer: %v", err)
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("read %s: %v", hdr.Name, err)
			}
			n := filepath.Clean(hdr.Name)
			files[n] = layerFile{hdr: hdr, data: data}
			order = append(order, n)
		}
		rc.Close()
	}
	return files, order
}

// mustConfig returns img's config file.
func mustConfig(t *testing.T, img v1.Image) *v1.ConfigFile {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cf
}

// mustDigest returns img's manifest digest.
func mustDigest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d.String()
}

// mustWriteFile writes content to dir/name with mode 0755 and returns the path.
func mustWriteFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// stubApplets is an appletLister that returns applets without running
// anything.
func stubApplets(applets ...string) appletLister {
	return func(context.Context, string) ([]string, error) { return applets, nil }
}
