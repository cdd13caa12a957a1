package options

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// Layout returns the run layout the child modes and --teardown use.
func (c *Config) Layout() run.Layout {
	return run.Layout{ID: filepath.Base(c.RunDir), Dir: c.RunDir, ReportDir: c.ReportDir}
}

// ServicesCommand is the command line of the services process, which also
// builds the suite's images from the given programs and serves them.
func (c *Config) ServicesCommand(self string, l run.Layout, pause, testImage string) []string {
	args := []string{self, "--run-services-mode", "--run-dir=" + l.Dir, "--report-dir=" + l.ReportDir,
		"--server-start-timeout=" + c.ServerStartTimeout.String(),
		"--pause-path=" + pause, "--test-image-path=" + testImage, "--busybox-path=" + c.BusyboxPath,
		"--registry-port=" + strconv.Itoa(c.RegistryPort)}
	if c.FeatureGates != "" {
		args = append(args, "--feature-gates="+c.FeatureGates)
	}
	if c.RunJobController {
		args = append(args, "--run-job-controller")
	}
	return args
}

// KubeletCommand is the command line of the kubelet-mode process. What
// the node resolves (the launcher, the runtime endpoint, the kubelet's
// places and system cgroups) is not on it: kubelet mode reads those from
// the run's node.json (kubeletmode.Recorded).
func (c *Config) KubeletCommand(self string, l run.Layout, kubelet string) []string {
	args := []string{self, "--run-kubelet-mode", "--run-dir=" + l.Dir, "--report-dir=" + l.ReportDir,
		"--node-name=" + c.NodeName,
		"--kubelet-path=" + kubelet,
		"--cgroup-driver=" + c.CgroupDriver,
	}
	if c.ImageServiceEndpoint != "" {
		args = append(args, "--image-service-endpoint="+c.ImageServiceEndpoint)
	}
	if c.KubeletConfigFile != "" {
		abs, _ := filepath.Abs(c.KubeletConfigFile)
		args = append(args, "--kubelet-config-file="+abs)
	}
	if c.FeatureGates != "" {
		args = append(args, "--feature-gates="+c.FeatureGates)
	}
	for _, f := range c.KubeletFlags {
		args = append(args, "--kubelet-flags="+f)
	}
	if c.RestartKubelet {
		args = append(args, "--restart-kubelet")
	}
	return args
}

// NewLayout returns the layout of a new run.
func (c *Config) NewLayout(now time.Time) run.Layout {
	id := run.NewID(now)
	report := c.ReportDir
	if report == "" {
		report = filepath.Join(os.TempDir(), "_artifacts", id)
	}
	abs, _ := filepath.Abs(report)
	return run.Layout{ID: id, Dir: filepath.Join(c.RunRoot, id), ReportDir: abs}
}

// NodeConfig builds the whole-node configuration for a new run. What it
// resolves (the launcher, the runtime endpoint, the binaries) the node
// records in its NodeState: read it from there.
func (c *Config) NodeConfig(ctx context.Context, l run.Layout) (services.NodeConfig, error) {
	self, err := os.Executable()
	if err != nil {
		return services.NodeConfig{}, fmt.Errorf("find e2e_node.test: %w", err)
	}
	kubelet, err := c.KubeletBinary()
	if err != nil {
		return services.NodeConfig{}, err
	}
	pause, err := c.PauseBinary()
	if err != nil {
		return services.NodeConfig{}, err
	}
	testImage, err := c.TestImageBinary()
	if err != nil {
		return services.NodeConfig{}, err
	}
	launcher, err := c.Launcher()
	if err != nil {
		return services.NodeConfig{}, err
	}
	external := ""
	if c.RuntimeAnswers(ctx) {
		external = c.ContainerRuntimeEndpoint
	}
	return services.NodeConfig{
		Layout:           l,
		NodeName:         c.NodeName,
		BearerToken:      c.BearerToken,
		ServicesCommand:  c.ServicesCommand(self, l, pause, testImage),
		KubeletCommand:   c.KubeletCommand(self, l, kubelet),
		RuntimeEndpoint:  external,
		ContainerdBinary: c.ContainerdPath,
		PodCIDR:          c.PodCIDR,
		SystemdCgroup:    c.CgroupDriver == "systemd",
		Prepull:          c.PrepullImages,
		StartTimeout:     c.ServerStartTimeout,
		Launcher:         launcher,
		Keep:             !c.StopServices,
		NodeLayout:       c.nodeLayout(),
	}, nil
}
