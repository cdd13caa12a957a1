package sandbox

import (
	"reflect"
	"strings"
	"testing"
)

// hybridMountinfo is this kind of host's /proc/self/mountinfo (trimmed).
const hybridMountinfo = `21 26 0:20 / /proc rw,relatime - proc proc rw
22 26 0:21 / /sys rw,relatime - sysfs sysfs rw
26 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
43 26 0:4 net:[4026532176] /run/netns/cni-0484 rw - nsfs nsfs rw
`

const hybridProcCgroup = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/e4b49a84
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`

func TestParseCgroupMounts(t *testing.T) {
	tests := []struct {
		name      string
		mountinfo string
		want      []hierarchy
	}{
		{
			name:      "hybrid, first and last",
			mountinfo: hybridMountinfo,
			want: []hierarchy{
				{Dir: "cpu", MountPoint: "/sys/fs/cgroup/cpu", Root: "/", Key: "cpu", Options: "cpu"},
				{Dir: "cpuacct", MountPoint: "/sys/fs/cgroup/cpuacct", Root: "/", Key: "cpuacct", Options: "cpuacct"},
				{Dir: "cpuset", MountPoint: "/sys/fs/cgroup/cpuset", Root: "/", Key: "cpuset", Options: "cpuset"},
				{Dir: "memory", MountPoint: "/sys/fs/cgroup/memory", Root: "/", Key: "memory", Options: "memory"},
				{Dir: "devices", MountPoint: "/sys/fs/cgroup/devices", Root: "/", Key: "devices", Options: "devices"},
				{Dir: "freezer", MountPoint: "/sys/fs/cgroup/freezer", Root: "/", Key: "freezer", Options: "freezer"},
				{Dir: "blkio", MountPoint: "/sys/fs/cgroup/blkio", Root: "/", Key: "blkio", Options: "blkio"},
				{Dir: "pids", MountPoint: "/sys/fs/cgroup/pids", Root: "/", Key: "pids", Options: "pids"},
				{Dir: "systemd", MountPoint: "/sys/fs/cgroup/systemd", Root: "/", Key: "name=systemd", Options: "name=systemd"},
				{Dir: "unified", MountPoint: "/sys/fs/cgroup/unified", Root: "/", Unified: true},
			},
		},
		{
			name: "co-mounted controllers, root flags, release agent, twice mounted",
			mountinfo: `5 1 0:1 /kubepods /var/lib/x/cg rw - cgroup cgroup rw,cpuacct,cpu
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,xattr,release_agent=/bin/x,cpu,cpuacct,clone_children
39 30 0:36 / /sys/fs/cgroup/sys\040temd rw,relatime - cgroup cgroup rw,xattr,name=systemd
`,
			want: []hierarchy{
				{Dir: "cpu,cpuacct", MountPoint: "/sys/fs/cgroup/cpu,cpuacct", Root: "/", Key: "cpu,cpuacct", Options: "xattr,cpu,cpuacct"},
				{Dir: "sys temd", MountPoint: "/sys/fs/cgroup/sys temd", Root: "/", Key: "name=systemd", Options: "xattr,name=systemd"},
			},
		},
		{
			name:      "no cgroups",
			mountinfo: "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n",
		},
	}
	for _, tt := range tests {
		got, err := parseCgroupMounts([]byte(tt.mountinfo))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	got, err := parseProcCgroup([]byte("4:memory:/a/b\n3:cpuacct,cpu:/k\n1:name=systemd:/s\n0::/u\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"memory": "/a/b", "cpu,cpuacct": "/k", "name=systemd": "/s", "": "/u"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := parseProcCgroup([]byte("garbage\n")); err == nil {
		t.Error("malformed line accepted")
	}
}

func TestPlanCgroups(t *testing.T) {
	v2only := "26 1 254:0 / / rw - ext4 /dev/vda rw\n30 22 0:27 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
	noNamed := "31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
	noDevices := "31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
	nsRoot := "31 30 0:28 /outer /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n39 30 0:36 /outer /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
	tests := []struct {
		name, mountinfo, procCgroup string
		wantDirs                    []string
		wantErr                     string
	}{
		{
			name: "hybrid", mountinfo: hybridMountinfo, procCgroup: hybridProcCgroup,
			wantDirs: []string{
				"/sys/fs/cgroup/cpu/sbx", "/sys/fs/cgroup/cpuacct/sbx", "/sys/fs/cgroup/cpuset/sbx",
				"/sys/fs/cgroup/memory/process_api/e4b49a84/sbx", "/sys/fs/cgroup/devices/sbx",
				"/sys/fs/cgroup/freezer/sbx", "/sys/fs/cgroup/blkio/sbx", "/sys/fs/cgroup/pids/sbx",
				"/sys/fs/cgroup/systemd/sbx", "/sys/fs/cgroup/unified/sbx",
			},
		},
		{
			name: "mount root below the hierarchy's root", mountinfo: nsRoot, procCgroup: "2:devices:/outer/me\n1:name=systemd:/outer\n",
			wantDirs: []string{"/sys/fs/cgroup/devices/me/sbx", "/sys/fs/cgroup/systemd/sbx"},
		},
		{name: "own cgroup outside the mount", mountinfo: nsRoot, procCgroup: "2:devices:/elsewhere\n1:name=systemd:/outer\n", wantErr: "outside the mount's root"},
		{name: "no devices controller", mountinfo: noDevices, procCgroup: "2:cpu:/\n1:name=systemd:/\n", wantErr: "no v1 devices"},
		{name: "v2 only", mountinfo: v2only, procCgroup: "0::/\n", wantErr: "cgroup v2 only"},
		{name: "no name=systemd", mountinfo: noNamed, procCgroup: "1:cpu:/\n0::/\n", wantErr: "no name=systemd"},
		{name: "no cgroups", mountinfo: "26 1 254:0 / / rw - ext4 /dev/vda rw\n", procCgroup: "", wantErr: "no cgroup hierarchy"},
		{name: "hierarchy missing from /proc/self/cgroup", mountinfo: hybridMountinfo, procCgroup: "9:name=systemd:/\n", wantErr: "not listed"},
	}
	for _, tt := range tests {
		l, err := planCgroups([]byte(tt.mountinfo), []byte(tt.procCgroup), "sbx")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(l.Dirs, tt.wantDirs) {
			t.Errorf("%s: dirs\n got  %q\n want %q", tt.name, l.Dirs, tt.wantDirs)
		}
	}
}
