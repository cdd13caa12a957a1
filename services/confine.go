package services

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Confine returns st reduced to what a run whose directory is dir can have
// created, and a note for each recorded name it dropped. Teardown from
// recorded state (--teardown, stale cleanup) acts as root on every name in
// node.json; those names are derived from the run id or lie inside the run
// directory, so a name that is not what the run itself would have used is
// not acted on, whoever wrote it: systemd units, the bridge, cgroup
// directories (one per hierarchy mounted at cgroupMounts), the harness's
// own runtime endpoint and the host directories. The kubelet's root dir,
// pod logs dir and cgroup root are the run's own places, or, only when the
// state records the standard node layout, the fixed places of a production
// node (/var/lib/kubelet, /var/log/pods, cgroup root / with its kubepods
// cgroup in each hierarchy), which the run took only after finding them
// unused. The containerd binary that stale cleanup revives is kept only
// when it passes checkBinary (else cleanup falls back to containerd on
// $PATH). A state whose layout does not match dir is refused whole.
func Confine(st NodeState, dir string, cgroupMounts []string) (NodeState, []string, error) {
	dir = filepath.Clean(dir)
	l := st.Layout
	if filepath.Clean(l.Dir) != dir {
		return NodeState{}, nil, fmt.Errorf("%s: its node.json describes %s", dir, l.Dir)
	}
	if l.ID != filepath.Base(dir) {
		return NodeState{}, nil, fmt.Errorf("%s: its node.json names run id %q, not %q", dir, l.ID, filepath.Base(dir))
	}
	var dropped []string
	drop := func(what, got, want string) {
		dropped = append(dropped, fmt.Sprintf("%s %q is not this run's (want %q or none): left alone", what, got, want))
	}
	out := st
	if st.KubeletUnit != "" && st.KubeletUnit != l.KubeletUnitName() {
		drop("kubelet unit", st.KubeletUnit, l.KubeletUnitName())
		out.KubeletUnit = ""
	}
	if st.Bridge != "" && st.Bridge != l.BridgeName() {
		drop("bridge", st.Bridge, l.BridgeName())
		out.Bridge = ""
	}
	nl := st.NodeLayout
	if nl != NodeLayoutStandard {
		nl = NodeLayoutIsolated // an unknown name is dropped with the places below
	}
	want := PlacesFor(l, nl)
	if got := st.NodePlaces; got != want && got != (NodePlaces{}) {
		drop("kubelet places", fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want))
	}
	out.NodePlaces = want
	out.CgroupDirs = nil
	roots := []string{st.RunCgroupDir()}
	if want.Standard() {
		roots = append(roots, KubepodsCgroup(st.SystemdCgroup))
	}
	for _, d := range st.CgroupDirs {
		if slices.ContainsFunc(cgroupMounts, func(m string) bool {
			return slices.ContainsFunc(roots, func(root string) bool { return filepath.Join(m, root) == filepath.Clean(d) })
		}) {
			out.CgroupDirs = append(out.CgroupDirs, d)
			continue
		}
		drop("cgroup", d, "<cgroup hierarchy>"+strings.Join(roots, " or <cgroup hierarchy>"))
	}
	if st.OwnRuntime && st.RuntimeEndpoint != "" {
		own := l.ContainerdEndpoint()
		if ep := st.RuntimeEndpoint; ep != own && ep != l.ContainerdSocket() {
			drop("the harness's own runtime endpoint", ep, own)
			out.RuntimeEndpoint = ""
		}
	}
	if b := st.ContainerdBinary; b != "" {
		if err := checkBinary(b); err != nil {
			drop("containerd binary", b, "an absolute path to an executable owned by root or you, writable by its owner alone; "+err.Error())
			out.ContainerdBinary = ""
		}
	}
	out.CreatedHostPaths = nil
	for _, p := range st.CreatedHostPaths {
		if slices.Contains(HostPaths, p) {
			out.CreatedHostPaths = append(out.CreatedHostPaths, p)
			continue
		}
		drop("host directory", p, strings.Join(HostPaths, ", "))
	}
	return out, dropped, nil
}

// checkBinary reports why stale cleanup should not run path, the
// containerd a run recorded, as root: it must be an absolute path to a
// regular executable file owned by root or the effective user and
// writable by its owner alone (a symlink, such as an alternatives link,
// is followed).
func checkBinary(path string) error {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return errors.New("not an absolute clean path")
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
		return errors.New("not an executable file")
	case !ok || (st.Uid != 0 && int(st.Uid) != os.Geteuid()):
		return errors.New("owned by another user")
	case fi.Mode().Perm()&0o022 != 0:
		return errors.New("writable by others")
	}
	return nil
}
