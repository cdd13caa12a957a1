package e2e_node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/e2e_node/options"
	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
	"github.com/node-e2e/harness/services/controlplane"
	"github.com/node-e2e/harness/services/imageserver"
	"github.com/node-e2e/harness/services/standalone"
)

// usageError is bad input found before anything started: exit 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// runStandaloneServices is services mode started by a user (no --run-dir):
// it creates its own run, serves the control plane and the image registry
// for a kubelet the user runs, prints how to run it, and on SIGINT/SIGTERM
// stops everything and removes the run directory.
func runStandaloneServices(c *options.Config) (err error) {
	start := time.Now()
	// Signals first: a SIGTERM at any moment from here on is honoured.
	ctx, cancel := signalContext()
	defer cancel()
	ctx = klog.NewContext(ctx, klog.Background())
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find e2e_node.test: %w", err)
	}
	pause, err := c.PauseBinary()
	if err != nil {
		return usageError{err}
	}
	testImage, err := c.TestImageBinary()
	if err != nil {
		return usageError{err}
	}
	gates, err := services.ParseFeatureGates(c.FeatureGates)
	if err != nil {
		return usageError{err}
	}
	kubelet, kerr := c.KubeletBinary()
	if kerr != nil {
		kubelet = "kubelet" // only printed: the user brings their own
	}
	l := c.NewLayout(start)
	if err := l.Create(); err != nil {
		return usageError{err}
	}
	defer func() {
		if rerr := standalone.RemoveRun(l); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove run directory: %w", rerr))
		}
	}()
	fmt.Printf("standalone services in %s (logs in %s)\n", l.Dir, l.ReportDir)
	sc := standalone.Config{
		Layout:          l,
		NodeName:        c.NodeName,
		BearerToken:     c.BearerToken,
		KubeletBinary:   kubelet,
		SuiteBinary:     self,
		RuntimeEndpoint: c.ContainerRuntimeEndpoint,
		CgroupDriver:    c.CgroupDriver,
		FeatureGates:    gates,
	}
	if err := standalone.GenerateCredentials(sc); err != nil {
		return err
	}
	ic := images.NewConfig()
	ic.PauseBinary, ic.TestImageBinary, ic.BusyboxBinary, ic.WorkDir = pause, testImage, c.BusyboxPath, l.ImagesDir()
	reg := imageserver.New(imageserver.Config{
		Port:    c.RegistryPort,
		Images:  ic,
		LogPath: filepath.Join(l.ReportDir, "registry.log"),
	})
	err = controlplane.Serve(ctx, controlplane.Config{
		Layout:           l,
		FeatureGates:     c.FeatureGates,
		StartTimeout:     c.ServerStartTimeout,
		RunJobController: c.RunJobController,
		OnReady: func(st run.ServicesState) error {
			info, err := standalone.WriteFiles(sc, st)
			if err != nil {
				return err
			}
			fmt.Print(standalone.Summary(info, c.NodeName, time.Since(start)))
			return nil
		},
	}, reg)
	if err != nil && ctx.Err() != nil {
		// Signalled while starting: the user asked to stop, and did.
		klog.Background().Info("stopped while starting", "err", err)
		err = nil
	}
	if err == nil {
		fmt.Printf("stopped; removing %s\n", l.Dir)
	}
	return err
}
