package run

import "testing"

func TestContainerdEndpoint(t *testing.T) {
	l := Layout{ID: "r1", Dir: "/runs/r1"}
	if got, want := l.ContainerdEndpoint(), "unix:///runs/r1/containerd/containerd.sock"; got != want {
		t.Errorf("ContainerdEndpoint() = %q, want %q", got, want)
	}
	if got, want := l.NodeState(), "/runs/r1/node.json"; got != want {
		t.Errorf("NodeState() = %q, want %q", got, want)
	}
}
