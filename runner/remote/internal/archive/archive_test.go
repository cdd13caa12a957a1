package archive

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeBinDir writes a file per binary whose content is its name.
func fakeBinDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, b := range Binaries {
		if err := os.WriteFile(filepath.Join(dir, b), []byte("binary "+b), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type member struct {
	mode    int64
	content string
}

func readArchive(t *testing.T, path string) (names []string, members map[string]member) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	members = map[string]member{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		members[h.Name] = member{mode: h.Mode, content: string(b)}
	}
	return names, members
}

func TestBuildContents(t *testing.T) {
	dir := t.TempDir()
	deps := filepath.Join(dir, "install-deps.sh")
	kcfg := filepath.Join(dir, "my-kubelet.yaml")
	os.WriteFile(deps, []byte("#!/bin/sh\necho deps\n"), 0o755)
	os.WriteFile(kcfg, []byte("kind: KubeletConfiguration\n"), 0o600)

	for _, tc := range []struct {
		name        string
		kubeletConf string
		want        []string
	}{
		{"without kubelet config", "", []string{"e2e_node.test", "kubelet", "ginkgo", "pause", "testimage", "install-deps.sh", "run-suite.sh"}},
		{"with kubelet config", kcfg, []string{"e2e_node.test", "kubelet", "ginkgo", "pause", "testimage", "install-deps.sh", "run-suite.sh", "kubelet-config.yaml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{BinDir: fakeBinDir(t), InstallDepsScript: deps, KubeletConfigFile: tc.kubeletConf, Path: filepath.Join(t.TempDir(), "out", "a.tar.gz")}
			info, err := Build(c)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(c.Path)
			if err != nil || fi.Size() != info.Size || info.Path != c.Path {
				t.Fatalf("Build returned %+v; stat: %v %v", info, fi, err)
			}
			names, members := readArchive(t, c.Path)
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("archive holds %q, want %q", names, tc.want)
			}
			for _, b := range Binaries {
				if m := members[b]; m.content != "binary "+b || m.mode != 0o755 {
					t.Errorf("%s: mode %o content %q", b, m.mode, m.content)
				}
			}
			if m := members[InstallDeps]; m.content != "#!/bin/sh\necho deps\n" || m.mode != 0o755 {
				t.Errorf("install-deps.sh: mode %o content %q", m.mode, m.content)
			}
			if m := members[RunScript]; !strings.HasPrefix(m.content, "#!/usr/bin/env bash\n") || m.mode != 0o755 || m.content != string(runScript) {
				t.Errorf("run-suite.sh: mode %o, %d bytes", m.mode, len(m.content))
			}
			if tc.kubeletConf != "" {
				if m := members[KubeletConfig]; m.content != "kind: KubeletConfiguration\n" || m.mode != 0o644 {
					t.Errorf("kubelet config: mode %o content %q", m.mode, m.content)
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(c.Path), ".archive-*"))
			if len(leftovers) != 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

func TestBuildMissingInputs(t *testing.T) {
	bin := fakeBinDir(t)
	os.Remove(filepath.Join(bin, "kubelet"))
	c := Config{BinDir: bin, InstallDepsScript: "/nonexistent/install-deps.sh", KubeletConfigFile: t.TempDir(), Path: filepath.Join(t.TempDir(), "a.tar.gz")}
	_, err := Build(c)
	if err == nil {
		t.Fatal("Build succeeded without kubelet")
	}
	for _, want := range []string{"kubelet: stat " + filepath.Join(bin, "kubelet"), "install-deps.sh: stat /nonexistent/install-deps.sh", "kubelet-config.yaml: " + c.KubeletConfigFile + " is not a regular file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, serr := os.Stat(c.Path); serr == nil {
		t.Error("archive written despite the error")
	}
}

func TestNewConfigDefaults(t *testing.T) {
	c := NewConfig()
	if c.BinDir != "_output/bin" || c.InstallDepsScript != "hack/install-deps.sh" || c.KubeletConfigFile != "" {
		t.Errorf("NewConfig() = %+v", c)
	}
}
