package kubeletmode

import (
	"reflect"
	"testing"
)

func TestSystemdRunArgs(t *testing.T) {
	got := SystemdRunArgs("node-e2e-kubelet-abc", []string{"/bin/kubelet", "--v=2"})
	want := []string{
		"--unit=node-e2e-kubelet-abc",
		"--description=node e2e kubelet (node-e2e-kubelet-abc)",
		"--collect",
		"--property=Delegate=yes",
		"--property=CPUAccounting=yes",
		"--property=MemoryAccounting=yes",
		"--property=Restart=no",
		"--property=KillMode=control-group",
		"--property=TimeoutStopSec=30",
		"--",
		"/bin/kubelet", "--v=2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SystemdRunArgs() =\n %q\nwant\n %q", got, want)
	}
}
