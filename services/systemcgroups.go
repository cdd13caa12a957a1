package services

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
)

// SystemCgroups are the cgroups the kubelet reports as system containers
// in its Summary API (node.systemContainers), as on a production node
// where the kubelet and the runtime each run in their own.
type SystemCgroups struct {
	// Kubelet is the kubelet's kubeletCgroups. With the direct launcher it
	// is <cgroup root dir>/kubelet, which the launcher creates and starts
	// the kubelet in (the kubelet would move itself there, but does not
	// where it cannot read /proc/1/ns/pid, as on this project's CI); under
	// systemd it is the kubelet unit's own cgroup (moving the kubelet out
	// of its unit would make systemd lose it).
	Kubelet string `json:"kubelet,omitempty"`
	// Runtime is the kubelet's --runtime-cgroups: <cgroup root dir>/runtime,
	// which the harness creates and starts its containerd in. "" with a
	// runtime the harness did not start (it is not moved).
	Runtime string `json:"runtime,omitempty"`
}

// SystemCgroupsFor returns the system cgroups of a run whose kubelet
// cgroup root is rootDir in each hierarchy (CgroupRootDir), launched by
// launcher (resolved) in unit when under systemd, with the harness's own
// runtime or not. Both live under the run's cgroup root (or the kubelet's
// unit), so teardown removes them with it. No systemCgroups is set: the
// kubelet would move every process of the host's root cgroup into it.
func SystemCgroupsFor(rootDir string, launcher Launcher, unit string, ownRuntime bool) SystemCgroups {
	sc := SystemCgroups{Kubelet: path.Join(rootDir, "kubelet")}
	if launcher == LauncherSystemd {
		sc.Kubelet = "/system.slice/" + unit + ".service"
	}
	if ownRuntime {
		sc.Runtime = path.Join(rootDir, "runtime")
	}
	return sc
}

// JoinCgroup creates cgroup name in every hierarchy mounted at points
// (its parent must exist there) and moves process pid into it. It returns
// the directories it created.
func JoinCgroup(points []string, name string, pid int) ([]string, error) {
	var created []string
	for _, p := range points {
		dir := filepath.Join(p, name)
		switch err := os.Mkdir(dir, 0o755); {
		case err == nil:
			created = append(created, dir)
			// A new v1 cpuset cgroup starts with no CPUs or memory nodes.
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if v, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f)); err == nil {
					_ = os.WriteFile(filepath.Join(dir, f), v, 0o644)
				}
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return created, fmt.Errorf("cgroup %s: create %s: %w", name, dir, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return created, fmt.Errorf("cgroup %s: move pid %d into %s: %w", name, pid, dir, err)
		}
	}
	return created, nil
}
