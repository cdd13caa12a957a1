package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/node-e2e/harness/internal/proc"
)

// CreateCgroup creates the cgroup directory dir (its parent must exist).
// In a v1 cpuset hierarchy, where a new cgroup starts with no CPUs or
// memory nodes and no task can join it, it copies them from the parent.
// A directory that exists already is an error wrapping fs.ErrExist.
// created says whether dir was made, also when an error follows (then the
// caller still owns dir and removes it).
func CreateCgroup(dir string) (created bool, err error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return false, fmt.Errorf("create cgroup %s: %w", dir, err)
	}
	return true, inheritCpuset(dir)
}

// inheritCpuset copies cpus and mems from dir's parent if dir has them
// (cpuset.cpus, or cpus when the hierarchy is mounted with noprefix) and
// they are empty.
func inheritCpuset(dir string) error {
	for _, prefix := range []string{"cpuset.", ""} {
		if _, err := os.Stat(filepath.Join(dir, prefix+"cpus")); err != nil {
			continue
		}
		for _, f := range []string{prefix + "cpus", prefix + "mems"} {
			cur, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				return fmt.Errorf("cgroup %s: read %s: %w", dir, f, err)
			}
			if strings.TrimSpace(string(cur)) != "" {
				continue
			}
			v, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f))
			if err != nil {
				return fmt.Errorf("cgroup %s: read parent's %s: %w", dir, f, err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil {
				return fmt.Errorf("cgroup %s: write %s: %w", dir, f, err)
			}
		}
		return nil
	}
	return nil
}

// RemoveCgroupTree removes the cgroup directory dir and its descendants,
// deepest first, SIGKILLing any process left in them, and retries every
// 20ms while the kernel still reports one busy (a process being killed)
// until ctx ends. A tree that is already gone is not an error.
func RemoveCgroupTree(ctx context.Context, dir string) error {
	err := proc.Await(ctx, 20*time.Millisecond, func() (bool, error) {
		err := removeTreeOnce(dir)
		return err == nil, proc.NotYet(err)
	})
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	return nil
}

func removeTreeOnce(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Deepest first: a child's path has more separators than its parent's.
	slices.SortStableFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, d := range dirs {
		killCgroupProcs(d)
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("rmdir %s: %w", d, err)
		}
	}
	return nil
}

// killCgroupProcs SIGKILLs the processes listed in dir's cgroup.procs.
func killCgroupProcs(dir string) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
