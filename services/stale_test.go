package services

import "testing"

// TestRevivedBinary: stale cleanup revives the containerd the run
// recorded, and containerd from $PATH for a node.json written before the
// binary was recorded.
func TestRevivedBinary(t *testing.T) {
	for _, c := range []struct {
		recorded, want string
	}{
		{"/opt/containerd-2.0/bin/containerd", "/opt/containerd-2.0/bin/containerd"},
		{"", "containerd"},
	} {
		if got := revivedBinary(NodeState{OwnRuntime: true, ContainerdBinary: c.recorded}); got != c.want {
			t.Errorf("recorded %q: revived %q, want %q", c.recorded, got, c.want)
		}
	}
}
