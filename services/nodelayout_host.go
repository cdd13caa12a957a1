package services

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/node-e2e/harness/internal/host"
)

// HostProbe is how StandardPlacesInUse looks at the host; tests replace
// its functions.
type HostProbe struct {
	// Processes returns the running processes' pids by name.
	Processes func() (map[int]string, error)
	// ReadDir lists a directory; a missing one is an error wrapping
	// fs.ErrNotExist.
	ReadDir func(dir string) ([]string, error)
	// CgroupMounts returns the mount points of the cgroup hierarchies.
	CgroupMounts func() ([]string, error)
	// Exists reports whether path exists.
	Exists func(path string) bool
}

// LiveHostProbe looks at this machine.
func LiveHostProbe() HostProbe {
	return HostProbe{
		Processes:    kubeletNames,
		ReadDir:      readDirNames,
		CgroupMounts: host.CgroupMountPoints,
		Exists: func(p string) bool {
			_, err := os.Lstat(p)
			return err == nil
		},
	}
}

// StandardPlacesInUse returns what shows that a kubelet other than the
// run's uses the places NodeLayoutStandard would take: a running process
// named kubelet, a non-empty StandardKubeletRootDir or StandardPodLogsDir,
// a kubepods cgroup (or kubepods.slice) in any hierarchy. A run takes them
// only when none is found: teardown then removes them whole, as only the
// run's.
func StandardPlacesInUse(h HostProbe) ([]string, error) {
	var found []string
	procs, err := h.Processes()
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	for pid, name := range procs {
		if name == "kubelet" {
			pids = append(pids, pid)
		}
	}
	if len(pids) > 0 {
		slices.Sort(pids)
		found = append(found, fmt.Sprintf("a kubelet is running (pid %s)", joinInts(pids)))
	}
	for _, d := range []string{StandardKubeletRootDir, StandardPodLogsDir} {
		names, err := h.ReadDir(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", d, err)
		case len(names) > 0:
			if len(names) > 3 {
				names = append(names[:3], "...")
			}
			found = append(found, fmt.Sprintf("%s is not empty (%s)", d, strings.Join(names, ", ")))
		}
	}
	mounts, err := h.CgroupMounts()
	if err != nil {
		return nil, err
	}
	for _, m := range mounts {
		for _, systemd := range []bool{false, true} {
			if d := filepath.Join(m, KubepodsCgroup(systemd)); h.Exists(d) {
				found = append(found, "cgroup "+d+" exists")
			}
		}
	}
	return found, nil
}

// kubeletNames returns the live kubelet processes by pid (host.ProcessesNamed:
// a zombie, a killed kubelet not reaped yet, uses nothing any more).
func kubeletNames() (map[int]string, error) {
	out := map[int]string{}
	for pid := range host.ProcessesNamed("/proc", "kubelet") {
		out[pid] = "kubelet"
	}
	return out, nil
}

func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
