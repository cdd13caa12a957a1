package runnertest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	wd, _ := os.Getwd()
	if want, _ := filepath.Abs("../../.."); root != want || wd == root {
		t.Errorf("RepoRoot = %s, want %s", root, want)
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); b.Write([]byte("ab")) }()
	}
	wg.Wait()
	if got := b.String(); len(got) != 20 {
		t.Errorf("String() = %q, want 20 bytes", got)
	}
}
