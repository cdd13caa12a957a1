package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIntegrationSandbox(t *testing.T) {
	skipUnlessIntegration(t)
	hostName, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "from-host"), []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	roDir := t.TempDir()
	klog := kernelLog(t)
	sb := MustBoot(t, Config{
		Binds: []Bind{{Source: dir, Target: "/mnt/report"}, {Source: roDir, Target: "/mnt/ro", ReadOnly: true}},
	})
	fp := footprintOf(t, sb)
	t.Logf("booted %s in %s", sb.Name(), sb.BootTime())

	t.Run("is-system-running", func(t *testing.T) {
		out := strings.TrimSpace(MustRunAllowFail(t, sb, "systemctl", "is-system-running"))
		if out != "running" && out != "degraded" {
			t.Errorf("systemctl is-system-running = %q", out)
		}
		if out := MustRun(t, sb, "sh", "-c", "test -d /run/systemd/system && echo booted"); !strings.Contains(out, "booted") {
			t.Error("no /run/systemd/system inside: sd_booted() would be false")
		}
		if _, err := os.Stat("/run/systemd/system"); err == nil {
			t.Error("/run/systemd/system exists on the host")
		}
	})

	t.Run("transient unit with Delegate=yes", func(t *testing.T) {
		MustRun(t, sb, "systemd-run", "--unit=x", "-p", "Delegate=yes", "sh", "-c", "echo hello-from-x; exec sleep 300")
		if got := strings.TrimSpace(MustRun(t, sb, "systemctl", "show", "-p", "Delegate", "--value", "x")); got != "yes" {
			t.Errorf("Delegate = %q", got)
		}
		for _, h := range []string{"systemd", "unified", "memory", "pids"} {
			inside := "/sys/fs/cgroup/" + h + "/system.slice/x.service"
			procs := MustRun(t, sb, "cat", inside+"/cgroup.procs")
			if strings.TrimSpace(procs) == "" {
				t.Errorf("%s has no process", inside)
			}
			// The same cgroup, seen from the host, is below the sandbox's.
			hostDir := filepath.Join(sandboxCgroup(t, sb, h), "system.slice/x.service")
			if _, err := os.Stat(hostDir); err != nil {
				t.Errorf("unit cgroup on the host: %v", err)
			}
		}
		// Delegated: the unit's process may create child cgroups.
		MustRun(t, sb, "mkdir", "/sys/fs/cgroup/unified/system.slice/x.service/child")
		out := AwaitInside(t, sb, func(out string, err error) bool { return strings.Contains(out, "hello-from-x") },
			"journalctl", "--no-pager", "-u", "x")
		t.Logf("journalctl -u x:\n%s", out)
		MustRun(t, sb, "systemctl", "stop", "x")
		for _, h := range []string{"systemd", "unified", "memory"} {
			if out := MustRunAllowFail(t, sb, "test", "-e", "/sys/fs/cgroup/"+h+"/system.slice/x.service"); out != "exit 1" {
				t.Errorf("cgroup of x in %s still exists after systemctl stop", h)
			}
		}
		if st := strings.TrimSpace(MustRunAllowFail(t, sb, "systemctl", "is-active", "x")); st == "active" {
			t.Errorf("x is %s after stop", st)
		}
	})

	t.Run("binds", func(t *testing.T) {
		if out := MustRun(t, sb, "cat", "/mnt/report/from-host"); out != "hello from the host\n" {
			t.Errorf("bound host file reads %q", out)
		}
		MustRun(t, sb, "sh", "-c", "echo written-inside > /mnt/report/from-sandbox")
		if b, err := os.ReadFile(filepath.Join(dir, "from-sandbox")); err != nil || string(b) != "written-inside\n" {
			t.Errorf("write through a read-write bind: %q, %v", b, err)
		}
		if out := MustRunAllowFail(t, sb, "touch", "/mnt/ro/x"); out == "" {
			t.Error("a read-only bind is writable")
		}
		// The overlay root keeps writes away from the host.
		MustRun(t, sb, "sh", "-c", "echo x > /etc/systemd-sandbox-test")
		if _, err := os.Stat("/etc/systemd-sandbox-test"); err == nil {
			os.Remove("/etc/systemd-sandbox-test")
			t.Error("a write to the sandbox's /etc reached the host")
		}
	})

	t.Run("hostname", func(t *testing.T) {
		if got := strings.TrimSpace(MustRun(t, sb, "hostname")); got != sb.Name() {
			t.Errorf("hostname inside = %q, want %q", got, sb.Name())
		}
		MustRun(t, sb, "hostname", "changed-inside")
		if got := strings.TrimSpace(MustRun(t, sb, "hostname")); got != "changed-inside" {
			t.Errorf("hostname inside after change = %q", got)
		}
		if now, _ := os.Hostname(); now != hostName {
			t.Errorf("host hostname changed from %q to %q", hostName, now)
		}
	})

	t.Run("isolation", func(t *testing.T) {
		if out := strings.Fields(MustRun(t, sb, "ls", "/sys/class/net")); !slices.Equal(out, []string{"eth0", "eth0-peer", "lo"}) {
			t.Errorf("network interfaces inside: %q, want eth0, its peer and lo", out)
		}
		// The kubelet finds its node IP through the main table's default route.
		if out := MustRun(t, sb, "cat", "/proc/net/route"); !strings.Contains(out, "eth0\t00000000\t010012C6") {
			t.Errorf("no default route through eth0 in /proc/net/route:\n%s", out)
		}
		if out := MustRun(t, sb, "getent", "hosts", sb.Name()); !strings.HasPrefix(out, "198.18.0.2 ") {
			t.Errorf("the sandbox's name resolves to %q, want the node address", out)
		}
		// Connections off the box fail at once instead of hanging.
		start := time.Now()
		if out := MustRunAllowFail(t, sb, "bash", "-c", "echo > /dev/tcp/192.0.2.1/53"); !strings.Contains(out, "No route to host") {
			t.Errorf("connecting off the box: %q, want No route to host", out)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("connecting off the box took %s", d)
		}
		if out := MustRunAllowFail(t, sb, "sh", "-c", "echo x > /dev/kmsg"); out == "" {
			t.Error("/dev/kmsg is writable inside: the sandbox could write the host's kernel log")
		}
		if out := MustRunAllowFail(t, sb, "sh", "-c", "echo 1 > /proc/sys/kernel/panic"); out == "" {
			t.Error("/proc/sys is writable inside")
		}
		if out := MustRun(t, sb, "cat", "/proc/1/comm"); strings.TrimSpace(out) != "systemd" {
			t.Errorf("PID 1 inside is %q", out)
		}
		for _, u := range []string{"systemd-timesyncd.service", "systemd-sysctl.service", "systemd-modules-load.service"} {
			if st := strings.TrimSpace(MustRunAllowFail(t, sb, "systemctl", "is-enabled", u)); st != "masked" {
				t.Errorf("%s is %q, want masked", u, st)
			}
		}
	})

	if err := sb.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("stopped in %s", sb.ShutdownTime())
	if err := sb.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	fp.MustBeGone(t)
	MustNotHaveLogged(t, klog)
	if now, _ := os.Hostname(); now != hostName {
		t.Errorf("host hostname changed from %q to %q", hostName, now)
	}
}

