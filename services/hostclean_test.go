package services

import (
	"reflect"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/node-e2e/harness/internal/run"
)

const sampleMountinfo = `22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
31 22 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
40 22 254:0 /tmp/node-e2e/r1/kubelet/root /tmp/node-e2e/r1/kubelet/root rw shared:5 - ext4 /dev/vda rw
41 40 0:50 / /tmp/node-e2e/r1/kubelet/root/pods/u/volumes/kubernetes.io~secret/s rw - tmpfs tmpfs rw
42 22 0:51 / /tmp/node-e2e/r10 rw - tmpfs tmpfs rw
43 22 0:52 / /tmp/with\040space rw - tmpfs tmpfs rw
`

func TestParseMountinfo(t *testing.T) {
	ms := ParseMountinfo(sampleMountinfo)
	if len(ms) != 7 {
		t.Fatalf("parsed %d mounts, want 7", len(ms))
	}
	if ms[1].FSType != "cgroup" || ms[1].SuperOptions != "rw,memory" {
		t.Errorf("cgroup mount = %+v", ms[1])
	}
	if ms[3].Point != "/tmp/node-e2e/r1/kubelet/root" || ms[3].FSType != "ext4" {
		t.Errorf("optional fields mis-parsed: %+v", ms[3])
	}
	if ms[6].Point != "/tmp/with space" {
		t.Errorf("escape not undone: %q", ms[6].Point)
	}
}

func TestMountsUnder(t *testing.T) {
	got := MountsUnder(ParseMountinfo(sampleMountinfo), "/tmp/node-e2e/r1")
	want := []string{
		"/tmp/node-e2e/r1/kubelet/root/pods/u/volumes/kubernetes.io~secret/s",
		"/tmp/node-e2e/r1/kubelet/root",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MountsUnder = %q, want %q (deepest first, and not the sibling r10)", got, want)
	}
}

func TestCgroupRootDir(t *testing.T) {
	for _, c := range []struct {
		name    string
		systemd bool
		want    string
	}{
		{"/node-e2e-ab12", false, "/node-e2e-ab12"},
		{"/node-e2e-ab12", true, "/node_e2e_ab12.slice"},
		{"node-e2e-ab12", true, "/node_e2e_ab12.slice"},
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

func TestMountOf(t *testing.T) {
	mounts := ParseMountinfo(sampleMountinfo + "43 22 0:52 / /tmp rw - tmpfs tmpfs rw\n44 43 0:53 / /tmp rw - ext4 /dev/vdb rw\n")
	for _, c := range []struct{ path, want string }{
		{"/", "ext4"},
		{"/var/lib", "ext4"},
		{"/sys/fs/cgroup/memory/x", "cgroup"},
		{"/sys/fs/cgroup/memoryx", "ext4"}, // not under /sys/fs/cgroup/memory
		{"/tmp/node-e2e/r10/a", "tmpfs"},   // r10 is a tmpfs of its own
		{"/tmp/other", "ext4"},             // the later of the two /tmp mounts
	} {
		m, ok := MountOf(mounts, c.path)
		if !ok || m.FSType != c.want {
			t.Errorf("MountOf(%q) = %+v, %v; want type %s", c.path, m, ok, c.want)
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
