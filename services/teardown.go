package services

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/host"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
)

// Stop tears the node down: kubelet, pods, runtime, strays, mounts,
// cgroups, network, control plane, run directory. It is idempotent, safe
// after a failed Start, and returns every step's error joined.
func (n *Node) Stop() error {
	t := time.Now()
	s := stoppers{
		kubelet:    procStopper(n.kubelet),
		containerd: procStopper(n.containerd),
		services:   procStopper(n.services),
	}
	// A containerd that died during the run left its pods behind: bring
	// it back so that they are removed through CRI like any others.
	var reviveErr error
	if n.containerd != nil && n.containerd.Exited() {
		revived, err := reviveContainerd(context.Background(), n.state)
		if revived != nil {
			s.containerd = revived
		}
		reviveErr = err
	}
	err := teardown(n.log, n.state, s, &n.phases)
	n.phases = append(n.phases, run.Phase{Name: "teardown", Duration: time.Since(t)})
	return errors.Join(reviveErr, err)
}

// TeardownFromState tears down a node left running (--stop-services=false)
// or abandoned by a killed run, from the state it recorded in runDir.
func TeardownFromState(runDir string) error {
	runDir = filepath.Clean(runDir)
	stateFile := run.Layout{Dir: runDir}.NodeState()
	var st NodeState
	if err := run.ReadJSON(stateFile, &st); err != nil {
		return fmt.Errorf("teardown %s: %w (is this a run directory?)", runDir, err)
	}
	// Teardown acts as root on what node.json names: only state that
	// nobody but this user could have written is acted on.
	if err := errors.Join(run.CheckPrivatePath(runDir, true), run.CheckPrivatePath(stateFile, false)); err != nil {
		return fmt.Errorf("teardown %s: not acting on state another user could have written: %w (if this run is yours, fix the owner and mode, or tear it down by hand)", runDir, err)
	}
	mounts, err := host.CgroupMountPoints()
	if err != nil {
		return fmt.Errorf("teardown %s: %w", runDir, err)
	}
	st, dropped, err := Confine(st, runDir, mounts)
	if err != nil {
		return fmt.Errorf("teardown %s: %w", runDir, err)
	}
	log := klog.Background().WithName("teardown")
	for _, d := range dropped {
		log.Info("WARNING: node.json names something this run cannot have created", "what", d)
	}
	var phases []run.Phase
	s := stoppers{
		kubelet:    pidStopper{name: "kubelet mode", pid: st.KubeletModePid, mark: runDir},
		containerd: pidStopper{name: "containerd", pid: st.ContainerdPid, mark: runDir},
		services:   pidStopper{name: "services", pid: st.ServicesPid, mark: runDir},
	}
	// A killed run's containerd may be gone with its pods still running:
	// bring it back so that they can be removed through CRI.
	revived, err := reviveContainerd(context.Background(), st)
	if revived != nil {
		s.containerd = revived
	}
	return errors.Join(err, teardown(log, st, s, &phases))
}

type stopper interface{ Stop() error }

type stoppers struct{ kubelet, containerd, services stopper }

func procStopper[T interface {
	comparable
	Stop() error
}](p T) stopper {
	var zero T
	if p == zero {
		return nil
	}
	return p
}

// pidStopper stops a process that is not our child, found by pid and
// checked by a mark in its command line (so a reused pid is left alone).
type pidStopper struct {
	name string
	pid  int
	mark string
}

