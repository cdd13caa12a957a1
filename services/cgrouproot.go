package services

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/node-e2e/harness/internal/host"
)

// CgroupRootDir is the directory, in each hierarchy, of the kubelet's
// cgroupRoot for the cgroup driver: the name itself for cgroupfs; for the
// systemd driver, the slice the kubelet turns it into ("/node-e2e-ab12" is
// the slice node-e2e-ab12, whose dashes systemd reads as nesting, so the
// kubelet escapes them: node_e2e_ab12.slice).
func CgroupRootDir(name string, systemdDriver bool) string {
	if !systemdDriver {
		return name
	}
	return "/" + strings.ReplaceAll(strings.Trim(name, "/"), "-", "_") + ".slice"
}

// CreateCgroupRoot creates cgroup name (e.g. /node-e2e-1a2b3c) in every
// hierarchy, as the kubelet requires of a non-root cgroupRoot on cgroup v1.
// It returns the directories it created, for teardown; one that exists
// already is left out.
func CreateCgroupRoot(name string) ([]string, error) {
	points, err := host.CgroupMountPoints()
	if err != nil {
		return nil, err
	}
	var created []string
	for _, p := range points {
		dir := filepath.Join(p, name)
		made, err := host.CreateCgroup(dir)
		if made {
			created = append(created, dir)
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return created, fmt.Errorf("cgroup root: %w", err)
		}
	}
	return created, nil
}
