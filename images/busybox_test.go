package images

import (
	"archive/tar"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBusyboxImage(t *testing.T) {
	bin := mustWriteFile(t, t.TempDir(), "busybox", "fake busybox")
	img, err := busybox(context.Background(), bin, stubApplets("busybox", "cat", "ls", "sh"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := mustFiles(t, img)
	for _, c := range []struct {
		name   string
		typ    byte
		mode   int64
		target string
	}{
		{"bin", tar.TypeDir, 0o755, ""},
		{"bin/busybox", tar.TypeReg, 0o755, ""},
		{"bin/sh", tar.TypeSymlink, 0o777, "busybox"},
		{"bin/ls", tar.TypeSymlink, 0o777, "busybox"},
		{"etc/passwd", tar.TypeReg, 0o644, ""},
		{"etc/group", tar.TypeReg, 0o644, ""},
		{"tmp", tar.TypeDir, 0o1777, ""},
	} {
		f, ok := files[c.name]
		if !ok {
			t.Errorf("/%s missing", c.name)
			continue
		}
		if f.hdr.Typeflag != c.typ || f.hdr.Mode != c.mode || f.hdr.Linkname != c.target {
			t.Errorf("/%s: type %q mode %o link %q, want %q %o %q", c.name, f.hdr.Typeflag, f.hdr.Mode, f.hdr.Linkname, c.typ, c.mode, c.target)
		}
	}
	if got := string(files["bin/busybox"].data); got != "fake busybox" {
		t.Errorf("/bin/busybox holds %q", got)
	}
	for _, name := range []string{"etc/passwd", "etc/group"} {
		data := string(files[name].data)
		if !strings.Contains(data, "root:x:0:") || !strings.Contains(data, "nobody:x:65534:") {
			t.Errorf("/%s = %q, want root and nobody", name, data)
		}
	}
	if _, ok := files["etc/hosts"]; ok {
		t.Error("/etc/hosts present; the runtime provides it")
	}
	cf := mustConfig(t, img)
	if !slices.Equal(cf.Config.Cmd, []string{"sh"}) || len(cf.Config.Entrypoint) != 0 {
		t.Errorf("cmd %q entrypoint %q, want [sh] and none", cf.Config.Cmd, cf.Config.Entrypoint)
	}
	if !slices.Equal(cf.Config.Env, []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"}) {
		t.Errorf("env %q, want PATH=/bin:/usr/bin:/sbin:/usr/sbin", cf.Config.Env)
	}
}

func TestBusyboxMissingBinary(t *testing.T) {
	listed := false
	list := func(context.Context, string) ([]string, error) { listed = true; return []string{"sh"}, nil }
	missing := filepath.Join(t.TempDir(), "busybox")
	_, err := busybox(context.Background(), missing, list)
	if err == nil {
		t.Fatal("busybox with a missing binary succeeded")
	}
	for _, want := range []string{missing, "install Debian's busybox-static (hack/install-deps.sh)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}
	if listed {
		t.Error("applets listed for a missing binary")
	}
}

func TestBusyboxWithoutShell(t *testing.T) {
	bin := mustWriteFile(t, t.TempDir(), "busybox", "fake")
	_, err := busybox(context.Background(), bin, stubApplets("ls", "cat"))
	if err == nil || !strings.Contains(err.Error(), "no sh applet") {
		t.Fatalf("busybox without sh = %v, want an error about sh", err)
	}
}

func TestParseApplets(t *testing.T) {
	cases := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "sh\nls\n[\n[[\n", want: []string{"[", "[[", "ls", "sh"}},
		{in: "  sh \r\n\nsh\nls", want: []string{"ls", "sh"}},
		{in: "\n\n", wantErr: "no applets"},
		{in: "sh\nusr/bin/ls\n", wantErr: `unexpected applet name "usr/bin/ls"`},
		{in: "..\n", wantErr: "unexpected applet name"},
	}
	for _, c := range cases {
		got, err := parseApplets([]byte(c.in))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("parseApplets(%q) = %q, %v, want error %q", c.in, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parseApplets(%q) = %q, %v, want %q", c.in, got, err, c.want)
		}
	}
}

// TestBusyboxHostBinary builds from the host's busybox-static, listing its
// applets for real.
func TestBusyboxHostBinary(t *testing.T) {
	const host = "/bin/busybox"
	if _, err := os.Stat(host); err != nil {
		t.Skipf("%s: %v (install busybox-static)", host, err)
	}
	img, err := Busybox(host)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := mustFiles(t, img)
	for _, applet := range []string{"sh", "ls", "cat", "sleep", "nslookup"} {
		if f, ok := files["bin/"+applet]; !ok || f.hdr.Linkname != "busybox" {
			t.Errorf("/bin/%s is not a symlink to busybox", applet)
		}
	}
}
