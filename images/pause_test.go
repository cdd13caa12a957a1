package images

import (
	"archive/tar"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPauseImage(t *testing.T) {
	bin := mustWriteFile(t, t.TempDir(), "pause", "not really an ELF")
	img, err := Pause(bin)
	if err != nil {
		t.Fatal(err)
	}
	files, order := mustFiles(t, img)
	if !slices.Equal(order, []string{"pause"}) {
		t.Fatalf("layer holds %q, want just pause", order)
	}
	f := files["pause"]
	if f.hdr.Typeflag != tar.TypeReg || f.hdr.Mode != 0o755 || string(f.data) != "not really an ELF" {
		t.Errorf("/pause: type %q mode %o content %q, want a regular 0755 file with the binary", f.hdr.Typeflag, f.hdr.Mode, f.data)
	}
	cf := mustConfig(t, img)
	if !slices.Equal(cf.Config.Entrypoint, []string{"/pause"}) || cf.Config.Cmd != nil {
		t.Errorf("entrypoint %q cmd %q, want [/pause] and no cmd", cf.Config.Entrypoint, cf.Config.Cmd)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if !cf.Created.IsZero() || len(cf.History) != 1 || !cf.History[0].Created.IsZero() {
		t.Errorf("created %v history %+v, want zero times and one entry", cf.Created, cf.History)
	}
	if strings.Contains(cf.History[0].CreatedBy, bin) {
		t.Errorf("history %q names the host path %s", cf.History[0].CreatedBy, bin)
	}
}

func TestPauseMissingBinary(t *testing.T) {
	_, err := Pause(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "images: pause:") {
		t.Fatalf("Pause = %v, want a not-exist error naming pause", err)
	}
}

func TestSameInputsSameDigest(t *testing.T) {
	cases := []struct {
		desc  string
		build func(bin string) (string, error)
	}{
		{"pause", func(bin string) (string, error) {
			img, err := Pause(bin)
			if err != nil {
				return "", err
			}
			d, err := img.Digest()
			return d.String(), err
		}},
		{"testimage", func(bin string) (string, error) {
			img, err := TestImage(bin)
			if err != nil {
				return "", err
			}
			d, err := img.Digest()
			return d.String(), err
		}},
		{"busybox", func(bin string) (string, error) {
			img, err := busybox(context.Background(), bin, stubApplets("sh", "ls", "cat"))
			if err != nil {
				return "", err
			}
			d, err := img.Digest()
			return d.String(), err
		}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			// The same content at different paths and times must give
			// the same digest; other content must not.
			first := mustWriteFile(t, t.TempDir(), "bin", "binary v1")
			time.Sleep(10 * time.Millisecond)
			second := mustWriteFile(t, t.TempDir(), "other-name", "binary v1")
			if err := os.Chtimes(second, time.Now(), time.Now().Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			changed := mustWriteFile(t, t.TempDir(), "bin", "binary v2")
			var digests []string
			for _, bin := range []string{first, second, changed} {
				d, err := c.build(bin)
				if err != nil {
					t.Fatal(err)
				}
				digests = append(digests, d)
			}
			if digests[0] != digests[1] {
				t.Errorf("same input gave digests %s and %s", digests[0], digests[1])
			}
			if digests[0] == digests[2] {
				t.Errorf("different binaries gave the same digest %s", digests[0])
			}
		})
	}
}

func TestCompilePauseFailure(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	src := t.TempDir()
	mustWriteFile(t, src, "go.mod", "module broken\n\ngo 1.21\n")
	mustWriteFile(t, src, "main.go", "package main\n\nfunc main() { this is not go }\n")
	err := CompilePause(context.Background(), src, filepath.Join(t.TempDir(), "pause"))
	if err == nil {
		t.Fatal("CompilePause of broken source succeeded")
	}
	for _, want := range []string{"images: compile pause", "go build -trimpath", src, "syntax error"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestPauseProgram compiles ./pause and checks that it keeps running until
// SIGTERM and then exits 0.
func TestPauseProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the pause program")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "pause")
	if err := CompilePause(ctx, "pause", bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("pause exited on its own: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("pause after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("pause did not exit after SIGTERM")
	}
}