// MustRunAllowFail runs args inside and returns its output, or "exit N"
// when it fails with no output.
func MustRunAllowFail(t *testing.T, sb *Sandbox, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := sb.Command(ctx, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "exit " + strings.TrimPrefix(err.Error(), "exit status ")
	}
	return string(out)
}

// sandboxCgroup returns the sandbox's cgroup directory on the host in the
// hierarchy mounted at /sys/fs/cgroup/<h>.
func sandboxCgroup(t *testing.T, sb *Sandbox, h string) string {
	t.Helper()
	i := slices.IndexFunc(sb.CgroupDirs(), func(d string) bool { return strings.HasPrefix(d, "/sys/fs/cgroup/"+h+"/") })
	if i < 0 {
		t.Fatalf("no sandbox cgroup in %s: %q", h, sb.CgroupDirs())
	}
	return sb.CgroupDirs()[i]
}

func TestIntegrationBootFailures(t *testing.T) {
	skipUnlessIntegration(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "no systemd", cfg: Config{Systemd: "/nonexistent/systemd"}, wantErr: "systemd binary"},
		{name: "missing bind source", cfg: Config{Binds: []Bind{{Source: "/nonexistent/dir"}}}, wantErr: "/nonexistent/dir"},
		{name: "relative bind", cfg: Config{Binds: []Bind{{Source: "rel"}}}, wantErr: "absolute"},
		{name: "no nsenter", cfg: Config{Nsenter: "/nonexistent/nsenter"}, wantErr: "nsenter"},
		// Exists on the host but not inside (/tmp is a tmpfs there): PID 1
		// fails to start and the console says why.
		{name: "systemd missing inside", cfg: Config{Systemd: mustExecutableIn(t, "/tmp")}, wantErr: "PID 1 console"},
		{name: "boot timeout", cfg: Config{BootTimeout: time.Millisecond}, wantErr: "not running after"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Name == "" {
				tt.cfg.Name = fmt.Sprintf("bootfail-%d-%d", os.Getpid(), i)
			}
			start := time.Now()
			sb, err := Boot(ctx, tt.cfg)
			if err == nil {
				sb.Stop()
				t.Fatal("Boot succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			t.Logf("failed in %s: %v", time.Since(start), err)
			if sb != nil {
				t.Error("Boot returned a sandbox with its error")
			}
			if sb.Stop() != nil {
				t.Error("Stop of a nil sandbox failed")
			}
			MustHaveNoCgroups(t, tt.cfg.Name)
			if mi, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mi), tt.cfg.Name) {
				t.Error("a failed boot left a mount behind")
			}
		})
	}
}

