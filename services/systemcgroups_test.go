package services

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSystemCgroupsFor(t *testing.T) {
	for _, tc := range []struct {
		name       string
		root       string
		launcher   Launcher
		ownRuntime bool
		want       SystemCgroups
	}{
		{"direct, own containerd, cgroupfs", "/node-e2e-ab12", LauncherDirect, true,
			SystemCgroups{Kubelet: "/node-e2e-ab12/kubelet", Runtime: "/node-e2e-ab12/runtime"}},
		{"direct, systemd driver: under the root slice", "/node_e2e_ab12.slice", LauncherDirect, true,
			SystemCgroups{Kubelet: "/node_e2e_ab12.slice/kubelet", Runtime: "/node_e2e_ab12.slice/runtime"}},
		{"systemd launcher: the kubelet's own unit", "/node_e2e_ab12.slice", LauncherSystemd, true,
			SystemCgroups{Kubelet: "/system.slice/node-e2e-kubelet-ab12.service", Runtime: "/node_e2e_ab12.slice/runtime"}},
		{"a runtime the harness did not start is not moved", "/node-e2e-ab12", LauncherDirect, false,
			SystemCgroups{Kubelet: "/node-e2e-ab12/kubelet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SystemCgroupsFor(tc.root, tc.launcher, "node-e2e-kubelet-ab12", tc.ownRuntime); got != tc.want {
				t.Errorf("SystemCgroupsFor = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestJoinCgroup(t *testing.T) {
	// Two fake hierarchies, each holding the run's cgroup root; cpuset
	// values are copied from the parent.
	var points []string
	for _, h := range []string{"cpuset", "memory"} {
		p := filepath.Join(t.TempDir(), h)
		if err := os.MkdirAll(filepath.Join(p, "node-e2e-ab12"), 0o755); err != nil {
			t.Fatal(err)
		}
		points = append(points, p)
	}
	if err := os.WriteFile(filepath.Join(points[0], "node-e2e-ab12", "cpuset.cpus"), []byte("0-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	created, err := JoinCgroup(points, "/node-e2e-ab12/runtime", 4242)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 2 {
		t.Errorf("created %q, want one directory per hierarchy", created)
	}
	for _, p := range points {
		b, err := os.ReadFile(filepath.Join(p, "node-e2e-ab12", "runtime", "cgroup.procs"))
		if err != nil || strings.TrimSpace(string(b)) != "4242" {
			t.Errorf("%s: cgroup.procs = %q, %v; want 4242", p, b, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(points[0], "node-e2e-ab12", "runtime", "cpuset.cpus")); string(b) != "0-1\n" {
		t.Errorf("cpuset.cpus = %q, want the parent's", b)
	}
	// Joining again (a restarted containerd) creates nothing new.
	if created, err := JoinCgroup(points, "/node-e2e-ab12/runtime", 4243); err != nil || len(created) != 0 {
		t.Errorf("second join: created %q, %v", created, err)
	}
	// No parent (no cgroup root): refused, nothing made above it.
	if _, err := JoinCgroup(points, "/node-e2e-none/runtime", 1); err == nil || !strings.Contains(err.Error(), "node-e2e-none") {
		t.Errorf("join without the root: %v", err)
	}
}
