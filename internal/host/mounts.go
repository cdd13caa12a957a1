package host

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Mount is one line of /proc/<pid>/mountinfo.
type Mount struct {
	// Root is the directory of the filesystem mounted at Point (for a bind
	// mount or a cgroup, the subtree shown), unescaped.
	Root string
	// Point is the mount point, unescaped.
	Point string
	// FSType is the filesystem type, e.g. "cgroup".
	FSType string
	// SuperOptions are the per-superblock options (for cgroup v1, the
	// controllers and name=).
	SuperOptions string
}

// ParseMountinfo parses the text of /proc/<pid>/mountinfo, skipping
// malformed lines.
func ParseMountinfo(text []byte) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root point options [optional...] - type source super
		f := strings.Fields(sc.Text())
		sep := slices.Index(f, "-")
		if sep < 6 || len(f) < sep+4 {
			continue
		}
		out = append(out, Mount{Root: Unescape(f[3]), Point: Unescape(f[4]), FSType: f[sep+1], SuperOptions: f[sep+3]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return out, nil
}

// Unescape undoes the octal escapes (\040 for a space) of mountinfo.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ReadMounts returns this process's mounts.
func ReadMounts() ([]Mount, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return ParseMountinfo(b)
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
	mounts, err := ReadMounts()
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
		mounts, err := ReadMounts()
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

// IsCgroup reports whether m is a cgroup hierarchy (v1 or v2).
func (m Mount) IsCgroup() bool { return m.FSType == "cgroup" || m.FSType == "cgroup2" }

// CgroupMountPoints returns the mount points of the host's cgroup
// hierarchies (v1 controllers and the unified v2 hierarchy).
func CgroupMountPoints() ([]string, error) {
	mounts, err := ReadMounts()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range mounts {
		if m.IsCgroup() {
			out = append(out, m.Point)
		}
	}
	return out, nil
}