// mustExecutableIn writes an executable file into dir on the host.
func mustExecutableIn(t *testing.T, dir string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "fake-systemd-")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("#!/bin/sh\nexit 1\n")
	f.Close()
	os.Chmod(f.Name(), 0o755)
	t.Cleanup(func() { os.Remove(f.Name()) })
	return f.Name()
}

// TestIntegrationCancelledCommand cancels a command while it runs inside:
// the command must end, and the sandbox must still power off promptly
// (an orphan of nsenter would be reparented to the host's init, and
// systemd-shutdown would wait for it until Stop's SIGKILL fallback).
func TestIntegrationCancelledCommand(t *testing.T) {
	skipUnlessIntegration(t)
	sb := MustBoot(t, Config{StopTimeout: 8 * time.Second})
	fp := footprintOf(t, sb)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := sb.Command(ctx, "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	AwaitInside(t, sb, func(out string, err error) bool { return err == nil }, "pgrep", "-x", "sleep")
	cancel()
	start := time.Now()
	err := cmd.Wait()
	t.Logf("cancelled command: %v after %s", err, time.Since(start))
	if err == nil {
		t.Error("cancelled command succeeded")
	}
	if out := MustRunAllowFail(t, sb, "pgrep", "-x", "sleep"); out != "exit 1" {
		t.Errorf("the cancelled command still runs inside: pgrep says %q", out)
	}
	if err := sb.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := sb.ShutdownTime(); d > 5*time.Second {
		t.Errorf("shutdown took %s: PID 1 did not power off by itself", d)
	}
	fp.MustBeGone(t)
}

// TestIntegrationNoNetwork boots with NodeAddress "none": lo only, up.
func TestIntegrationNoNetwork(t *testing.T) {
	skipUnlessIntegration(t)
	sb := MustBoot(t, Config{NodeAddress: NoNetwork})
	if out := MustRun(t, sb, "ls", "/sys/class/net"); strings.TrimSpace(out) != "lo" {
		t.Errorf("network interfaces inside: %q, want only lo", out)
	}
	if out := MustRun(t, sb, "ip", "-br", "addr", "show", "lo"); !strings.Contains(out, "127.0.0.1/8") {
		t.Errorf("lo is not up: %q", out)
	}
}
