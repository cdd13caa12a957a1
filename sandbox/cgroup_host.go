package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/node-e2e/harness/internal/host"
)

// createCgroups creates the sandbox's cgroup directories and returns those
// it created, in creation order, even when it fails part-way (so that the
// caller removes exactly those). A directory that already exists is an
// error: it belongs to someone else.
func createCgroups(l cgroupLayout) ([]string, error) {
	var created []string
	for i, dir := range l.Dirs {
		made, err := host.CreateCgroup(dir)
		if made {
			created = append(created, dir)
		}
		if errors.Is(err, fs.ErrExist) {
			return created, fmt.Errorf("cgroup %s already exists (another sandbox with this name?)", dir)
		}
		if err != nil {
			return created, err
		}
		h := l.Hierarchies[i]
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
// sandbox created below them, deepest first, killing what is left in them
// and retrying while the kernel still reports them busy (processes that
// are being killed) until ctx ends.
func removeCgroups(ctx context.Context, dirs []string) error {
	var errs []error
	for i := len(dirs) - 1; i >= 0; i-- {
		errs = append(errs, host.RemoveCgroupTree(ctx, dirs[i]))
	}
	return errors.Join(errs...)
}
