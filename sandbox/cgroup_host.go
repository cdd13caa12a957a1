package sandbox

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

// createCgroups creates the sandbox's cgroup directories and returns those
// it created, in creation order, even when it fails part-way (so that the
// caller removes exactly those). A directory that already exists is an
// error: it belongs to someone else.
func createCgroups(l cgroupLayout) ([]string, error) {
	var created []string
	for i, dir := range l.Dirs {
		if err := os.Mkdir(dir, 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return created, fmt.Errorf("cgroup %s already exists (another sandbox with this name?)", dir)
			}
			return created, fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		created = append(created, dir)
		h := l.Hierarchies[i]
		if h.hasController("cpuset") {
			if err := inheritCpuset(dir, strings.Contains(h.Options, "noprefix")); err != nil {
				return created, err
			}
		}
		if h.hasController("devices") {
			if err := denyKmsgWrites(dir, strings.Contains(h.Options, "noprefix")); err != nil {
				return created, err
			}
		}
	}
	return created, nil
}

// kmsgWriteRule is the devices cgroup rule that forbids opening /dev/kmsg
// (char 1:11) for writing.
const kmsgWriteRule = "c 1:11 w"

// denyKmsgWrites forbids writing /dev/kmsg in the sandbox's devices cgroup
// and, as v1 device rules are inherited, in every cgroup below it. A
// read-only mount does not stop writes to a device node; without this,
// journald and PID 1 inside would log into the host's kernel log.
func denyKmsgWrites(dir string, noprefix bool) error {
	f := "devices.deny"
	if noprefix {
		f = "deny"
	}
	if err := os.WriteFile(filepath.Join(dir, f), []byte(kmsgWriteRule), 0o200); err != nil {
		return fmt.Errorf("cgroup %s: deny writes to /dev/kmsg: %w", dir, err)
	}
	return nil
}

// inheritCpuset copies cpus and mems from the parent: a new v1 cpuset
// cgroup starts empty, and no task can join it until they are set.
func inheritCpuset(dir string, noprefix bool) error {
	for _, f := range []string{"cpus", "mems"} {
		if !noprefix {
			f = "cpuset." + f
		}
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

// joinCgroups moves process pid (all its threads) into every directory.
func joinCgroups(dirs []string, pid int) error {
	for _, dir := range dirs {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("move pid %d into cgroup %s: %w", pid, dir, err)
		}
	}
	return nil
}

// removeCgroups removes the given cgroup directories and every cgroup the
// sandbox created below them, deepest first, retrying while the kernel
// still reports them busy (processes that are being killed) until ctx ends.
func removeCgroups(ctx context.Context, dirs []string) error {
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		dir := dirs[i]
		var last error
		err := proc.Await(ctx, 20*time.Millisecond, func() (bool, error) {
			last = removeTree(dir)
			return last == nil, nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", dir, errors.Join(last, err)))
		}
	}
	return errors.Join(errs...)
}

// removeTree removes a cgroup and its descendants, deepest first. A tree
// that is already gone is not an error.
func removeTree(root string) error {
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
	// Deepest first: a child's path is longer than its parent's.
	slices.SortFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, d := range dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("rmdir %s: %w", d, err)
		}
	}
	return nil
}
