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
)

// HostProbe is how StandardPlacesInUse looks at the host; tests replace
// its functions.
type HostProbe struct {
	// Processes returns the running processes' pids by name (comm).
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
		Processes:    processNames,
		ReadDir:      readDirNames,
		CgroupMounts: CgroupMountPoints,
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

// processNames reads the name (comm) of every live process in /proc. A
// zombie (a killed kubelet that its new parent has not reaped yet) uses
// nothing any more and is left out.
func processNames() (map[int]string, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	out := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if name, state, ok := parseStat(string(b)); ok && state != "Z" {
			out[pid] = name
		}
	}
	return out, nil
}

// parseStat returns the name and state of /proc/<pid>/stat ("pid (name)
// state ..."; the name may hold spaces and parentheses).
func parseStat(s string) (name, state string, ok bool) {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", "", false
	}
	f := strings.Fields(s[end+1:])
	if len(f) == 0 {
		return "", "", false
	}
	return s[open+1 : end], f[0], true
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
