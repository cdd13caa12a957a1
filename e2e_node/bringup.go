package e2e_node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/node-e2e/harness/e2e_node/nodefacts"
	"github.com/node-e2e/harness/e2e_node/options"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
	"github.com/node-e2e/harness/services/registry"
)

// nodeFactsFile is, in the report dir, what the suite learned about a
// node it did not start.
const nodeFactsFile = "node-facts.json"

// external is process 1's knowledge of a node the harness did not start
// (--start-services=false with --kubeconfig or --host), found in TestMain
// before any spec so that bad input fails in seconds.
var external struct {
	facts  *nodefacts.Facts
	remote registry.Remote
	// images is how the node got the suite's images; finished after the
	// specs.
	images *extImages
}

// setUpNode brings up the node (or finds the one the flags name) and
// returns how to reach it.
func setUpNode(ctx context.Context) (suiteInfo, error) {
	switch {
	case !cfg.StartServices && cfg.RunDir != "":
		return leftNode()
	case !cfg.StartServices:
		return externalNode(ctx)
	}
	l := cfg.NewLayout(time.Now())
	harness.layout = l
	nc, err := cfg.NodeConfig(ctx, l)
	if err != nil {
		return suiteInfo{}, err
	}
	node := services.NewNode(nc)
	harness.node = node
	runReport.node = node
	fmt.Fprintf(os.Stdout, "bringing up node %s in %s (logs in %s)\n", cfg.NodeName, l.Dir, l.ReportDir)
	err = node.Start(ctx)
	writePhases(os.Stdout, "startup phases:", node.Phases())
	if err != nil {
		harness.node = nil // Start tore down what it started.
		return suiteInfo{}, err
	}
	fmt.Fprintf(os.Stdout, "node %s is Ready\n", cfg.NodeName)
	info := harnessNodeInfo(node.State())
	if !cfg.StopServices {
		instructions := keepInstructions(info, node.State())
		fmt.Fprint(os.Stdout, instructions)
		_ = run.WriteFile(filepath.Join(l.ReportDir, "node-instructions.txt"), []byte(instructions), 0o644)
	}
	return info, nil
}

// harnessNodeInfo is what the specs need of a node the harness started,
// from its recorded state.
func harnessNodeInfo(st services.NodeState) suiteInfo {
	l := st.Layout
	return suiteInfo{
		Kubeconfig:       l.AdminKubeconfig(),
		NodeName:         st.NodeName,
		RuntimeEndpoint:  st.RuntimeEndpoint,
		StaticPodDir:     l.StaticPodDir(),
		PodLogsDir:       st.PodLogsDir,
		KubeletRootDir:   st.KubeletRootDir,
		CgroupRoot:       st.CgroupRootDir(),
		SystemdCgroup:    st.SystemdCgroup,
		Launcher:         string(st.Launcher),
		RunDir:           l.Dir,
		ReportDir:        l.ReportDir,
		Registry:         st.Registry,
		OwnRuntime:       st.OwnRuntime,
		NodePulls:        st.OwnRuntime,
		PrivateNeedsAuth: true,
	}
}

// leftNode is a node a --stop-services=false run left running
// (--run-dir): its node.json says everything.
func leftNode() (suiteInfo, error) {
	l := run.Layout{Dir: cfg.RunDir}
	var st services.NodeState
	if err := run.ReadJSON(l.NodeState(), &st); err != nil {
		return suiteInfo{}, fmt.Errorf("--run-dir=%s: %w (give the run directory printed by a --stop-services=false run)", cfg.RunDir, err)
	}
	harness.layout = st.Layout
	return harnessNodeInfo(st), nil
}

// restConfig is how the suite reaches the API server of a node it did not
// start, and a name for it in messages.
func restConfig(c *options.Config) (*rest.Config, string, error) {
	if c.Kubeconfig != "" {
		rc, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
		if err != nil {
			return nil, "", usageError{fmt.Errorf("--kubeconfig=%s: %w", c.Kubeconfig, err)}
		}
		return rc, "--kubeconfig=" + c.Kubeconfig, nil
	}
	info := suiteInfo{Host: c.Host, HostCAFile: c.HostCAFile, BearerToken: c.BearerToken}
	return &rest.Config{Host: c.Host, BearerToken: c.BearerToken, TLSClientConfig: hostTLS(info)}, "--host=" + c.Host, nil
}

