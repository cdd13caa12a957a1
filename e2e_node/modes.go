package e2e_node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/e2e_node/options"
	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/services"
	"github.com/node-e2e/harness/services/controlplane"
	"github.com/node-e2e/harness/services/imageserver"
	"github.com/node-e2e/harness/services/kubeletmode"
)

// Exit codes of e2e_node.test.
const (
	// ExitOK: every selected spec passed (or the mode ended cleanly).
	ExitOK = 0
	// ExitSpecsFailed: at least one spec failed (Ginkgo's own code).
	ExitSpecsFailed = 1
	// ExitUsage: bad flags or bad input, found before anything started.
	ExitUsage = 2
	// ExitHarness: the harness failed (node startup, a mode, teardown).
	ExitHarness = 3
)

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runServicesMode serves the control plane until signalled: in the run
// dir the harness made (--run-dir, when it re-executes itself), or, given
// alone, in a run of its own for a kubelet the user runs (standalone.go).
func runServicesMode(c *options.Config) error {
	if c.RunDir == "" {
		return runStandaloneServices(c)
	}
	ctx, cancel := signalContext()
	defer cancel()
	ctx = klog.NewContext(ctx, klog.Background())
	l := c.Layout()
	ic := images.NewConfig()
	ic.PauseBinary, ic.TestImageBinary, ic.BusyboxBinary, ic.WorkDir = c.PausePath, c.TestImagePath, c.BusyboxPath, l.ImagesDir()
	reg := imageserver.New(imageserver.Config{
		Port:    c.RegistryPort,
		Images:  ic,
		LogPath: filepath.Join(l.ReportDir, "registry.log"),
	})
	return controlplane.Serve(ctx, controlplane.Config{
		Layout:           l,
		FeatureGates:     c.FeatureGates,
		StartTimeout:     c.ServerStartTimeout,
		RunJobController: c.RunJobController,
	}, reg)
}

// runKubeletMode runs the kubelet until signalled.
func runKubeletMode(c *options.Config) error {
	if c.RunDir == "" {
		return errors.New("--run-kubelet-mode needs --run-dir (the harness sets it when it re-executes itself)")
	}
	gates, err := services.ParseFeatureGates(c.FeatureGates)
	if err != nil {
		return err
	}
	kubelet, err := c.KubeletBinary()
	if err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	ctx = klog.NewContext(ctx, klog.Background())
	// SIGUSR1 asks for a controlled restart of the kubelet (the Disruptive
	// kubelet-restart specs send it).
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	restarts := make(chan struct{})
	go func() {
		for range usr1 {
			select {
			case restarts <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	// The launcher, runtime endpoint, places and system cgroups the node
	// resolved are read from its node.json (kubeletmode.Recorded).
	return kubeletmode.Run(ctx, kubeletmode.Config{
		Layout: c.Layout(),
		Kubelet: services.KubeletConfig{
			Binary:     kubelet,
			NodeName:   c.NodeName,
			Verbosity:  2,
			ExtraFlags: services.SplitFlags(c.KubeletFlags),
		},
		UserConfigFile: c.KubeletConfigFile,
		ImageEndpoint:  c.ImageServiceEndpoint,
		CgroupDriver:   c.CgroupDriver,
		FeatureGates:   gates,
		Supervision:    kubeletmode.Supervision{Restart: c.RestartKubelet, RestartRequests: restarts},
	})
}

// runTeardown removes a node left running.
func runTeardown(c *options.Config) error {
	t := time.Now()
	if err := services.TeardownFromState(c.Teardown); err != nil {
		return err
	}
	fmt.Printf("tore down %s in %s\n", c.Teardown, time.Since(t).Round(time.Millisecond))
	return nil
}
