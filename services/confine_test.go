package services

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

func TestConfine(t *testing.T) {
	const dir = "/tmp/node-e2e/20261129-120000-1a2b3c"
	l := run.Layout{ID: "20261129-120000-1a2b3c", Dir: dir, ReportDir: "/tmp/r"}
	mounts := []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}
	own := NodeState{
		Layout:           l,
		KubeletUnit:      "node-e2e-kubelet-1a2b3c",
		Bridge:           "e2e-1a2b3c",
		CgroupDirs:       []string{"/sys/fs/cgroup/memory/node-e2e-1a2b3c", "/sys/fs/cgroup/pids/node-e2e-1a2b3c"},
		OwnRuntime:       true,
		RuntimeEndpoint:  "unix://" + dir + "/containerd/containerd.sock",
		CreatedHostPaths: []string{"/var/lib/kubelet"},
		NodePlaces:       PlacesFor(l, NodeLayoutIsolated),
	}
	t.Run("a run's own names are kept", func(t *testing.T) {
		got, dropped, err := Confine(own, dir, mounts)
		if err != nil || len(dropped) > 0 || !reflect.DeepEqual(got, own) {
			t.Fatalf("Confine = %+v, %v, %v; want the state unchanged", got, dropped, err)
		}
	})
	t.Run("systemd driver slice dirs are kept", func(t *testing.T) {
		st := own
		st.SystemdCgroup = true
		st.CgroupDirs = []string{"/sys/fs/cgroup/memory/node_e2e_1a2b3c.slice"}
		got, dropped, err := Confine(st, dir, mounts)
		if err != nil || len(dropped) > 0 || len(got.CgroupDirs) != 1 {
			t.Fatalf("Confine = %+v, %v, %v", got.CgroupDirs, dropped, err)
		}
	})
	cases := []struct {
		name  string
		edit  func(*NodeState)
		check func(NodeState) bool
		note  string
	}{
		{"another unit", func(s *NodeState) { s.KubeletUnit = "sshd.service" }, func(s NodeState) bool { return s.KubeletUnit == "" }, "sshd.service"},
		{"another bridge", func(s *NodeState) { s.Bridge = "eth0" }, func(s NodeState) bool { return s.Bridge == "" }, "eth0"},
		{"a victim's cgroup", func(s *NodeState) { s.CgroupDirs = append(s.CgroupDirs, "/sys/fs/cgroup/memory/victim") }, func(s NodeState) bool { return len(s.CgroupDirs) == 2 }, "victim"},
		{"a cgroup escaping with ..", func(s *NodeState) { s.CgroupDirs = []string{"/sys/fs/cgroup/memory/node-e2e-1a2b3c/../victim"} }, func(s NodeState) bool { return len(s.CgroupDirs) == 0 }, "victim"},
		{"a cgroup outside any hierarchy", func(s *NodeState) { s.CgroupDirs = []string{"/etc/node-e2e-1a2b3c"} }, func(s NodeState) bool { return len(s.CgroupDirs) == 0 }, "/etc"},
		{"another runtime as the harness's own", func(s *NodeState) { s.RuntimeEndpoint = "unix:///run/containerd/containerd.sock" }, func(s NodeState) bool { return s.RuntimeEndpoint == "" }, "/run/containerd"},
		{"an isolated run naming the host's kubelet root dir", func(s *NodeState) { s.KubeletRootDir = "/var/lib/kubelet" },
			func(s NodeState) bool { return s.NodePlaces == PlacesFor(l, NodeLayoutIsolated) }, "/var/lib/kubelet"},
		{"an isolated run naming another pod logs dir", func(s *NodeState) { s.PodLogsDir = "/etc" },
			func(s NodeState) bool { return s.NodePlaces == PlacesFor(l, NodeLayoutIsolated) }, "/etc"},
		{"an isolated run naming the kubepods cgroup", func(s *NodeState) { s.CgroupDirs = append(s.CgroupDirs, "/sys/fs/cgroup/memory/kubepods") },
			func(s NodeState) bool { return len(s.CgroupDirs) == 2 }, "kubepods"},
		{"an unknown node layout", func(s *NodeState) { s.NodeLayout = "everything"; s.KubeletRootDir = "/" },
			func(s NodeState) bool { return s.NodePlaces == PlacesFor(l, NodeLayoutIsolated) }, "everything"},
		{"a host path that is not one of HostPaths", func(s *NodeState) { s.CreatedHostPaths = []string{"/etc", "/var/lib/kubelet"} }, func(s NodeState) bool { return reflect.DeepEqual(s.CreatedHostPaths, []string{"/var/lib/kubelet"}) }, "/etc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := own
			st.CgroupDirs = append([]string(nil), own.CgroupDirs...)
			c.edit(&st)
			got, dropped, err := Confine(st, dir, mounts)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) {
				t.Errorf("not confined: %+v", got)
			}
			if len(dropped) != 1 || !strings.Contains(dropped[0], c.note) {
				t.Errorf("dropped = %q, want one note naming %q", dropped, c.note)
			}
		})
	}
	standard := own
	standard.NodePlaces = PlacesFor(l, NodeLayoutStandard)
	standard.CgroupDirs = append(append([]string(nil), own.CgroupDirs...), "/sys/fs/cgroup/memory/kubepods", "/sys/fs/cgroup/pids/kubepods")
	standard.CreatedHostPaths = []string{"/var/lib/kubelet", "/var/log/pods"}
	t.Run("a standard run's fixed places and kubepods cgroups are kept", func(t *testing.T) {
		got, dropped, err := Confine(standard, dir, mounts)
		if err != nil || len(dropped) > 0 || !reflect.DeepEqual(got, standard) {
			t.Fatalf("Confine = %+v, %v, %v; want the state unchanged", got, dropped, err)
		}
	})
	t.Run("a standard run under the systemd driver keeps kubepods.slice", func(t *testing.T) {
		st := standard
		st.SystemdCgroup = true
		st.CgroupDirs = []string{"/sys/fs/cgroup/memory/node_e2e_1a2b3c.slice", "/sys/fs/cgroup/memory/kubepods.slice", "/sys/fs/cgroup/memory/kubepods"}
		got, dropped, err := Confine(st, dir, mounts)
		if err != nil || !reflect.DeepEqual(got.CgroupDirs, st.CgroupDirs[:2]) || len(dropped) != 1 || !strings.Contains(dropped[0], "memory/kubepods\"") {
			t.Fatalf("Confine = %q, %q, %v; want the slices kept and the cgroupfs name dropped", got.CgroupDirs, dropped, err)
		}
	})
	for name, c := range map[string]struct {
		edit func(*NodeState)
		note string
	}{
		"another kubelet root dir":     {func(s *NodeState) { s.KubeletRootDir = "/" }, `KubeletRootDir:/ `},
		"another pod logs dir":         {func(s *NodeState) { s.PodLogsDir = "/var/log" }, "/var/log "},
		"another cgroup root":          {func(s *NodeState) { s.CgroupRoot = "/system.slice" }, "/system.slice"},
		"a cgroup below kubepods":      {func(s *NodeState) { s.CgroupDirs = append(s.CgroupDirs, "/sys/fs/cgroup/memory/kubepods/../victim") }, "victim"},
		"a host path beyond HostPaths": {func(s *NodeState) { s.CreatedHostPaths = append(s.CreatedHostPaths, "/var/lib") }, "/var/lib\""},
		"another kubepods-like cgroup": {func(s *NodeState) { s.CgroupDirs = append(s.CgroupDirs, "/sys/fs/cgroup/memory/kubepods-victim") }, "kubepods-victim"},
	} {
		t.Run("a standard run naming "+name, func(t *testing.T) {
			st := standard
			st.CgroupDirs = append([]string(nil), standard.CgroupDirs...)
			st.CreatedHostPaths = append([]string(nil), standard.CreatedHostPaths...)
			c.edit(&st)
			got, dropped, err := Confine(st, dir, mounts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, standard) {
				t.Errorf("not confined to the standard places:\n got %+v\nwant %+v", got, standard)
			}
			if len(dropped) != 1 || !strings.Contains(dropped[0], c.note) {
				t.Errorf("dropped = %q, want one note naming %q", dropped, c.note)
			}
		})
	}
	t.Run("an external runtime is kept (its sandboxes are filtered)", func(t *testing.T) {
		st := own
		st.OwnRuntime, st.RuntimeEndpoint = false, "unix:///run/containerd/containerd.sock"
		got, dropped, err := Confine(st, dir, mounts)
		if err != nil || len(dropped) > 0 || got.RuntimeEndpoint != st.RuntimeEndpoint {
			t.Fatalf("Confine = %q, %v, %v", got.RuntimeEndpoint, dropped, err)
		}
	})
	for name, edit := range map[string]func(*NodeState){
		"layout of another dir": func(s *NodeState) { s.Layout.Dir = "/" },
		"another run id":        func(s *NodeState) { s.Layout.ID = "x-victim" },
	} {
		t.Run(name, func(t *testing.T) {
			st := own
			edit(&st)
			if _, _, err := Confine(st, dir, mounts); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestConfineContainerdBinary: the recorded containerd, which stale
// cleanup runs as root, is kept only when it is an executable that nobody
// but root or the user could have replaced.
func TestConfineContainerdBinary(t *testing.T) {
	const dir = "/tmp/node-e2e/20261129-120000-1a2b3c"
	l := run.Layout{ID: "20261129-120000-1a2b3c", Dir: dir}
	bins := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(bins, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("containerd", 0o755)
	link := filepath.Join(bins, "containerd-link")
	if err := os.Symlink(good, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, bin string
		keep      bool
	}{
		{"own executable", good, true},
		{"symlink to own executable", link, true},
		{"writable by others", write("containerd-ww", 0o757), false},
		{"writable by group", write("containerd-gw", 0o775), false},
		{"not executable", write("containerd-nx", 0o644), false},
		{"relative", "containerd", false},
		{"unclean", bins + "/../" + filepath.Base(bins) + "/containerd", false},
		{"missing", filepath.Join(bins, "none"), false},
		{"a directory", bins, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := NodeState{Layout: l, OwnRuntime: true, ContainerdBinary: c.bin}
			got, dropped, err := Confine(st, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if kept := got.ContainerdBinary == c.bin; kept != c.keep {
				t.Errorf("Confine kept %q: %v, want %v (dropped %q)", c.bin, kept, c.keep, dropped)
			}
			if !c.keep && (len(dropped) != 1 || !strings.Contains(dropped[0], "containerd binary")) {
				t.Errorf("dropped = %q, want one note naming the containerd binary", dropped)
			}
		})
	}
}
