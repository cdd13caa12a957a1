package host

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRemoveCgroupTree(t *testing.T) {
	root := filepath.Join(t.TempDir(), "sbx")
	for _, d := range []string{"system.slice/x.service/child", "system.slice/y.service", "init.scope"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := RemoveCgroupTree(ctx, root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("%s still exists: %v", root, err)
	}
	if err := RemoveCgroupTree(ctx, root); err != nil {
		t.Errorf("removing a missing tree: %v", err)
	}
}

func TestRemoveCgroupTreeGivesUpWithTheLastError(t *testing.T) {
	root := filepath.Join(t.TempDir(), "busy")
	// A file makes rmdir fail with ENOTEMPTY, as a busy cgroup fails with EBUSY.
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := RemoveCgroupTree(ctx, root)
	if !errors.Is(err, context.DeadlineExceeded) || err == nil || !strings.Contains(err.Error(), "rmdir "+root) {
		t.Errorf("RemoveCgroupTree(busy) = %v, want the deadline and the last rmdir error", err)
	}
}

func TestCreateCgroupInheritsCpuset(t *testing.T) {
	for _, prefix := range []string{"cpuset.", ""} { // "": a hierarchy mounted with noprefix
		parent := t.TempDir()
		os.WriteFile(filepath.Join(parent, prefix+"cpus"), []byte("0-1\n"), 0o644)
		os.WriteFile(filepath.Join(parent, prefix+"mems"), []byte("0\n"), 0o644)
		dir := filepath.Join(parent, "child")
		if created, err := CreateCgroup(dir); err != nil || !created {
			t.Fatal(created, err)
		}
		// On cgroupfs the kernel makes the files, empty; here we do.
		os.WriteFile(filepath.Join(dir, prefix+"cpus"), nil, 0o644)
		os.WriteFile(filepath.Join(dir, prefix+"mems"), []byte("\n"), 0o644)
		if err := inheritCpuset(dir); err != nil {
			t.Fatal(err)
		}
		for f, want := range map[string]string{prefix + "cpus": "0-1\n", prefix + "mems": "0\n"} {
			if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != want {
				t.Errorf("prefix %q: %s = %q, want the parent's %q", prefix, f, b, want)
			}
		}
		if created, err := CreateCgroup(dir); created || !errors.Is(err, fs.ErrExist) {
			t.Errorf("CreateCgroup(existing) = %v, %v; want false, fs.ErrExist", created, err)
		}
	}
	plain := filepath.Join(t.TempDir(), "memory-child")
	if _, err := CreateCgroup(plain); err != nil {
		t.Errorf("CreateCgroup outside a cpuset hierarchy: %v", err)
	}
}
