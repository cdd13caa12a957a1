package services

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

func TestParseNodeLayout(t *testing.T) {
	for _, c := range []struct {
		in   string
		want NodeLayout
		err  bool
	}{
		{"", NodeLayoutIsolated, false},
		{"isolated", NodeLayoutIsolated, false},
		{"standard", NodeLayoutStandard, false},
		{"Standard", "", true},
		{"production", "", true},
	} {
		got, err := ParseNodeLayout(c.in)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("ParseNodeLayout(%q) = %q, %v; want %q, error %v", c.in, got, err, c.want, c.err)
		}
		if err != nil && !strings.Contains(err.Error(), "--node-layout") {
			t.Errorf("ParseNodeLayout(%q): error %q does not name the flag", c.in, err)
		}
	}
}

func TestPlacesFor(t *testing.T) {
	l := run.Layout{ID: "20261130-010203-1a2b3c", Dir: "/tmp/node-e2e/20261130-010203-1a2b3c"}
	for _, c := range []struct {
		nl   NodeLayout
		want NodePlaces
	}{
		{NodeLayoutIsolated, NodePlaces{NodeLayoutIsolated, l.Dir + "/kubelet/root", l.Dir + "/pod-logs", "/node-e2e-1a2b3c"}},
		{"", NodePlaces{NodeLayoutIsolated, l.Dir + "/kubelet/root", l.Dir + "/pod-logs", "/node-e2e-1a2b3c"}},
		{NodeLayoutStandard, NodePlaces{NodeLayoutStandard, "/var/lib/kubelet", "/var/log/pods", "/"}},
	} {
		if got := PlacesFor(l, c.nl); got != c.want {
			t.Errorf("PlacesFor(%q) = %+v, want %+v", c.nl, got, c.want)
		}
	}
}

func TestNodeStateCgroupDirsByLayout(t *testing.T) {
	l := run.Layout{ID: "20261130-010203-1a2b3c", Dir: "/tmp/node-e2e/20261130-010203-1a2b3c"}
	for _, c := range []struct {
		nl                  NodeLayout
		systemd             bool
		root, runDir, slice string
	}{
		{NodeLayoutIsolated, false, "/node-e2e-1a2b3c", "/node-e2e-1a2b3c", ""},
		{NodeLayoutIsolated, true, "/node_e2e_1a2b3c.slice", "/node_e2e_1a2b3c.slice", "node_e2e_1a2b3c.slice"},
		{NodeLayoutStandard, false, "/", "/node-e2e-1a2b3c", ""},
		{NodeLayoutStandard, true, "/", "/node_e2e_1a2b3c.slice", "node_e2e_1a2b3c.slice"},
	} {
		st := NodeState{Layout: l, SystemdCgroup: c.systemd, NodePlaces: PlacesFor(l, c.nl)}
		if got := st.CgroupRootDir(); got != c.root {
			t.Errorf("%s systemd=%v: CgroupRootDir() = %q, want %q", c.nl, c.systemd, got, c.root)
		}
		if got := st.RunCgroupDir(); got != c.runDir {
			t.Errorf("%s systemd=%v: RunCgroupDir() = %q, want %q", c.nl, c.systemd, got, c.runDir)
		}
		if got := st.CgroupSlice(); got != c.slice {
			t.Errorf("%s systemd=%v: CgroupSlice() = %q, want %q", c.nl, c.systemd, got, c.slice)
		}
	}
	if got := KubepodsDirs([]string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids"}, false); !reflect.DeepEqual(got, []string{"/sys/fs/cgroup/memory/kubepods", "/sys/fs/cgroup/pids/kubepods"}) {
		t.Errorf("KubepodsDirs(cgroupfs) = %q", got)
	}
	if got := KubepodsDirs([]string{"/sys/fs/cgroup/memory"}, true); !reflect.DeepEqual(got, []string{"/sys/fs/cgroup/memory/kubepods.slice"}) {
		t.Errorf("KubepodsDirs(systemd) = %q", got)
	}
}

// fakeHost is a host for StandardPlacesInUse.
type fakeHost struct {
	procs  map[int]string
	dirs   map[string][]string // missing: does not exist
	mounts []string
	exists map[string]bool
	err    error
}

