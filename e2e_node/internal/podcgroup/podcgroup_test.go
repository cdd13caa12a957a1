package podcgroup

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

// Under the root cgroup ("/", the root slice for systemd), as on a
// production node, the kubelet's slices carry no prefix.
func TestDirUnderRoot(t *testing.T) {
	for _, tc := range []struct {
		systemd bool
		qos     v1.PodQOSClass
		want    string
	}{
		{false, v1.PodQOSBurstable, "/kubepods/burstable/pod1-2"},
		{false, v1.PodQOSGuaranteed, "/kubepods/pod1-2"},
		{true, v1.PodQOSBestEffort, "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1_2.slice"},
		{true, v1.PodQOSGuaranteed, "/kubepods.slice/kubepods-pod1_2.slice"},
	} {
		if got := Dir("/", tc.systemd, tc.qos, "1-2"); got != tc.want {
			t.Errorf("Dir(/, systemd=%v, %s) = %s, want %s", tc.systemd, tc.qos, got, tc.want)
		}
	}
}

func TestDir(t *testing.T) {
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
		if got := Dir(c.root, c.systemd, c.qos, uid); got != c.want {
			t.Errorf("Dir(%q, %v, %s) =\n  %s\nwant\n  %s", c.root, c.systemd, c.qos, got, c.want)
		}
	}
}
