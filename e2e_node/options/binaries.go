package options

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/node-e2e/harness/services"
)

// Launcher resolves --kubelet-launcher for this host.
func (c *Config) Launcher() (services.Launcher, error) {
	l, err := services.ParseLauncher(c.KubeletLauncher)
	if err != nil {
		return "", err
	}
	l = l.Resolve("/")
	if l == services.LauncherSystemd && !services.BootedWithSystemd("/") {
		return "", errors.New("--kubelet-launcher=systemd: this host did not boot with systemd (/run/systemd/system is missing), so systemd-run cannot work; use --kubelet-launcher=direct or auto")
	}
	return l, nil
}

// besideSelf returns the path of name next to this binary, if it exists.
func besideSelf(name string) string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(self), name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p
	}
	return ""
}

// KubeletBinary resolves --kubelet-path.
func (c *Config) KubeletBinary() (string, error) {
	return findBinary("--kubelet-path", c.KubeletPath, "kubelet", "build it with 'make build' (hack/build.sh kubelet) or pass --kubelet-path")
}

// PauseBinary resolves --pause-path.
func (c *Config) PauseBinary() (string, error) {
	return findBinary("--pause-path", c.PausePath, "pause", "build it with 'make build' (hack/build.sh pause) or pass --pause-path")
}

// TestImageBinary resolves --test-image-path.
func (c *Config) TestImageBinary() (string, error) {
	return findBinary("--test-image-path", c.TestImagePath, "testimage", "build it with 'make build' (hack/build.sh testimage) or pass --test-image-path")
}

func findBinary(flagName, given, name, fix string) (string, error) {
	if given != "" {
		p, err := exec.LookPath(given)
		if err != nil {
			return "", fmt.Errorf("%s=%s: %w (%s)", flagName, given, err, fix)
		}
		return filepath.Abs(p)
	}
	if p := besideSelf(name); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	return "", fmt.Errorf("%s: no %s binary next to e2e_node.test or on $PATH (%s)", flagName, name, fix)
}
