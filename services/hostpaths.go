package services

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// HostPaths are directories outside the run directory that the kubelet or
// containerd create at fixed places whatever they are configured with: the
// kubelet's device-plugin socket directory and container log links,
// containerd's shim socket directory, the CNI result cache.
var HostPaths = []string{
	"/var/lib/kubelet",
	"/var/log/containers",
	"/var/log/pods",
	"/var/lib/cni",
	"/run/containerd",
}

// MissingPaths returns those of paths that do not exist now: the ones a
// run may remove at teardown because it created them.
func MissingPaths(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			out = append(out, p)
		}
	}
	return out
}

// RemoveIfOnlyLeftovers removes dir when it holds nothing but directories
// and dead unix sockets: what the kubelet and containerd leave behind once
// they have stopped. A regular file, a link or a socket that still answers
// means someone else uses it, and dir is kept (and reported).
func RemoveIfOnlyLeftovers(dir string) error {
	var keep []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch t := d.Type(); {
		case t.IsDir():
		case t&fs.ModeSocket != 0:
			if c, err := net.DialTimeout("unix", p, 200*time.Millisecond); err == nil {
				c.Close()
				keep = append(keep, p+" (live socket)")
			}
		default:
			keep = append(keep, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(keep) > 0 {
		sort.Strings(keep)
		return fmt.Errorf("%s was created by this run but still holds %v; left in place", dir, keep)
	}
	return os.RemoveAll(dir)
}
