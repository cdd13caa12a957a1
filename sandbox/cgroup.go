package sandbox

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/node-e2e/harness/internal/host"
)

// hierarchy is one cgroup hierarchy mounted on the host.
type hierarchy struct {
	// Dir is the directory the sandbox mounts it on, under /sys/fs/cgroup
	// (the base name of the host's mount point: "cpu", "systemd", "unified").
	Dir string
	// MountPoint is where the host has it mounted.
	MountPoint string
	// Root is the cgroup the host's mount shows at MountPoint (usually "/").
	Root string
	// Unified is true for the cgroup2 hierarchy.
	Unified bool
	// Key names a v1 hierarchy as /proc/self/cgroup does: its controllers
	// and name=, sorted, comma-separated ("cpu", "name=systemd"). "" for cgroup2.
	Key string
	// Options are the mount options that name the same v1 hierarchy again
	// (Key plus root flags such as xattr); "" for cgroup2.
	Options string
}

// ChildDir returns the host directory of the cgroup name under own, the
// caller's cgroup in this hierarchy.
func (h hierarchy) ChildDir(own, name string) (string, error) {
	rel := own
	if h.Root != "/" {
		if own != h.Root && !strings.HasPrefix(own, h.Root+"/") {
			return "", fmt.Errorf("cgroup %s: own cgroup %s is outside the mount's root %s", h.MountPoint, own, h.Root)
		}
		rel = strings.TrimPrefix(own, h.Root)
	}
	return filepath.Join(h.MountPoint, rel, name), nil
}

// v1 mount options that do not name a hierarchy and must not be repeated.
var ignoredCgroupOptions = map[string]bool{"rw": true, "ro": true, "clone_children": true}

// v1 mount options that are root flags, not controllers.
var cgroupRootFlags = map[string]bool{"xattr": true, "noprefix": true, "cpuset_v2_mode": true, "favordynmods": true, "nofavordynmods": true}

// parseCgroupMounts returns the cgroup hierarchies in mountinfo (the format
// of /proc/self/mountinfo), one per hierarchy, preferring mounts under
// /sys/fs/cgroup when a hierarchy is mounted twice, in mount order.
func parseCgroupMounts(mountinfo []byte) ([]hierarchy, error) {
	mounts, err := host.ParseMountinfo(mountinfo)
	if err != nil {
		return nil, err
	}
	var out []hierarchy
	seen := map[string]int{}
	for _, m := range mounts {
		if !m.IsCgroup() {
			continue
		}
		h := hierarchy{Root: m.Root, MountPoint: m.Point, Unified: m.FSType == "cgroup2"}
		h.Dir = path.Base(h.MountPoint)
		if !h.Unified {
			var keys, opts []string
			for _, o := range strings.Split(m.SuperOptions, ",") {
				switch {
				case ignoredCgroupOptions[o], strings.HasPrefix(o, "release_agent="):
				case cgroupRootFlags[o]:
					opts = append(opts, o)
				default:
					keys = append(keys, o)
					opts = append(opts, o)
				}
			}
			slices.Sort(keys)
			h.Key, h.Options = strings.Join(keys, ","), strings.Join(opts, ",")
		}
		id := h.Key
		if h.Unified {
			id = "cgroup2"
		}
		if i, ok := seen[id]; ok {
			if !underSysFsCgroup(out[i].MountPoint) && underSysFsCgroup(h.MountPoint) {
				out[i] = h
			}
			continue
		}
		seen[id] = len(out)
		out = append(out, h)
	}
	return out, nil
}

func underSysFsCgroup(p string) bool { return strings.HasPrefix(p, "/sys/fs/cgroup/") }

// parseProcCgroup parses /proc/self/cgroup into a map from hierarchy key
// (sorted controllers and name=, as hierarchy.Key; "" for cgroup2) to path.
func parseProcCgroup(data []byte) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("malformed /proc/self/cgroup line %q", line)
		}
		keys := strings.Split(f[1], ",")
		slices.Sort(keys)
		key := strings.Join(keys, ",")
		if f[0] == "0" && f[1] == "" {
			key = ""
		}
		out[key] = f[2]
	}
	return out, nil
}

// cgroupLayout is the host's layout and the sandbox's place in it.
type cgroupLayout struct {
	Hierarchies []hierarchy
	// Dirs are the sandbox's cgroup directories on the host, one per
	// hierarchy, in the order of Hierarchies.
	Dirs []string
}

// planCgroups checks that the host has the hybrid (or legacy) layout the
// sandbox needs and computes the sandbox's cgroup directory, name, under the
// caller's own cgroup in every hierarchy.
func planCgroups(mountinfo, procCgroup []byte, name string) (cgroupLayout, error) {
	hs, err := parseCgroupMounts(mountinfo)
	if err != nil {
		return cgroupLayout{}, err
	}
	own, err := parseProcCgroup(procCgroup)
	if err != nil {
		return cgroupLayout{}, err
	}
	var v1, named, devices bool
	for _, h := range hs {
		if !h.Unified {
			v1 = true
		}
		if h.Key == "name=systemd" {
			named = true
		}
		if h.hasController("devices") {
			devices = true
		}
	}
	switch {
	case len(hs) == 0:
		return cgroupLayout{}, fmt.Errorf("no cgroup hierarchy is mounted on this host")
	case !v1:
		return cgroupLayout{}, fmt.Errorf("this host has cgroup v2 only (no v1 hierarchies mounted); the sandbox needs the hybrid layout (v1 controllers plus name=systemd)")
	case !named:
		return cgroupLayout{}, fmt.Errorf("this host has no name=systemd cgroup hierarchy mounted; the sandbox needs the hybrid layout")
	case !devices:
		return cgroupLayout{}, fmt.Errorf("this host has no v1 devices cgroup hierarchy mounted; the sandbox needs it to keep /dev/kmsg (the host's kernel log) read-only")
	}
	l := cgroupLayout{Hierarchies: hs}
	for _, h := range hs {
		p, ok := own[h.Key]
		if !ok {
			return cgroupLayout{}, fmt.Errorf("cgroup hierarchy %s (%s) is not listed in /proc/self/cgroup", h.MountPoint, h.describe())
		}
		dir, err := h.ChildDir(p, name)
		if err != nil {
			return cgroupLayout{}, err
		}
		l.Dirs = append(l.Dirs, dir)
	}
	return l, nil
}

// hasController reports whether the v1 hierarchy has controller c.
func (h hierarchy) hasController(c string) bool {
	return !h.Unified && slices.Contains(strings.Split(h.Key, ","), c)
}

func (h hierarchy) describe() string {
	if h.Unified {
		return "cgroup2"
	}
	return h.Key
}
