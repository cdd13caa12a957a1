package services

import (
	"context"
	"time"

	"github.com/node-e2e/harness/internal/host"
)

// The host queries the specs and the runners' tests reach through
// services; they are internal/host's.

// CgroupMountPoints returns the mount points of the host's cgroup
// hierarchies.
func CgroupMountPoints() ([]string, error) { return host.CgroupMountPoints() }

// FSTypeOf returns the type of the filesystem that holds path.
func FSTypeOf(path string) (string, error) { return host.FSTypeOf(path) }

// UnmountUnder lazily unmounts everything mounted at or below dir and
// returns how many mount points it unmounted.
func UnmountUnder(dir string) (int, error) { return host.UnmountUnder(dir) }

// RemoveCgroupTree removes the cgroup directory dir and its descendants,
// deepest first, killing what is left in them, within 5s.
func RemoveCgroupTree(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return host.RemoveCgroupTree(ctx, dir)
}
