package services

import (
	"testing"

	v1 "k8s.io/api/core/v1"

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

func TestPodCgroupDir(t *testing.T) {
	const uid = "0f1e2d3c-aaaa-bbbb-cccc-123456789abc"
	for _, c := range []struct {
		root    string
		systemd bool
		qos     v1.PodQOSClass
		want    string
	}{
		{"/node-e2e-ab12", false, v1.PodQOSGuaranteed, "/node-e2e-ab12/kubepods/pod" + uid},
		{"/node-e2e-ab12", false, v1.PodQOSBurstable, "/node-e2e-ab12/kubepods/burstable/pod" + uid},
		{"/node-e2e-ab12", false, v1.PodQOSBestEffort, "/node-e2e-ab12/kubepods/besteffort/pod" + uid},
		{"/node_e2e_ab12.slice", true, v1.PodQOSGuaranteed,
			"/node_e2e_ab12.slice/node_e2e_ab12-kubepods.slice/node_e2e_ab12-kubepods-pod0f1e2d3c_aaaa_bbbb_cccc_123456789abc.slice"},
		{"/node_e2e_ab12.slice", true, v1.PodQOSBurstable,
			"/node_e2e_ab12.slice/node_e2e_ab12-kubepods.slice/node_e2e_ab12-kubepods-burstable.slice/node_e2e_ab12-kubepods-burstable-pod0f1e2d3c_aaaa_bbbb_cccc_123456789abc.slice"},
		{"/node_e2e_ab12.slice", true, v1.PodQOSBestEffort,
			"/node_e2e_ab12.slice/node_e2e_ab12-kubepods.slice/node_e2e_ab12-kubepods-besteffort.slice/node_e2e_ab12-kubepods-besteffort-pod0f1e2d3c_aaaa_bbbb_cccc_123456789abc.slice"},
	} {
		if got := PodCgroupDir(c.root, c.systemd, c.qos, uid); got != c.want {
			t.Errorf("PodCgroupDir(%q, %v, %s) =\n  %s\nwant\n  %s", c.root, c.systemd, c.qos, got, c.want)
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
