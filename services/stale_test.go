package services

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

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

func TestStaleRunsTrustsOnlyOwnState(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to another user")
	}
	root := t.TempDir()
	write := func(id string, uid int, dirMode os.FileMode) string {
		dir := filepath.Join(root, id)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		st := NodeState{Layout: run.Layout{ID: id, Dir: dir}, HarnessPid: 1 << 30}
		if err := run.WriteJSON(filepath.Join(dir, "node.json"), st); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, dirMode); err != nil {
			t.Fatal(err)
		}
		if uid != 0 {
			for _, p := range []string{dir, filepath.Join(dir, "node.json")} {
				if err := os.Chown(p, uid, uid); err != nil {
					t.Fatal(err)
				}
			}
		}
		return dir
	}
	mine := write("20261129-120000-aaaaaa", 0, 0o700)
	theirs := write("20261129-120000-bbbbbb", 65534, 0o700)
	open := write("20261129-120000-cccccc", 0, 0o777)
	stale, ignored, err := StaleRuns(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) != 1 || stale[0].Layout.Dir != mine {
		t.Errorf("stale = %+v, want only %s", stale, mine)
	}
	joined := strings.Join(ignored, "\n")
	if !strings.Contains(joined, theirs) || !strings.Contains(joined, "uid 65534") || !strings.Contains(joined, open) || !strings.Contains(joined, "writable by group or others") {
		t.Errorf("ignored does not say which runs were left alone and why:\n%s", joined)
	}

	foreignRoot := filepath.Join(root, "planted")
	if err := os.Mkdir(foreignRoot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(foreignRoot, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, _, err := StaleRuns(foreignRoot); err == nil || !strings.Contains(err.Error(), "--run-root="+foreignRoot) || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("a run root owned by another user: err = %v, want a refusal naming it and its owner", err)
	}
}

func TestAlive(t *testing.T) {
	if !alive(os.Getpid(), "") {
		t.Error("this process is not alive")
	}
	if alive(os.Getpid(), "no-such-mark-in-the-command-line") {
		t.Error("the mark is not checked")
	}
	if alive(0, "") || alive(1<<30, "") {
		t.Error("impossible pids are alive")
	}
}