func (p pidStopper) Stop() error {
	if p.pid <= 0 {
		return nil
	}
	if !host.CmdlineHolds(p.pid, p.mark) {
		return nil // gone, or the pid now belongs to someone else
	}
	_ = syscall.Kill(p.pid, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	_ = proc.Await(ctx, 50*time.Millisecond, func() (bool, error) {
		return syscall.Kill(p.pid, 0) == syscall.ESRCH, nil
	})
	return proc.KillGroup(context.Background(), p.pid, p.name, nil)
}

func teardown(log klog.Logger, st NodeState, s stoppers, phases *[]run.Phase) error {
	l := st.Layout
	var errs []error
	step := func(name string, f func() error) {
		t := time.Now()
		err := f()
		*phases = append(*phases, run.Phase{Name: "teardown: " + name, Duration: time.Since(t)})
		if err != nil {
			log.Error(err, "teardown step failed", "step", name)
			errs = append(errs, fmt.Errorf("teardown: %s: %w", name, err))
		}
	}
	if s.kubelet != nil {
		step("stop kubelet", s.kubelet.Stop)
	}
	if st.KubeletUnit != "" {
		step("stop kubelet unit", func() error { return stopUnit(st.KubeletUnit) })
	}
	if st.RuntimeEndpoint != "" && (s.containerd != nil || !st.OwnRuntime) {
		step("remove pod sandboxes", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			n, err := RemovePodSandboxes(ctx, st.RuntimeEndpoint, ownedBy(st))
			log.V(1).Info("removed pod sandboxes", "count", n)
			return err
		})
	}
	if s.containerd != nil {
		step("stop containerd", s.containerd.Stop)
	}
	if l.Dir != "" {
		step("kill stray processes", func() error {
			// The services process names the run dir too; it stops last.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			pids, err := host.KillProcessesMentioning(ctx, l.Dir, st.ServicesPid)
			if len(pids) > 0 {
				log.Info("killed processes left by the run", "pids", pids)
			}
			return err
		})
		step("unmount", func() error { _, err := host.UnmountUnder(l.Dir); return err })
	}
	if st.Standard() {
		step("unmount under "+st.KubeletRootDir, func() error { _, err := host.UnmountUnder(st.KubeletRootDir); return err })
		if st.SystemdCgroup {
			step("stop kubepods slice", func() error { return stopUnit(strings.TrimPrefix(KubepodsCgroup(true), "/")) })
		}
	}
	if slice := st.CgroupSlice(); slice != "" {
		step("stop cgroup slice", func() error { return stopUnit(slice) })
	}
	step("remove cgroups", func() error {
		var errs []error
		for _, d := range st.CgroupDirs {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			errs = append(errs, host.RemoveCgroupTree(ctx, d))
			cancel()
		}
		return errors.Join(errs...)
	})
	if st.Bridge != "" {
		step("delete bridge", func() error { return DeleteLink(st.Bridge) })
	}
	if st.PodLogsDir != "" {
		step("remove container log links", func() error { return RemoveContainerLogLinks("/var/log/containers", st.PodLogsDir) })
	}
	// In the standard layout the kubelet's root dir and pod logs dir held
	// nothing before the run (the preflight checked): all they hold is
	// the run's.
	var standardDirs []string
	if st.Standard() {
		standardDirs = []string{st.KubeletRootDir, st.PodLogsDir}
		step("remove the kubelet's root dir and pod logs", func() error {
			var errs []error
			for _, d := range standardDirs {
				errs = append(errs, removeStandardDir(d, slices.Contains(st.CreatedHostPaths, d)))
			}
			return errors.Join(errs...)
		})
	}
	if len(st.CreatedHostPaths) > 0 {
		step("remove host directories the run created", func() error {
			var errs []error
			for _, p := range st.CreatedHostPaths {
				if !slices.Contains(standardDirs, p) {
					errs = append(errs, RemoveIfOnlyLeftovers(p))
				}
			}
			return errors.Join(errs...)
		})
	}
	if s.services != nil {
		step("stop services", s.services.Stop)
	}
	if l.Dir != "" {
		step("remove run directory", func() error { return RemoveRunDir(l.Dir) })
	}
	return errors.Join(errs...)
}

// ownedBy selects the sandboxes this run created: all of them on the
// harness's own containerd; on a runtime shared with others (another
// kubelet's, another run's), only the pods of the namespaces this run's
// specs created, whose names start with the run's prefix.
func ownedBy(st NodeState) func(*runtimeapi.PodSandbox) bool {
	prefix := st.Layout.NamespacePrefix()
	return func(sb *runtimeapi.PodSandbox) bool {
		return st.OwnRuntime || strings.HasPrefix(sb.GetMetadata().GetNamespace(), prefix)
	}
}

// RemoveRunDir removes a run directory, refusing while anything is mounted
// under it (a kubelet's root dir, a pod volume): removing would follow the
// mount into the host.
func RemoveRunDir(dir string) error {
	mounts, err := host.ReadMounts()
	if err != nil {
		return err
	}
	if m := host.MountsUnder(mounts, dir); len(m) > 0 {
		return fmt.Errorf("mounts remain under %s (%s), e.g. of a kubelet still running: stop it and unmount them; not removing it", dir, strings.Join(m, ", "))
	}
	return os.RemoveAll(dir)
}

// removeStandardDir removes what dir holds, and dir itself when the run
// created it, refusing while anything is mounted under it (removing would
// follow the mount).
func removeStandardDir(dir string, created bool) error {
	mounts, err := host.ReadMounts()
	if err != nil {
		return err
	}
	if m := host.MountsUnder(mounts, dir); len(m) > 0 {
		return fmt.Errorf("mounts remain under %s (%s): unmount them; not removing it", dir, strings.Join(m, ", "))
	}
	if created {
		return os.RemoveAll(dir)
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
	}
	return errors.Join(errs...)
}

// DeleteLink deletes network interface name if it exists.
func DeleteLink(name string) error {
	if _, err := os.Stat(filepath.Join("/sys/class/net", name)); err != nil {
		return nil
	}
	if out, err := exec.Command("ip", "link", "delete", name).CombinedOutput(); err != nil {
		return fmt.Errorf("delete interface %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// RemoveContainerLogLinks removes the symlinks in linkDir
// (/var/log/containers) that point into podLogsDir (the kubelet always
// makes them there).
func RemoveContainerLogLinks(linkDir, podLogsDir string) error {
	entries, err := os.ReadDir(linkDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, e := range entries {
		p := filepath.Join(linkDir, e.Name())
		target, err := os.Readlink(p)
		if err == nil && strings.HasPrefix(target, podLogsDir+"/") {
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}
