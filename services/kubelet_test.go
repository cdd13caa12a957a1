package services

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/node-e2e/harness/internal/run"
)

func TestKubeletArgs(t *testing.T) {
	c := KubeletConfig{ConfigFile: "/r/kubelet/config.yaml", Kubeconfig: "/r/kubelet.kubeconfig", RootDir: "/r/kubelet/root", NodeName: "n1", Verbosity: 2, ExtraFlags: []string{"--v=4"}}
	want := []string{
		"--config=/r/kubelet/config.yaml",
		"--kubeconfig=/r/kubelet.kubeconfig",
		"--root-dir=/r/kubelet/root",
		"--cert-dir=/r/kubelet/root/pki",
		"--hostname-override=n1",
		"--v=2",
		"--v=4", // the user's flags come last and win
	}
	if got := c.Args(); !reflect.DeepEqual(got, want) {
		t.Errorf("Args() =\n %q\nwant\n %q", got, want)
	}
	c.RuntimeCgroups = "/node-e2e-abc/runtime"
	want = append(want[:6:6], "--runtime-cgroups=/node-e2e-abc/runtime", "--v=4")
	if got := c.Args(); !reflect.DeepEqual(got, want) {
		t.Errorf("Args() with RuntimeCgroups =\n %q\nwant\n %q", got, want)
	}
}

func TestSplitFlags(t *testing.T) {
	got := SplitFlags([]string{"--a=1 --b=2", "  --c=3 "})
	if want := []string{"--a=1", "--b=2", "--c=3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SplitFlags = %q, want %q", got, want)
	}
}

func TestLauncherResolve(t *testing.T) {
	withSystemd := t.TempDir()
	if err := os.MkdirAll(filepath.Join(withSystemd, "run", "systemd", "system"), 0o755); err != nil {
		t.Fatal(err)
	}
	// systemd-run installed but systemd not running: a file, not a dir, or
	// nothing at all under /run/systemd.
	withoutSystemd := t.TempDir()
	if err := os.MkdirAll(filepath.Join(withoutSystemd, "run", "systemd"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withoutSystemd, "run", "systemd", "system"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	cases := []struct {
		l    Launcher
		root string
		want Launcher
	}{
		{LauncherAuto, withSystemd, LauncherSystemd},
		{LauncherAuto, withoutSystemd, LauncherDirect},
		{LauncherAuto, empty, LauncherDirect},
		{LauncherDirect, withSystemd, LauncherDirect},
		{LauncherSystemd, empty, LauncherSystemd},
	}
	for _, c := range cases {
		if got := c.l.Resolve(c.root); got != c.want {
			t.Errorf("%s.Resolve(%s) = %s, want %s", c.l, c.root, got, c.want)
		}
	}
	if _, err := ParseLauncher("systemd-run"); err == nil || !strings.Contains(err.Error(), "--kubelet-launcher") {
		t.Errorf("ParseLauncher(systemd-run) = %v", err)
	}
}

func TestKubeletUnit(t *testing.T) {
	l := run.Layout{ID: "20261130-0300-1a2b3c", Dir: "/runs/20261130-0300-1a2b3c"}
	for _, c := range []struct {
		launcher Launcher
		want     string
	}{
		{LauncherSystemd, l.KubeletUnitName()},
		{LauncherDirect, ""},
		{"", ""},
	} {
		if got := KubeletUnit(l, c.launcher); got != c.want {
			t.Errorf("KubeletUnit(%q) = %q, want %q", c.launcher, got, c.want)
		}
	}
	if l.KubeletUnitName() == "" {
		t.Error("the layout names no kubelet unit")
	}
}
