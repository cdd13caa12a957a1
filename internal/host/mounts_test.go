package host

import (
	"reflect"
	"testing"
)

const sampleMountinfo = `22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
31 22 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
40 22 254:0 /tmp/node-e2e/r1/kubelet/root /tmp/node-e2e/r1/kubelet/root rw shared:5 - ext4 /dev/vda rw
41 40 0:50 / /tmp/node-e2e/r1/kubelet/root/pods/u/volumes/kubernetes.io~secret/s rw - tmpfs tmpfs rw
42 22 0:51 / /tmp/node-e2e/r10 rw - tmpfs tmpfs rw
43 22 0:52 /a\134b /tmp/with\040space rw - tmpfs tmpfs rw
44 22 0:53 / /broken rw
45 22 0:54 / - tmpfs tmpfs rw
`

func TestParseMountinfo(t *testing.T) {
	ms, err := ParseMountinfo([]byte(sampleMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 7 {
		t.Fatalf("parsed %d mounts, want 7 (the last two lines are malformed): %+v", len(ms), ms)
	}
	if ms[1].FSType != "cgroup" || ms[1].SuperOptions != "rw,memory" || !ms[1].IsCgroup() || !ms[2].IsCgroup() || ms[0].IsCgroup() {
		t.Errorf("cgroup mounts = %+v, %+v", ms[1], ms[2])
	}
	if want := (Mount{Root: "/tmp/node-e2e/r1/kubelet/root", Point: "/tmp/node-e2e/r1/kubelet/root", FSType: "ext4", SuperOptions: "rw"}); ms[3] != want {
		t.Errorf("optional fields mis-parsed: %+v", ms[3])
	}
	if ms[6].Point != "/tmp/with space" || ms[6].Root != `/a\b` {
		t.Errorf("escapes not undone: %+v", ms[6])
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`plain`: `plain`, `a\040b`: `a b`, `tab\011`: "tab\t", `nl\012x`: "nl\nx", `back\134slash`: `back\slash`,
		`short\04`: `short\04`, `not\999octal`: `not\999octal`, `end\`: `end\`,
	} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMountsUnder(t *testing.T) {
	ms, _ := ParseMountinfo([]byte(sampleMountinfo))
	got := MountsUnder(ms, "/tmp/node-e2e/r1")
	want := []string{
		"/tmp/node-e2e/r1/kubelet/root/pods/u/volumes/kubernetes.io~secret/s",
		"/tmp/node-e2e/r1/kubelet/root",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MountsUnder = %q, want %q (deepest first, and not the sibling r10)", got, want)
	}
}

func TestMountOf(t *testing.T) {
	mounts, _ := ParseMountinfo([]byte(sampleMountinfo + "46 22 0:52 / /tmp rw - tmpfs tmpfs rw\n47 46 0:53 / /tmp rw - ext4 /dev/vdb rw\n"))
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

func TestFSTypeOfThisMachine(t *testing.T) {
	got, err := FSTypeOf("/proc/self")
	if err != nil || got != "proc" {
		t.Errorf("FSTypeOf(/proc/self) = %q, %v; want proc", got, err)
	}
}
