package hostrun

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTarGz(t *testing.T, entries []tar.Header, contents []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.tar.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for i, h := range entries {
		h.Size = int64(len(contents[i]))
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(contents[i]))
	}
	tw.Close()
	zw.Close()
	f.Close()
	return path
}

func TestExtract(t *testing.T) {
	src := writeTarGz(t, []tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./junit_01.xml", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "./kubelet.log", Typeflag: tar.TypeReg, Mode: 0o600},
		{Name: "./pods/ns_pod/c/0.log", Typeflag: tar.TypeReg, Mode: 0o640},
		{Name: "./link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
	}, []string{"", "<testsuites/>", "kubelet says hi", "container log", ""})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kubelet.log"), []byte("an older, longer version of the file"), 0o600)
	n, err := extract(src, dir)
	if err != nil || n != 3 {
		t.Fatalf("extract = %d, %v", n, err)
	}
	for name, want := range map[string]string{"junit_01.xml": "<testsuites/>", "kubelet.log": "kubelet says hi", "pods/ns_pod/c/0.log": "container log"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "link")); err == nil {
		t.Error("symlink extracted")
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "/etc/evil", "a/../../evil"} {
		src := writeTarGz(t, []tar.Header{{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}}, []string{"x"})
		dir := t.TempDir()
		if _, err := extract(src, dir); err == nil || !strings.Contains(err.Error(), "outside the results directory") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestExtractTruncated(t *testing.T) {
	src := writeTarGz(t, []tar.Header{
		{Name: "junit_01.xml", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "big.log", Typeflag: tar.TypeReg, Mode: 0o644},
	}, []string{"<testsuites/>", strings.Repeat("log line\n", 100000)})
	b, _ := os.ReadFile(src)
	os.WriteFile(src, b[:len(b)/2], 0o644)
	dir := t.TempDir()
	n, err := extract(src, dir)
	if err == nil {
		t.Error("truncated archive extracted without error")
	}
	if n != 1 {
		t.Errorf("extracted %d files before the break, want 1", n)
	}
}
