package services

import (
	"errors"
	"strings"
	"testing"
)

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
