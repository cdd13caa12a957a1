package services

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Mount is one line of /proc/self/mountinfo.
type Mount struct {
	// Point is the mount point, unescaped.
	Point string
	// FSType is the filesystem type, e.g. "cgroup".
	FSType string
	// SuperOptions are the per-superblock options (for cgroup v1, the
	// controllers).
	SuperOptions string
}

// ParseMountinfo parses the text of /proc/<pid>/mountinfo.
func ParseMountinfo(text string) []Mount {
	var out []Mount
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if len(f) < 5 || sep < 0 {
			continue
		}
		m := Mount{Point: unescapeMount(f[4])}
		if sep+1 < len(f) {
			m.FSType = f[sep+1]
		}
		if sep+3 < len(f) {
			m.SuperOptions = f[sep+3]
		}
		out = append(out, m)
	}
	return out
}

// unescapeMount undoes the octal escapes (\040 for space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func readMounts() ([]Mount, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return ParseMountinfo(string(b)), nil
}

// MountOf returns the mount that holds path (absolute, clean, without
// symlinks): the deepest mount point at or above it, the last one mounted
// when several share that point.
func MountOf(mounts []Mount, path string) (Mount, bool) {
	var best Mount
	found := false
	for _, m := range mounts {
		under := m.Point == "/" || m.Point == path || strings.HasPrefix(path, m.Point+"/")
		if under && (!found || len(m.Point) >= len(best.Point)) {
			best, found = m, true
		}
	}
	return best, found
}

// FSTypeOf returns the type of the filesystem that holds path on this
// machine (e.g. ext4, tmpfs).
func FSTypeOf(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	mounts, err := readMounts()
	if err != nil {
		return "", err
	}
	m, ok := MountOf(mounts, filepath.Clean(real))
	if !ok {
		return "", fmt.Errorf("no mount holds %s", path)
	}
	return m.FSType, nil
}

// MountsUnder returns the mount points at or below dir, deepest first.
func MountsUnder(mounts []Mount, dir string) []string {
	dir = filepath.Clean(dir)
	var out []string
	for _, m := range mounts {
		if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
			out = append(out, m.Point)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.Count(out[i], "/") > strings.Count(out[j], "/") })
	return out
}

// UnmountUnder lazily unmounts everything mounted at or below dir (the
// kubelet's bind mount of its root dir, pod volumes, containerd's rootfs
// mounts) and returns how many mount points it unmounted.
func UnmountUnder(dir string) (int, error) {
	n := 0
	// A bind mount may be stacked several times over one point: repeat.
	for range 10 {
		mounts, err := readMounts()
		if err != nil {
			return n, err
		}
		points := MountsUnder(mounts, dir)
		if len(points) == 0 {
			return n, nil
		}
		for _, p := range points {
			if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
				return n, fmt.Errorf("unmount %s: %w", p, err)
			}
			n++
		}
	}
	return n, fmt.Errorf("mounts remain under %s after 10 rounds of unmounting", dir)
}

// CgroupMountPoints returns the mount points of the host's cgroup
// hierarchies (v1 controllers and the unified v2 hierarchy).
func CgroupMountPoints() ([]string, error) {
	mounts, err := readMounts()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range mounts {
		if m.FSType == "cgroup" || m.FSType == "cgroup2" {
			out = append(out, m.Point)
		}
	}
	return out, nil
}

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
// It returns the directories it created, for teardown.
func CreateCgroupRoot(name string) ([]string, error) {
	points, err := CgroupMountPoints()
	if err != nil {
		return nil, err
	}
	var created []string
	for _, p := range points {
		dir := filepath.Join(p, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return created, fmt.Errorf("cgroup root: create %s: %w", dir, err)
		}
		created = append(created, dir)
		// A new v1 cpuset cgroup starts with no CPUs or memory nodes.
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, err := os.ReadFile(filepath.Join(p, f)); err == nil {
				_ = os.WriteFile(filepath.Join(dir, f), v, 0o644)
			}
		}
	}
	return created, nil
}

// RemoveCgroupTree kills any process left in the cgroup directory dir or
// its descendants, then removes them deepest first.
func RemoveCgroupTree(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := removeCgroup(dirs[i]); err != nil {
			return err
		}
	}
	return nil
}

func removeCgroup(dir string) error {
	var last error
	for range 50 {
		if b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		last = syscall.Rmdir(dir)
		if last == nil || errors.Is(last, syscall.ENOENT) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("cgroup %s: remove: %w", dir, last)
}

// ProcessesMentioning returns the pids (other than this process and
// exclude) whose command line contains s: containerd shims and other strays
// of a run are found by the run directory in their arguments.
func ProcessesMentioning(s string, exclude ...int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || slices.Contains(exclude, pid) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(string(b), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// KillProcessesMentioning SIGKILLs every process but exclude whose command
// line holds s, and waits up to 5s for them to go. It returns the pids it
// killed.
func KillProcessesMentioning(s string, exclude ...int) ([]int, error) {
	pids := ProcessesMentioning(s, exclude...)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if len(ProcessesMentioning(s, exclude...)) == 0 {
			return pids, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return pids, fmt.Errorf("processes %v mentioning %s survive SIGKILL", ProcessesMentioning(s, exclude...), s)
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

// RemoveContainerLogLinks removes the symlinks in /var/log/containers that
// point into podLogsDir (the kubelet always makes them there).
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
