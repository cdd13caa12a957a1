package services

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/node-e2e/harness/internal/run"
)

// Launcher names how the kubelet is started.
type Launcher string

const (
	// LauncherAuto picks systemd when the host booted with systemd.
	LauncherAuto Launcher = "auto"
	// LauncherDirect runs the kubelet as a supervised child process.
	LauncherDirect Launcher = "direct"
	// LauncherSystemd runs the kubelet in a transient systemd unit.
	LauncherSystemd Launcher = "systemd"
)

// ParseLauncher validates a --kubelet-launcher value.
func ParseLauncher(s string) (Launcher, error) {
	switch l := Launcher(s); l {
	case LauncherAuto, LauncherDirect, LauncherSystemd:
		return l, nil
	}
	return "", fmt.Errorf("--kubelet-launcher=%q: want auto, direct or systemd", s)
}

// Resolve turns auto into direct or systemd for a host whose root is root
// ("/" normally).
func (l Launcher) Resolve(root string) Launcher {
	if l != LauncherAuto {
		return l
	}
	if BootedWithSystemd(root) {
		return LauncherSystemd
	}
	return LauncherDirect
}

// KubeletUnit is the systemd unit the run l's kubelet runs in when
// launcher (resolved) is systemd, "" otherwise.
func KubeletUnit(l run.Layout, launcher Launcher) string {
	if launcher != LauncherSystemd {
		return ""
	}
	return l.KubeletUnitName()
}

// BootedWithSystemd reports whether the host under root runs systemd as its
// init: the same test as sd_booted(3), the existence of the directory
// /run/systemd/system. A systemd-run binary on the PATH proves nothing.
func BootedWithSystemd(root string) bool {
	st, err := os.Lstat(filepath.Join(root, "run", "systemd", "system"))
	return err == nil && st.IsDir()
}

// KubeletConfig is the kubelet's command line.
type KubeletConfig struct {
	// Binary is the kubelet executable.
	Binary string
	// ConfigFile is the generated KubeletConfiguration.
	ConfigFile string
	// Kubeconfig reaches the API server as the node.
	Kubeconfig string
	// RootDir is --root-dir, under the run dir.
	RootDir string
	// NodeName is --hostname-override, the Node's name.
	NodeName string
	// Verbosity is --v. Default 2 (set by the caller's config).
	Verbosity int
	// RuntimeCgroups is --runtime-cgroups, the container runtime's cgroup,
	// which the Summary API reports as the "runtime" system container; ""
	// leaves it unset.
	RuntimeCgroups string
	// ExtraFlags come from --kubelet-flags and go last, so they win.
	ExtraFlags []string
	// Cgroup is the cgroup the direct launcher moves the kubelet into as
	// it starts (its kubeletCgroups): the kubelet would move itself there,
	// but refuses to where it cannot read /proc/1/ns/pid. "" leaves it.
	Cgroup string
}

// Args returns the kubelet's arguments (without the binary).
func (c KubeletConfig) Args() []string {
	args := []string{
		"--config=" + c.ConfigFile,
		"--kubeconfig=" + c.Kubeconfig,
		"--root-dir=" + c.RootDir,
		"--cert-dir=" + filepath.Join(c.RootDir, "pki"),
		"--hostname-override=" + c.NodeName,
		"--v=" + strconv.Itoa(c.Verbosity),
	}
	if c.RuntimeCgroups != "" {
		args = append(args, "--runtime-cgroups="+c.RuntimeCgroups)
	}
	return append(args, c.ExtraFlags...)
}

// SplitFlags splits each --kubelet-flags value on spaces, as upstream does:
// --kubelet-flags="--a=1 --b=2" gives two flags.
func SplitFlags(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.Fields(v)...)
	}
	return out
}
