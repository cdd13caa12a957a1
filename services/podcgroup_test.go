package services

import (
	"testing"

	v1 "k8s.io/api/core/v1"
)

// Under the root cgroup ("/", the root slice for systemd), as on a
// production node, the kubelet's slices carry no prefix.
func TestPodCgroupDirUnderRoot(t *testing.T) {
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
		if got := PodCgroupDir("/", tc.systemd, tc.qos, "1-2"); got != tc.want {
			t.Errorf("PodCgroupDir(/, systemd=%v, %s) = %s, want %s", tc.systemd, tc.qos, got, tc.want)
		}
	}
}
