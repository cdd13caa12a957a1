package sandbox

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// skipUnlessIntegration skips a test that boots a real sandbox unless it
// can: not under -short, as root, with systemd installed.
func skipUnlessIntegration(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (-short)")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test: needs root")
	}
	if _, err := os.Stat(DefaultSystemd); err != nil {
		t.Skipf("integration test: needs %s: %v", DefaultSystemd, err)
	}
}

// MustBoot boots a sandbox and stops it when the test ends.
func MustBoot(t *testing.T, cfg Config) *Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := Boot(ctx, cfg)
	if err != nil {
		t.Fatalf("Boot: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return sb
}

// MustRun runs args inside the sandbox and returns its combined output.
func MustRun(t *testing.T, sb *Sandbox, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := sb.Command(ctx, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%q inside: %v\n%s", args, err, out)
	}
	return string(out)
}

// AwaitInside polls args inside the sandbox until cond holds for its
// output, failing the test after 10s.
func AwaitInside(t *testing.T, sb *Sandbox, cond func(out string, err error) bool, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := sb.Command(context.Background(), args...).CombinedOutput()
		if cond(string(out), err) {
			return string(out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q inside: condition not met after 10s; last output (%v):\n%s", args, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// footprint is what a sandbox leaves on the host while it runs: its PID 1,
// its pid namespace, its cgroups, and the mounts the host can see that
// mention its name (it mounts nothing in the host's namespace).
type footprint struct {
	name    string
	pid     int
	pidNS   string
	cgroups []string
}

func footprintOf(t *testing.T, sb *Sandbox) footprint {
	t.Helper()
	ns, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(sb.PID()), "ns/pid"))
	if err != nil {
		t.Fatal(err)
	}
	return footprint{name: sb.Name(), pid: sb.PID(), pidNS: ns, cgroups: sb.CgroupDirs()}
}

// MustBeGone checks that nothing of the sandbox is left on the host.
func (f footprint) MustBeGone(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(f.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("PID 1 (host pid %d) still exists (kill 0: %v)", f.pid, err)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/ns/pid")
	for _, p := range procs {
		if ns, err := os.Readlink(p); err == nil && ns == f.pidNS {
			t.Errorf("process %s is still in the sandbox's pid namespace %s", filepath.Base(filepath.Dir(filepath.Dir(p))), ns)
		}
	}
	for _, d := range f.cgroups {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s still exists (%v)", d, err)
		}
	}
	MustHaveNoCgroups(t, f.name)
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, f.name) {
			t.Errorf("host mount mentions the sandbox: %s", line)
		}
	}
}

// kernelLog returns the host's kernel log, one record a line.
func kernelLog(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("dmesg").Output()
	if err != nil {
		t.Fatalf("dmesg: %v", err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// MustNotHaveLogged checks that no kernel log record written since before
// was written by a systemd process (the sandbox's PID 1, journald). The
// records since are those after before's last one (each carries its
// timestamp); if that one is gone, the ring buffer dropped it, and every
// record now in it is newer.
func MustNotHaveLogged(t *testing.T, before []string) {
	t.Helper()
	after := kernelLog(t)
	if i := slices.Index(after, before[len(before)-1]); i >= 0 {
		after = after[i+1:]
	}
	for _, l := range after {
		if strings.Contains(l, "systemd") {
			t.Errorf("the sandbox wrote to the host's kernel log: %s", l)
		}
	}
}

// MustHaveNoCgroups checks that no sandbox named name has cgroups on the
// host (where Boot would create them).
func MustHaveNoCgroups(t *testing.T, name string) {
	t.Helper()
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	own, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	l, err := planCgroups(mi, own, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range l.Dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s exists (%v)", d, err)
		}
	}
}
