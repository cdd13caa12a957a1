package services

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingPaths(t *testing.T) {
	dir := t.TempDir()
	there := filepath.Join(dir, "there")
	if err := os.Mkdir(there, 0o755); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "gone")
	got := MissingPaths([]string{there, gone})
	if len(got) != 1 || got[0] != gone {
		t.Errorf("MissingPaths = %v, want [%s]", got, gone)
	}
}

// shortTempDir is a temp dir with a path short enough for unix sockets.
func shortTempDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "hp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestRemoveIfOnlyLeftovers(t *testing.T) {
	// A dead socket: bound, then the listener closed without unlinking.
	deadSocket := func(t *testing.T, path string) {
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		l.SetUnlinkOnClose(false)
		l.Close()
	}
	t.Run("empty dirs and dead sockets are removed", func(t *testing.T) {
		dir := filepath.Join(shortTempDir(t), "kubelet")
		if err := os.MkdirAll(filepath.Join(dir, "device-plugins", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		deadSocket(t, filepath.Join(dir, "device-plugins", "kubelet.sock"))
		if err := RemoveIfOnlyLeftovers(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s still exists", dir)
		}
	})
	t.Run("a regular file keeps the directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "logs")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "someone-elses.log"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		err := RemoveIfOnlyLeftovers(dir)
		if err == nil || !strings.Contains(err.Error(), "someone-elses.log") {
			t.Errorf("err = %v", err)
		}
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s removed: %v", dir, err)
		}
	})
	t.Run("a live socket keeps the directory", func(t *testing.T) {
		dir := filepath.Join(shortTempDir(t), "live")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("unix", filepath.Join(dir, "in-use.sock"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if err := RemoveIfOnlyLeftovers(dir); err == nil || !strings.Contains(err.Error(), "live socket") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a missing directory is fine", func(t *testing.T) {
		if err := RemoveIfOnlyLeftovers(filepath.Join(t.TempDir(), "nope")); err != nil {
			t.Error(err)
		}
	})
}
