package sandbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// mustMountTmpfs mounts a tmpfs on the host at dir and unmounts it when
// the test ends.
func mustMountTmpfs(t *testing.T, dir string) {
	t.Helper()
	if err := unix.Mount("sandbox-test", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=755,size=1m"); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// TestIntegrationReadOnlyBindIsRecursive binds a host directory with
// mounts below it (a tmpfs, and a tmpfs in that) read-only, and checks
// that nothing below it is writable inside: a read-only remount applies to
// one mount only, so the submounts a recursive bind brings along must be
// made read-only too. The same tree bound read-write is the control: there
// the submounts are writable and writes reach the host.
func TestIntegrationReadOnlyBindIsRecursive(t *testing.T) {
	skipUnlessIntegration(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	deeper := filepath.Join(sub, "deeper")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	mustMountTmpfs(t, sub)
	if err := os.Mkdir(deeper, 0o755); err != nil {
		t.Fatal(err)
	}
	mustMountTmpfs(t, deeper)

	sb := MustBoot(t, Config{Binds: []Bind{
		{Source: dir, Target: "/mnt/ro", ReadOnly: true},
		{Source: dir, Target: "/mnt/rw"},
	}})
	fp := footprintOf(t, sb)

	for _, d := range []string{"/mnt/ro", "/mnt/ro/sub", "/mnt/ro/sub/deeper"} {
		out := MustRunAllowFail(t, sb, "touch", d+"/written-inside")
		if !strings.Contains(out, "Read-only file system") {
			t.Errorf("touch %s/written-inside inside: %q, want Read-only file system", d, out)
		}
	}
	// Every mount under the read-only bind carries ro (findmnt lists the
	// bind and each mount below it: the tmpfs mounts are there).
	out := MustRun(t, sb, "findmnt", "--raw", "--noheadings", "--submounts", "--output", "TARGET,VFS-OPTIONS", "/mnt/ro")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Errorf("findmnt --submounts /mnt/ro lists %d mounts, want 3 (the bind, sub, sub/deeper):\n%s", len(lines), out)
	}
	for _, l := range lines {
		target, opts, _ := strings.Cut(l, " ")
		if !strings.HasPrefix(opts+",", "ro,") {
			t.Errorf("%s inside is mounted %s, want ro", target, opts)
		}
		if strings.Contains(target, "sub") && !strings.Contains(opts, "nosuid") {
			t.Errorf("%s inside lost the host mount's nosuid: %s", target, opts)
		}
	}

	for _, d := range []string{dir, sub, deeper} {
		if _, err := os.Stat(filepath.Join(d, "written-inside")); err == nil {
			t.Errorf("a write through the read-only bind reached the host: %s/written-inside", d)
		}
	}

	for _, d := range []string{"/mnt/rw/sub", "/mnt/rw/sub/deeper"} {
		MustRun(t, sb, "touch", d+"/written-inside")
	}
	for _, d := range []string{sub, deeper} {
		if _, err := os.Stat(filepath.Join(d, "written-inside")); err != nil {
			t.Errorf("a write through the read-write bind did not reach the host's submount: %v", err)
		}
	}
	if err := sb.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	fp.MustBeGone(t)
}

// TestIntegrationCommandCapabilities checks that a command run inside
// lacks what PID 1 lacks: it descends from the caller through nsenter, not
// from PID 1, so it would otherwise keep CAP_SYS_MODULE and CAP_SYS_TIME
// and could load kernel modules or set the host's clock.
func TestIntegrationCommandCapabilities(t *testing.T) {
	skipUnlessIntegration(t)
	sb := MustBoot(t, Config{})
	for _, pid := range []string{"1", "self"} {
		out := MustRun(t, sb, "grep", "^CapBnd:", "/proc/"+pid+"/status")
		f := strings.Fields(out)
		if len(f) != 2 {
			t.Fatalf("/proc/%s/status inside: %q", pid, out)
		}
		bnd, err := strconv.ParseUint(f[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range capsDropped {
			if bnd&(1<<c) != 0 {
				t.Errorf("process %s inside has capability %d in its bounding set (%s)", pid, c, f[1])
			}
		}
	}
}
