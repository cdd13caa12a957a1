package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// stage2Plan is what Boot sends the second stage, as JSON on fd 3. The
// second stage reads it to the end before it starts, so that Boot can move
// it into its cgroups first.
type stage2Plan struct {
	Name  string `json:"name"`
	Steps []step `json:"steps"`
	// Exec is PID 1's command line, Env its environment.
	Exec []string `json:"exec"`
	Env  []string `json:"env"`
}

// stagingDir is where the second stage mounts the tmpfs that holds the
// overlay's upper layer and the new root before pivot_root. It is in the
// sandbox's private mount namespace: the host never sees it.
const stagingDir = "/tmp"

// capsDropped are removed from PID 1's bounding set: nothing inside may
// load kernel modules or set the host's clock.
var capsDropped = []uintptr{unix.CAP_SYS_MODULE, unix.CAP_SYS_TIME}

// runStage2 is the second stage: it runs as PID 1 of the sandbox's new pid,
// mount, uts, ipc and net namespaces, with the console pty as stdin, stdout
// and stderr and the plan on fd 3. It enters a new cgroup namespace, builds
// the root file system, pivots into it, sets the hostname and executes
// systemd. It returns only on failure; the error goes to the console, which
// Boot reports.
func runStage2() error {
	// unshare(CLONE_NEWCGROUP), the cgroup mounts and execve must all happen
	// on this thread: the cgroup namespace is per thread until execve.
	runtime.LockOSThread()
	f := os.NewFile(3, "plan")
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("sandbox stage2: read plan: %w", err)
	}
	var p stage2Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("sandbox stage2: decode plan (%d bytes): %w", len(data), err)
	}
	if os.Getpid() != 1 {
		return fmt.Errorf("sandbox stage2: pid is %d, not 1: not started by Boot", os.Getpid())
	}
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return fmt.Errorf("sandbox stage2: unshare cgroup namespace: %w", err)
	}
	if err := buildRoot(p); err != nil {
		return fmt.Errorf("sandbox stage2: %w", err)
	}
	if err := unix.Sethostname([]byte(p.Name)); err != nil {
		return fmt.Errorf("sandbox stage2: sethostname %s: %w", p.Name, err)
	}
	for _, c := range capsDropped {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return fmt.Errorf("sandbox stage2: drop capability %d: %w", c, err)
		}
	}
	if len(p.Exec) == 0 {
		return errors.New("sandbox stage2: empty command")
	}
	err = unix.Exec(p.Exec[0], p.Exec, p.Env)
	return fmt.Errorf("sandbox stage2: exec %s: %w", strings.Join(p.Exec, " "), err)
}

// buildRoot makes the mounts private, mounts the overlay root, pivots into
// it and carries out the plan's steps there, then detaches the old root.
// The steps run after pivot_root so that absolute symbolic links in the
// root resolve inside it; the bind sources, host paths, are opened before
// (the staging tmpfs may hide them) and stay attached under the old root
// until the end (the kernel binds only mounts of the current namespace).
func buildRoot(p stage2Plan) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	// Open every bind source now: the staging tmpfs below may hide it.
	sources := map[string]*os.File{}
	defer func() {
		for _, f := range sources {
			f.Close()
		}
	}()
	for _, st := range p.Steps {
		if st.Kind != stepBind {
			continue
		}
		f, err := os.OpenFile(st.Source, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			if st.Optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("open bind source %s: %w", st.Source, err)
		}
		sources[st.Source] = f
		if st.Target == "/dev/console" {
			if err := sameFile(f, os.Stdin); err != nil {
				return fmt.Errorf("console %s: %w", st.Source, err)
			}
		}
	}
	if err := unix.Mount(p.Name, stagingDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=700"); err != nil {
		return fmt.Errorf("mount staging tmpfs on %s: %w", stagingDir, err)
	}
	root := filepath.Join(stagingDir, p.Name)
	upper, work := filepath.Join(stagingDir, "upper"), filepath.Join(stagingDir, "work")
	for _, d := range []string{root, upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("staging: %w", err)
		}
	}
	opts := "lowerdir=/,upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount(p.Name, root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay root (%s) on %s: %w", opts, root, err)
	}
	if err := pivot(root); err != nil {
		return err
	}
	for _, st := range p.Steps {
		if err := runStep(st, sources[st.Source]); err != nil {
			return fmt.Errorf("%s %s: %w", st.Kind, st.Target, err)
		}
	}
	return detachOldRoot()
}