func (f fakeHost) probe() HostProbe {
	return HostProbe{
		Processes: func() (map[int]string, error) { return f.procs, f.err },
		ReadDir: func(d string) ([]string, error) {
			names, ok := f.dirs[d]
			if !ok {
				return nil, &fs.PathError{Op: "open", Path: d, Err: fs.ErrNotExist}
			}
			return names, nil
		},
		CgroupMounts: func() ([]string, error) { return f.mounts, nil },
		Exists:       func(p string) bool { return f.exists[p] },
	}
}

func TestStandardPlacesInUse(t *testing.T) {
	mounts := []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu,cpuacct"}
	quiet := map[int]string{1: "init", 200: "containerd", 300: "kubelet-wrapper"}
	for _, c := range []struct {
		name string
		host fakeHost
		want []string // substrings, one per finding; none: free
	}{
		{"a clean host", fakeHost{procs: quiet, mounts: mounts}, nil},
		{"empty directories are free", fakeHost{procs: quiet, mounts: mounts, dirs: map[string][]string{"/var/lib/kubelet": {}, "/var/log/pods": {}}}, nil},
		{"a running kubelet", fakeHost{procs: map[int]string{1: "init", 812: "kubelet", 77: "kubelet"}, mounts: mounts}, []string{"a kubelet is running (pid 77, 812)"}},
		{"a kubelet's root dir", fakeHost{procs: quiet, mounts: mounts, dirs: map[string][]string{"/var/lib/kubelet": {"pods", "plugins", "config.yaml", "pki"}}}, []string{"/var/lib/kubelet is not empty (pods, plugins, config.yaml, ...)"}},
		{"pod logs", fakeHost{procs: quiet, mounts: mounts, dirs: map[string][]string{"/var/log/pods": {"kube-system_etcd_1"}}}, []string{"/var/log/pods is not empty (kube-system_etcd_1)"}},
		{"kubepods in one hierarchy", fakeHost{procs: quiet, mounts: mounts, exists: map[string]bool{"/sys/fs/cgroup/cpu,cpuacct/kubepods": true}}, []string{"cgroup /sys/fs/cgroup/cpu,cpuacct/kubepods exists"}},
		{"kubepods.slice", fakeHost{procs: quiet, mounts: mounts, exists: map[string]bool{"/sys/fs/cgroup/memory/kubepods.slice": true}}, []string{"cgroup /sys/fs/cgroup/memory/kubepods.slice exists"}},
		{"all at once", fakeHost{procs: map[int]string{9: "kubelet"}, mounts: mounts, dirs: map[string][]string{"/var/lib/kubelet": {"pods"}, "/var/log/pods": {"x"}}, exists: map[string]bool{"/sys/fs/cgroup/memory/kubepods": true}},
			[]string{"pid 9", "/var/lib/kubelet", "/var/log/pods", "memory/kubepods"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := StandardPlacesInUse(c.host.probe())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("found %q, want %d findings like %q", got, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("finding %d = %q, want it to say %q", i, got[i], w)
				}
			}
		})
	}
	if _, err := StandardPlacesInUse(fakeHost{err: errors.New("no /proc")}.probe()); err == nil {
		t.Error("a host that cannot be read: no error")
	}
}

func TestStandardPlacesInUseThisMachine(t *testing.T) {
	// The live probe works here; what it finds depends on the machine.
	if _, err := StandardPlacesInUse(LiveHostProbe()); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveStandardDir(t *testing.T) {
	fill := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "kubelet")
		for _, p := range []string{"pods/uid/volumes", "plugins"} {
			if err := os.MkdirAll(filepath.Join(d, p), 0o750); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, "cpu_manager_state"), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Run("created by the run: removed whole", func(t *testing.T) {
		d := fill(t)
		if err := removeStandardDir(d, true); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still there: %v", d, err)
		}
	})
	t.Run("there before: emptied, kept", func(t *testing.T) {
		d := fill(t)
		if err := removeStandardDir(d, false); err != nil {
			t.Fatal(err)
		}
		if names, err := os.ReadDir(d); err != nil || len(names) != 0 {
			t.Errorf("%s: %v, %v; want it empty", d, names, err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if err := removeStandardDir(filepath.Join(t.TempDir(), "none"), false); err != nil {
			t.Fatal(err)
		}
	})
}
