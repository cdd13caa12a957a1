package services

import (
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

func TestCgroupRootDir(t *testing.T) {
	for _, c := range []struct {
		name, want string
		systemd    bool
	}{
		{"/node-e2e-ab12", "/node-e2e-ab12", false},
		{"/node-e2e-ab12", "/node_e2e_ab12.slice", true},
		{"node-e2e-ab12", "/node_e2e_ab12.slice", true},
	} {
		if got := CgroupRootDir(c.name, c.systemd); got != c.want {
			t.Errorf("CgroupRootDir(%q, %v) = %q, want %q", c.name, c.systemd, got, c.want)
		}
	}
}

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