// sameFile checks that a and b are the same file (for a device node: the
// same device of the same file system).
func sameFile(a, b *os.File) error {
	var sa, sb unix.Stat_t
	if err := unix.Fstat(int(a.Fd()), &sa); err != nil {
		return err
	}
	if err := unix.Fstat(int(b.Fd()), &sb); err != nil {
		return err
	}
	if sa.Dev != sb.Dev || sa.Ino != sb.Ino || sa.Rdev != sb.Rdev {
		return fmt.Errorf("is not the pty the second stage was given (device %d:%d inode %d, want %d:%d inode %d)",
			unix.Major(sa.Rdev), unix.Minor(sa.Rdev), sa.Ino, unix.Major(sb.Rdev), unix.Minor(sb.Rdev), sb.Ino)
	}
	return nil
}

// runStep carries out one step in the new root. src is the opened source
// of a bind step (nil for a skipped optional one).
func runStep(st step, src *os.File) error {
	target := filepath.Clean(st.Target)
	switch st.Kind {
	case stepMount:
		if err := os.MkdirAll(target, 0o755); err != nil {
			return err
		}
		return unix.Mount(st.Source, target, st.FSType, st.Flags, st.Data)
	case stepBind:
		if src == nil {
			return nil // optional and missing
		}
		fi, err := src.Stat()
		if err != nil {
			return err
		}
		if err := makeMountPoint(target, fi.IsDir()); err != nil {
			return err
		}
		if err := unix.Mount("/proc/self/fd/"+strconv.Itoa(int(src.Fd())), target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s: %w", st.Source, err)
		}
		if err := setFlags(target, st, false); err != nil {
			return err
		}
		if st.ReadOnly {
			return readOnlyBelow(target)
		}
		return nil
	case stepRebind:
		if err := unix.Mount(target, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			if st.Optional && errors.Is(err, unix.ENOENT) {
				return nil
			}
			return err
		}
		return setFlags(target, st, true)
	case stepRemount:
		return setFlags(target, st, true)
	case stepSymlink:
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return os.Symlink(st.Source, target)
	case stepFile:
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return os.WriteFile(target, []byte(st.Data), os.FileMode(st.Mode))
	}
	return fmt.Errorf("unknown step kind %q", st.Kind)
}

// setFlags sets the per-mount flags of the mount at target. A plain
// read-write bind with no flags is left as it is unless always is set.
func setFlags(target string, st step, always bool) error {
	if !always && !st.ReadOnly && st.Flags == 0 {
		return nil
	}
	flags := unix.MS_BIND | unix.MS_REMOUNT | st.Flags
	if st.ReadOnly {
		flags |= unix.MS_RDONLY
	}
	if err := unix.Mount("", target, "", flags, ""); err != nil {
		return fmt.Errorf("set mount flags %#x: %w", flags, err)
	}
	return nil
}

// readOnlyBelow makes the mounts below target read-only too. A bind is
// recursive (MS_REC), so it brings along the mounts below its source (a
// tmpfs, another disk); a read-only remount (setFlags) applies to the one
// mount at target, which would leave those writable. mount_setattr with
// AT_RECURSIVE sets read-only on the whole tree and leaves every other
// flag as it is (Linux 5.12 and later; there is no fallback: without it a
// read-only bind fails rather than being writable below).
func readOnlyBelow(target string) error {
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
	if err := unix.MountSetattr(unix.AT_FDCWD, target, unix.AT_RECURSIVE, &attr); err != nil {
		if errors.Is(err, unix.ENOSYS) {
			return fmt.Errorf("make the mounts below read-only: this kernel has no mount_setattr (Linux 5.12 or later); bind read-write instead: %w", err)
		}
		return fmt.Errorf("make the mounts below read-only (mount_setattr AT_RECURSIVE): %w", err)
	}
	return nil
}

// makeMountPoint creates target as a directory, or as an empty file when
// a file is to be bound on it. An existing target is kept.
func makeMountPoint(target string, dir bool) error {
	if dir {
		return os.MkdirAll(target, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// oldRootDir is where pivot puts the old root inside the new one while the
// steps run (bind sources must still be attached to the mount namespace).
const oldRootDir = "/.systemd-sandbox-oldroot"

// pivot makes root the root of the mount namespace, with the old root at
// oldRootDir.
func pivot(root string) error {
	if err := os.Mkdir(filepath.Join(root, oldRootDir), 0o700); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.PivotRoot(root, filepath.Join(root, oldRootDir)); err != nil {
		return fmt.Errorf("pivot_root %s: %w", root, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// detachOldRoot detaches the old root (with the staging tmpfs, which the
// overlay keeps alive) and removes its mount point.
func detachOldRoot() error {
	if err := unix.Unmount(oldRootDir, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := os.Remove(oldRootDir); err != nil {
		return fmt.Errorf("remove old root mount point: %w", err)
	}
	return nil
}