// prepareExternal learns the node a run with --start-services=false
// tests and checks --image-registry, before any spec (process 1). It
// returns the exit code to stop with: ExitUsage for bad input.
func prepareExternal() int {
	if cfg.StartServices || cfg.RunDir != "" {
		return ExitOK
	}
	ctx := context.Background()
	err := func() error {
		rc, where, err := restConfig(cfg)
		if err != nil {
			return err
		}
		external.facts, err = nodefacts.Discover(ctx, factsConfig(cfg, where), rc)
		if ierr := (nodefacts.InputError{}); errors.As(err, &ierr) {
			return usageError{ierr}
		} else if err != nil {
			return err
		}
		external.remote, err = checkImageRegistry(ctx, cfg)
		return err
	}()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(os.Stderr, "e2e_node.test: cannot start:\n%v\n", err)
	if errors.As(err, new(usageError)) {
		return ExitUsage
	}
	return ExitHarness
}

// factsConfig is what the flags say about a node the harness did not
// start. Where a flag has a default for the harness's own node
// (--node-name, --cgroup-driver, --container-runtime-endpoint), only a
// value given on the command line counts.
func factsConfig(c *options.Config, where string) nodefacts.Config {
	o := map[string]string{
		nodefacts.StaticPodPath:  c.External.StaticPodPath,
		nodefacts.PodLogsDir:     c.External.PodLogsDir,
		nodefacts.CgroupRoot:     c.External.CgroupRoot,
		nodefacts.KubeletRootDir: c.External.KubeletRootDir,
	}
	if c.Explicit("cgroup-driver") {
		o[nodefacts.CgroupDriver] = c.CgroupDriver
	}
	if c.Explicit("container-runtime-endpoint") {
		o[nodefacts.RuntimeEndpoint] = c.ContainerRuntimeEndpoint
	}
	return nodefacts.Config{NodeName: c.NodeName, Named: c.Explicit("node-name"), Where: where, Overrides: o}
}

// externalNode describes the node prepareExternal found, gets the
// suite's images to it, and writes node-facts.json.
func externalNode(ctx context.Context) (suiteInfo, error) {
	f := external.facts
	if f == nil {
		return suiteInfo{}, errors.New("the node was not discovered before the specs (prepareExternal)")
	}
	reportDir := cfg.NewLayout(time.Now()).ReportDir
	if err := os.MkdirAll(reportDir, 0o755); err != nil {
		return suiteInfo{}, fmt.Errorf("--report-dir: %w", err)
	}
	harness.layout = run.Layout{ReportDir: reportDir}
	if err := run.WriteJSON(filepath.Join(reportDir, nodeFactsFile), f); err != nil {
		return suiteInfo{}, err
	}
	fmt.Fprintf(os.Stdout, "testing node %s (kubelet %s), which this harness did not start; %s\n", f.NodeName, f.KubeletVersion, f.LocalReason)
	for _, x := range f.Facts {
		if x.Value != "" {
			fmt.Fprintf(os.Stdout, "  %-25s %s (%s)\n", x.Name, x.Value, x.Source)
		} else {
			fmt.Fprintf(os.Stdout, "  %-25s unknown: %s\n", x.Name, x.Unknown)
		}
	}
	t := time.Now()
	imgs, err := provideImages(ctx, cfg, external.remote, f, reportDir)
	if err != nil {
		return suiteInfo{}, err
	}
	external.images = imgs
	how := "imported over the runtime's socket"
	if imgs.pulls {
		how = "pulled by the node from " + imgs.state.Host
	}
	fmt.Fprintf(os.Stdout, "the suite's images are on the node (%s) in %s\n", how, time.Since(t).Round(time.Millisecond))
	reg := imgs.state
	return suiteInfo{
		Kubeconfig:       cfg.Kubeconfig,
		Host:             cfg.Host,
		HostCAFile:       cfg.HostCAFile,
		BearerToken:      cfg.BearerToken,
		NodeName:         f.NodeName,
		RuntimeEndpoint:  f.Value(nodefacts.RuntimeEndpoint),
		StaticPodDir:     f.Value(nodefacts.StaticPodPath),
		PodLogsDir:       f.Value(nodefacts.PodLogsDir),
		KubeletRootDir:   f.Value(nodefacts.KubeletRootDir),
		CgroupRoot:       f.Value(nodefacts.CgroupRoot),
		SystemdCgroup:    f.Value(nodefacts.CgroupDriver) == "systemd",
		ReportDir:        reportDir,
		Registry:         &reg,
		NodePulls:        imgs.pulls,
		PrivateNeedsAuth: imgs.privateNeedsAuth,
		Unknown:          f.Unknown(),
	}, nil
}

// finishExternal undoes what the run did to a node it did not start (the
// images it added), and audits them.
func finishExternal() error {
	if external.images == nil {
		return nil
	}
	return external.images.finish(harness.layout.ReportDir)
}

func teardownPhases(all []run.Phase) []run.Phase {
	var out []run.Phase
	for _, p := range all {
		if len(p.Name) >= 8 && p.Name[:8] == "teardown" {
			out = append(out, p)
		}
	}
	return out
}
