package images

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCompileArgs(t *testing.T) {
	got := strings.Join(compileArgs("/out/prog"), " ")
	if want := "go build -trimpath -buildvcs=false -ldflags=-s -w -o /out/prog ."; got != want {
		t.Errorf("compileArgs = %q, want %q", got, want)
	}
	if env := compileEnv(); !slices.Contains(env, "CGO_ENABLED=0") || !slices.Contains(env, "GOOS=linux") {
		t.Errorf("compileEnv = %q lacks CGO_ENABLED=0 or GOOS=linux", env)
	}
}

func TestCompileProgramFailure(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	broken := t.TempDir()
	mustWriteFile(t, broken, "go.mod", "module broken\n\ngo 1.21\n")
	mustWriteFile(t, broken, "main.go", "package main\n\nfunc main() { this is not go }\n")
	cases := []struct {
		desc   string
		srcDir string
		want   []string
	}{
		{"syntax error", broken, []string{"images: compile prog:", "CGO_ENABLED=0", "go build -trimpath", broken, "syntax error"}},
		{"no source directory", filepath.Join(broken, "missing"), []string{"images: compile prog:", "go build -trimpath", "no such file or directory"}},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "prog")
			err := CompileProgram(context.Background(), "prog", c.srcDir, out)
			if err == nil {
				t.Fatal("CompileProgram succeeded")
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("failed compile left %s", out)
			}
		})
	}
}

// TestCompileProgramReproducible compiles the pause program twice, with
// GOFLAGS asking for VCS stamping, and checks that the bytes are the same
// and carry no VCS stamp (which would change with every commit).
func TestCompileProgramReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the pause program")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command in PATH")
	}
	t.Setenv("GOFLAGS", "-buildvcs=true")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var bins [][]byte
	for _, name := range []string{"a", "b"} {
		out := filepath.Join(t.TempDir(), name)
		if err := CompileProgram(ctx, "pause", "pause", out); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		bins = append(bins, data)
		info, err := buildinfo.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range info.Settings {
			if strings.HasPrefix(s.Key, "vcs") {
				t.Errorf("%s: build setting %s=%s: binary depends on the VCS state", name, s.Key, s.Value)
			}
		}
	}
	if !bytes.Equal(bins[0], bins[1]) {
		t.Error("two compiles of the same source differ")
	}
}
