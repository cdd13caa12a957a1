package options

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// Preflight checks the host for the default mode before anything starts, so
// that bad input fails in seconds with a message naming the input and the
// fix. It returns every problem found. bringsUpNode is set in the process
// that starts the node (Ginkgo's process 1): only it checks the ports the
// node will use, after it has cleaned up stale runs.
func (c *Config) Preflight(ctx context.Context, bringsUpNode bool) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.KubeletConfigFile != "" {
		_, err := services.LoadKubeletConfigFile(c.KubeletConfigFile)
		add(err)
	}
	_, err := services.ParseFeatureGates(c.FeatureGates)
	add(err)
	_, err = services.ParseLauncher(c.KubeletLauncher)
	add(err)
	if !c.StartServices {
		return errors.Join(errs...)
	}
	if os.Geteuid() != 0 {
		add(errors.New("e2e_node.test must run as root to start a kubelet and a container runtime (run it with sudo, or use --start-services=false against a running node)"))
	}
	_, err = c.KubeletBinary()
	add(err)
	_, err = c.PauseBinary()
	add(err)
	_, err = c.TestImageBinary()
	add(err)
	_, err = c.Launcher()
	add(err)
	if _, err := os.Stat(c.BusyboxPath); err != nil {
		add(fmt.Errorf("--busybox-path=%s: %w (install Debian's busybox-static: hack/install-deps.sh)", c.BusyboxPath, err))
	}
	if !c.RuntimeAnswers(ctx) {
		if _, err := exec.LookPath(c.ContainerdPath); err != nil {
			add(fmt.Errorf("no container runtime: %s does not answer and --containerd-path=%s is not installed (install containerd and runc: hack/install-deps.sh, or start your runtime)", c.ContainerRuntimeEndpoint, c.ContainerdPath))
		}
	} else if _, err := exec.LookPath("ctr"); err != nil {
		add(fmt.Errorf("ctr not found on $PATH: it imports the test images into the runtime at %s (install containerd: hack/install-deps.sh)", c.ContainerRuntimeEndpoint))
	}
	if c.RegistryPort != 0 {
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.RegistryPort)); err != nil {
			add(fmt.Errorf("--registry-port=%d: 127.0.0.1:%d is in use: %w (choose another --registry-port, or 0 for a free one)", c.RegistryPort, c.RegistryPort, err))
		} else {
			ln.Close()
		}
	}
	if c.ReportDir != "" {
		add(checkOwnWritableDir(c.ReportDir, run.ReportDirError))
	}
	add(checkOwnWritableDir(c.RunRoot, run.RunRootError))
	if !bringsUpNode {
		return errors.Join(errs...)
	}
	for _, p := range []struct {
		port int
		what string
	}{{10250, "kubelet"}, {10248, "kubelet healthz"}} {
		add(checkPortFree(p.port, p.what))
	}
	// After stale runs are cleaned: a killed standard run's kubelet and
	// state are gone by now.
	add(c.checkNodeLayout(services.LiveHostProbe()))
	return errors.Join(errs...)
}

// RuntimeAnswers reports whether --container-runtime-endpoint answers CRI.
// It dials once: the preflight's answer is the one NodeConfig passes on to
// the node, which does not dial again.
func (c *Config) RuntimeAnswers(ctx context.Context) bool {
	if c.runtimeAnswers == nil {
		answers := c.dialRuntime(ctx)
		c.runtimeAnswers = &answers
	}
	return *c.runtimeAnswers
}

func (c *Config) dialRuntime(ctx context.Context) bool {
	if c.ContainerRuntimeEndpoint == "" {
		return false
	}
	sock := strings.TrimPrefix(c.ContainerRuntimeEndpoint, "unix://")
	if _, err := os.Stat(sock); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return services.CRIReady(ctx, c.ContainerRuntimeEndpoint) == nil
}

// checkOwnWritableDir creates dir if needed and checks that it is the
// user's own (run.MkdirOwn) and writable; explain wraps the error with the
// flag and the fix.
func checkOwnWritableDir(dir string, explain func(string, error) error) error {
	if err := run.MkdirOwn(dir, 0o755); err != nil {
		return explain(dir, err)
	}
	f, err := os.CreateTemp(dir, ".write-test-")
	if err != nil {
		return explain(dir, fmt.Errorf("not writable: %w", err))
	}
	f.Close()
	return os.Remove(f.Name())
}

func checkPortFree(port int, what string) error {
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return fmt.Errorf("port %d (%s) is in use: %w (stop whatever listens there, e.g. another kubelet, or set port/healthzPort in --kubelet-config-file)", port, what, err)
	}
	return ln.Close()
}
