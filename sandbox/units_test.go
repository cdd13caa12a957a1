package sandbox

import (
	"slices"
	"strings"
	"testing"
)

func TestMaskedUnits(t *testing.T) {
	tests := []struct {
		name             string
		installed, extra []string
		want, notWant    []string
	}{
		{
			name:    "built-in list",
			want:    []string{"systemd-timesyncd.service", "systemd-modules-load.service", "systemd-sysctl.service", "systemd-binfmt.service", "getty@.service", "console-getty.service", "systemd-random-seed.service", "systemd-journald-audit.socket"},
			notWant: []string{"systemd-journald.service", "dbus.socket", "systemd-journald.socket"},
		},
		{
			name:      "clashing host units",
			installed: []string{"containerd.service", "etcd.service", "docker.socket", "kubelet.service", "ssh.service", "postgresql.service", "containerd.conf", "dbus.service"},
			want:      []string{"containerd.service", "etcd.service", "docker.socket", "kubelet.service"},
			notWant:   []string{"ssh.service", "postgresql.service", "containerd.conf", "dbus.service"},
		},
		{
			name:  "extra",
			extra: []string{"foo.service", "systemd-sysctl.service"},
			want:  []string{"foo.service"},
		},
	}
	for _, tt := range tests {
		got := MaskedUnits(tt.installed, tt.extra)
		for _, u := range tt.want {
			if !slices.Contains(got, u) {
				t.Errorf("%s: %s not masked (got %v)", tt.name, u, got)
			}
		}
		for _, u := range tt.notWant {
			if slices.Contains(got, u) {
				t.Errorf("%s: %s masked", tt.name, u)
			}
		}
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("%s: not sorted or not unique: %v", tt.name, got)
		}
	}
}

func TestEtcSteps(t *testing.T) {
	steps := etcSteps("sbx", DefaultNodeAddress, "0123", []string{"a.service"}, []string{"systemd-fstab-generator"})
	byTarget := map[string]step{}
	for _, s := range steps {
		byTarget[s.Target] = s
	}
	tests := []struct {
		target   string
		kind     stepKind
		contains string
	}{
		{"/etc/hostname", stepFile, "sbx\n"},
		{"/etc/hosts", stepFile, "198.18.0.2\tsbx\n"},
		{"/etc/machine-id", stepFile, "0123\n"},
		{"/etc/systemd/system/" + TargetUnit, stepFile, "Requires=sysinit.target systemd-journald.socket"},
		{"/etc/systemd/system/" + TargetUnit, stepFile, "dbus.socket"},
		{"/etc/systemd/journald.conf.d/systemd-sandbox.conf", stepFile, "ReadKMsg=no"},
		{"/etc/systemd/system/a.service", stepSymlink, "/dev/null"},
		{"/etc/systemd/system-generators/systemd-fstab-generator", stepSymlink, "/dev/null"},
	}
	for _, tt := range tests {
		s, ok := byTarget[tt.target]
		if !ok {
			t.Errorf("no step for %s", tt.target)
			continue
		}
		if s.Kind != tt.kind || !strings.Contains(s.Data+s.Source, tt.contains) {
			t.Errorf("%s: %+v, want %s containing %q", tt.target, s, tt.kind, tt.contains)
		}
	}
	if strings.Contains(targetUnitText, "multi-user") || strings.Contains(targetUnitText, "getty") {
		t.Error("the target pulls in more than the minimal system")
	}
}
