package services

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-e2e/harness/internal/run"
)

func TestRemoveStandardDir(t *testing.T) {
	fill := func(t *testing.T) string {
		d := filepath.Join(t.TempDir(), "kubelet")
		for _, p := range []string{"pods/uid/volumes", "plugins"} {
			if err := os.MkdirAll(filepath.Join(d, p), 0o750); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(d, "cpu_manager_state"), []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		return d
	}
	t.Run("created by the run: removed whole", func(t *testing.T) {
		d := fill(t)
		if err := removeStandardDir(d, true); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still there: %v", d, err)
		}
	})
	t.Run("there before: emptied, kept", func(t *testing.T) {
		d := fill(t)
		if err := removeStandardDir(d, false); err != nil {
			t.Fatal(err)
		}
		if names, err := os.ReadDir(d); err != nil || len(names) != 0 {
			t.Errorf("%s: %v, %v; want it empty", d, names, err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if err := removeStandardDir(filepath.Join(t.TempDir(), "none"), false); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOwnedBySandboxes(t *testing.T) {
	l := run.Layout{ID: "20261129-120000-1a2b3c"}
	sb := func(ns string) *runtimeapi.PodSandbox {
		return &runtimeapi.PodSandbox{Metadata: &runtimeapi.PodSandboxMetadata{Namespace: ns}, CreatedAt: time.Now().UnixNano()}
	}
	shared := ownedBy(NodeState{Layout: l, Started: time.Now().Add(-time.Hour)})
	for ns, want := range map[string]bool{
		"e2e-1a2b3c-pods-x7k2p": true,
		"e2e-9z9z9z-pods-x7k2p": false, // another run's, started after this one
		"kube-system":           false,
		"default":               false,
	} {
		if got := shared(sb(ns)); got != want {
			t.Errorf("shared runtime: sandbox in %s owned = %v, want %v", ns, got, want)
		}
	}
	if own := ownedBy(NodeState{Layout: l, OwnRuntime: true}); !own(sb("kube-system")) {
		t.Error("the harness's own runtime: every sandbox is the run's")
	}
}
