package sandbox

import (
	"encoding/json"
	"reflect"
	"slices"
	"syscall"
	"testing"
)

func testPlanInput() planInput {
	hs, _ := parseCgroupMounts([]byte(hybridMountinfo))
	return planInput{
		Name: "sbx", MachineID: "0123", Console: "/dev/pts/7", Hierarchies: hs,
		Binds:  []Bind{{Source: "/work/main", Target: "/work/main"}, {Source: "/tmp/r", Target: "/run/report", ReadOnly: true}},
		Tmpfs:  []string{"/var/lib/containerd/"},
		Masked: []string{"systemd-sysctl.service"}, Generators: []string{"systemd-fstab-generator"},
	}
}

// find returns the index of the first step of kind on target, or -1.
func find(steps []step, kind stepKind, target string) int {
	return slices.IndexFunc(steps, func(s step) bool { return s.Kind == kind && s.Target == target })
}

func TestBuildPlanSteps(t *testing.T) {
	steps := buildPlan(testPlanInput())
	tests := []struct {
		name string
		kind stepKind
		want step
	}{
		{"fresh proc", stepMount, step{Kind: stepMount, Source: "proc", Target: "/proc", FSType: "proc", Flags: nosuid | nodev | noexec}},
		{"proc/sys read-only", stepRebind, step{Kind: stepRebind, Target: "/proc/sys", Flags: nosuid | nodev | noexec, ReadOnly: true}},
		{"net sysctls writable", stepRebind, step{Kind: stepRebind, Target: "/proc/sys/net", Flags: nosuid | nodev | noexec}},
		{"read-only sysfs", stepMount, step{Kind: stepMount, Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: syscall.MS_RDONLY | nosuid | nodev | noexec}},
		{"cgroup tmpfs", stepMount, step{Kind: stepMount, Source: "sbx", Target: "/sys/fs/cgroup", FSType: "tmpfs", Flags: nosuid | nodev | noexec, Data: "mode=755"}},
		{"cgroup tmpfs read-only", stepRemount, step{Kind: stepRemount, Target: "/sys/fs/cgroup", Flags: nosuid | nodev | noexec, ReadOnly: true}},
		{"v1 controller", stepMount, step{Kind: stepMount, Source: "cgroup", Target: "/sys/fs/cgroup/memory", FSType: "cgroup", Flags: nosuid | nodev | noexec, Data: "memory"}},
		{"named hierarchy", stepMount, step{Kind: stepMount, Source: "cgroup", Target: "/sys/fs/cgroup/systemd", FSType: "cgroup", Flags: nosuid | nodev | noexec, Data: "name=systemd"}},
		{"unified", stepMount, step{Kind: stepMount, Source: "cgroup2", Target: "/sys/fs/cgroup/unified", FSType: "cgroup2", Flags: nosuid | nodev | noexec}},
		{"dev tmpfs", stepMount, step{Kind: stepMount, Source: "sbx", Target: "/dev", FSType: "tmpfs", Flags: nosuid, Data: "mode=755,size=65536k"}},
		{"null", stepBind, step{Kind: stepBind, Source: "/dev/null", Target: "/dev/null", Flags: nosuid | noexec}},
		{"fuse optional", stepBind, step{Kind: stepBind, Source: "/dev/fuse", Target: "/dev/fuse", Flags: nosuid | noexec, Optional: true}},
		{"kmsg read-only", stepBind, step{Kind: stepBind, Source: "/dev/kmsg", Target: "/dev/kmsg", Flags: nosuid | noexec, ReadOnly: true}},
		{"console", stepBind, step{Kind: stepBind, Source: "/dev/pts/7", Target: "/dev/console", Flags: nosuid | noexec}},
		{"new devpts", stepMount, step{Kind: stepMount, Source: "devpts", Target: "/dev/pts", FSType: "devpts", Flags: nosuid | noexec, Data: "newinstance,ptmxmode=0666,mode=620,gid=5"}},
		{"ptmx", stepSymlink, step{Kind: stepSymlink, Source: "pts/ptmx", Target: "/dev/ptmx"}},
		{"mqueue", stepMount, step{Kind: stepMount, Source: "mqueue", Target: "/dev/mqueue", FSType: "mqueue", Flags: nosuid | nodev | noexec}},
		{"run", stepMount, step{Kind: stepMount, Source: "sbx", Target: "/run", FSType: "tmpfs", Flags: nosuid | nodev, Data: "mode=755"}},
		{"tmp", stepMount, step{Kind: stepMount, Source: "sbx", Target: "/tmp", FSType: "tmpfs", Flags: nosuid | nodev, Data: "mode=1777"}},
		{"requested tmpfs, cleaned", stepMount, step{Kind: stepMount, Source: "sbx", Target: "/var/lib/containerd", FSType: "tmpfs", Data: "mode=755"}},
		{"rw bind", stepBind, step{Kind: stepBind, Source: "/work/main", Target: "/work/main"}},
		{"ro bind", stepBind, step{Kind: stepBind, Source: "/tmp/r", Target: "/run/report", ReadOnly: true}},
	}
	for _, tt := range tests {
		i := find(steps, tt.kind, tt.want.Target)
		if i < 0 {
			t.Errorf("%s: no %s step for %s", tt.name, tt.kind, tt.want.Target)
			continue
		}
		if !reflect.DeepEqual(steps[i], tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, steps[i], tt.want)
		}
	}
	var cgroupMounts int
	for _, s := range steps {
		if s.FSType == "cgroup" || s.FSType == "cgroup2" {
			cgroupMounts++
		}
	}
	if cgroupMounts != 10 {
		t.Errorf("%d cgroup mounts, want one per host hierarchy (10)", cgroupMounts)
	}
}

func TestBuildPlanOrder(t *testing.T) {
	steps := buildPlan(testPlanInput())
	before := []struct {
		a, b         string
		aKind, bKind stepKind
	}{
		{"/proc", "/proc/sys", stepMount, stepRebind},
		{"/proc/sys", "/proc/sys/net", stepRebind, stepRebind},
		{"/sys", "/sys/fs/cgroup", stepMount, stepMount},
		{"/sys/fs/cgroup", "/sys/fs/cgroup/cpu", stepMount, stepMount},
		{"/sys/fs/cgroup/unified", "/sys/fs/cgroup", stepMount, stepRemount},
		{"/dev", "/dev/null", stepMount, stepBind},
		{"/dev", "/dev/pts", stepMount, stepMount},
		{"/run", "/run/report", stepMount, stepBind},
		{"/etc/hostname", "/work/main", stepFile, stepBind},
	}
	for _, o := range before {
		i, j := find(steps, o.aKind, o.a), find(steps, o.bKind, o.b)
		if i < 0 || j < 0 || i >= j {
			t.Errorf("%s %s (step %d) must come before %s %s (step %d)", o.aKind, o.a, i, o.bKind, o.b, j)
		}
	}
	// The requested binds come last, in order.
	n := len(steps)
	if steps[n-2].Target != "/work/main" || steps[n-1].Target != "/run/report" {
		t.Errorf("binds are not last: %+v %+v", steps[n-2], steps[n-1])
	}
}

func TestStage2PlanJSON(t *testing.T) {
	p := stage2Plan{Name: "sbx", Steps: buildPlan(testPlanInput()), Exec: pid1Args(DefaultSystemd), Env: pid1Env()}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back stage2Plan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, back) {
		t.Error("plan does not survive the trip to the second stage")
	}
}
