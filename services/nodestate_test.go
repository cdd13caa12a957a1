package services

import (
	"reflect"
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

func TestNodeStateCgroupRoot(t *testing.T) {
	l := run.Layout{ID: "20261125-203527-3e4ef0"}
	for _, c := range []struct {
		systemd         bool
		wantDir, wantSl string
	}{
		{false, "/node-e2e-3e4ef0", ""},
		{true, "/node_e2e_3e4ef0.slice", "node_e2e_3e4ef0.slice"},
	} {
		st := NodeState{Layout: l, SystemdCgroup: c.systemd}
		if got := st.CgroupRootDir(); got != c.wantDir {
			t.Errorf("systemd=%v: CgroupRootDir() = %q, want %q", c.systemd, got, c.wantDir)
		}
		if got := st.CgroupSlice(); got != c.wantSl {
			t.Errorf("systemd=%v: CgroupSlice() = %q, want %q", c.systemd, got, c.wantSl)
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
