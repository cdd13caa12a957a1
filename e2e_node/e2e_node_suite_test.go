package e2e_node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/gomega"
	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/e2e_node/janitor"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

func TestMain(m *testing.M) {
	klog.InitFlags(flag.CommandLine)
	cfg.AddFlags(flag.CommandLine)
	flag.Parse()
	cfg.NoteExplicit(flag.CommandLine)
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "e2e_node.test: unexpected argument %q: every setting is a --flag (ginkgo's own flags go to ginkgo, before e2e_node.test)\n", flag.Arg(0))
		os.Exit(ExitUsage)
	}
	if err := errors.Join(cfg.Validate(), cfg.LoadBearerTokenFile()); err != nil {
		fmt.Fprintf(os.Stderr, "e2e_node.test: %v\n", err)
		os.Exit(ExitUsage)
	}
	var err error
	switch {
	case cfg.ReportHTMLOnly != "":
		os.Exit(regenerateReport(os.Stdout, os.Stderr, cfg.ReportHTMLOnly))
	case cfg.RunServicesMode:
		err = runServicesMode(cfg)
	case cfg.RunKubeletMode:
		err = runKubeletMode(cfg)
	case cfg.Teardown != "":
		err = runTeardown(cfg)
	case cfg.AwaitStart != "":
		os.Exit(awaitStart(cfg))
	case cfg.JanitorAt != 0:
		ctx, cancel := signalContext()
		err = janitor.Run(ctx, cfg.JanitorConfig(), os.Stdout)
		cancel()
	case cfg.ListTests || cfg.ListLabels:
		err = listCatalogue(os.Stdout, cfg.ListLabels)
	case cfg.ListImages:
		listImages(os.Stdout, cfg.RegistryPort)
	default:
		if plainGoTest() {
			skipSuite = true
			os.Exit(m.Run())
		}
		// Process 1 brings the node up: before it checks the host, it
		// tears down the runs of killed harnesses, whose kubelet may still
		// hold the ports the preflight checks.
		first := ginkgo.GinkgoParallelProcess() == 1
		if first {
			if code := cleanStaleRuns(); code != ExitOK {
				os.Exit(code)
			}
		}
		if err := cfg.Preflight(context.Background(), first); err != nil {
			fmt.Fprintf(os.Stderr, "e2e_node.test: cannot start:\n%v\n", err)
			os.Exit(ExitUsage)
		}
		if code := validateSystem(ginkgo.GinkgoParallelProcess() == 1); code != ExitOK {
			os.Exit(code)
		}
		if first {
			if code := prepareExternal(); code != ExitOK {
				os.Exit(code)
			}
		}
		code := m.Run()
		if harness.failed.Load() {
			// The node could not be brought up or torn down: that is the
			// harness failing, not a spec.
			code = ExitHarness
		}
		os.Exit(code)
	}
	klog.Flush()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e_node.test: %v\n", err)
		if errors.As(err, new(usageError)) {
			os.Exit(ExitUsage)
		}
		os.Exit(ExitHarness)
	}
	os.Exit(ExitOK)
}

func TestE2ENode(t *testing.T) {
	if skipSuite {
		t.Skip("the node e2e suite brings up a real node on this machine (root, containerd, the built kubelet): not under a plain `go test`. Run it with hack/build.sh, then make test-e2e-node (or _output/bin/ginkgo _output/bin/e2e_node.test -- <flags>)")
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "Node e2e suite")
}

var _ = ginkgo.SynchronizedBeforeSuite(func(ctx context.Context) []byte {
	info, err := setUpNode(ctx)
	if err != nil {
		harness.failed.Store(true)
		ginkgo.Fail(err.Error())
	}
	harness.info = info
	startReport(ctx, info)
	if harness.node != nil {
		harness.stopWatch = watchNode(harness.node, harness.layout, cfg.RestartKubelet)
	}
	// The other processes get only the path of a 0600 file: what Ginkgo
	// passes between them goes through its unauthenticated server on
	// loopback, where any local user could read a token or password.
	path, err := shareSuiteInfo(info)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	harness.infoFile = path
	return []byte(path)
}, func(ctx context.Context, b []byte) {
	info, err := readSuiteInfo(string(b))
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	if info.RunDir != "" {
		watchFaultFile(run.Layout{Dir: info.RunDir}.FaultFile())
	}
	gomega.Expect(connect(info)).To(gomega.Succeed())
	if cfg.PrepullImages {
		gomega.Expect(ensureImages(ctx)).To(gomega.Succeed())
	}
}, ginkgo.NodeTimeout(10*time.Minute))

var _ = ginkgo.SynchronizedAfterSuite(func(ctx context.Context) {
	if env.client != nil {
		awaitDeletedNamespaces(ctx)
	}
}, func() {
	removeSuiteInfo(harness.infoFile)
	if err := finishExternal(); err != nil {
		ginkgo.Fail(err.Error())
	}
	if harness.node == nil {
		return
	}
	if harness.stopWatch != nil {
		harness.stopWatch()
	}
	auditErr := auditRuntimeImages(harness.info)
	fault := faultText(harness.layout)
	if fault != "" {
		fmt.Fprintf(os.Stderr, "e2e_node.test: the specs were aborted because the node failed:\n%s", fault)
	}
	if !cfg.StopServices {
		if auditErr != nil {
			ginkgo.Fail(auditErr.Error())
		}
		return
	}
	err := harness.node.Stop()
	writePhases(os.Stdout, "teardown phases:", teardownPhases(harness.node.Phases()))
	if err != nil {
		harness.failed.Store(true)
		ginkgo.Fail(err.Error())
	}
	if fault != "" {
		ginkgo.Fail("the node failed during the run (teardown completed): " + fault)
	}
	if auditErr != nil {
		ginkgo.Fail(auditErr.Error())
	}
})

var _ = ginkgo.ReportAfterSuite("junit", func(r ginkgo.Report) {
	dir := cfg.ReportDir
	if dir == "" {
		dir = harness.layout.ReportDir
	}
	if dir == "" {
		return
	}
	path := filepath.Join(dir, "junit_"+cfg.ReportPrefix+"01.xml")
	if err := writeReportFile(path, func(tmp string) error { return reporters.GenerateJUnitReport(r, tmp) }); err != nil {
		fmt.Fprintf(os.Stderr, "e2e_node.test: write %s: %v\n", path, err)
	}
})

// cleanStaleRuns tears down, when the flags ask for it, the runs under
// --run-root whose harness was killed, and returns the exit code to stop
// with (ExitOK to go on).
func cleanStaleRuns() int {
	if !cfg.StartServices || !cfg.CleanupStale || os.Geteuid() != 0 {
		return ExitOK // (the preflight refuses a harness that is not root)
	}
	if err := run.CheckOwnDir(cfg.RunRoot); err != nil {
		fmt.Fprintf(os.Stderr, "e2e_node.test: cannot start:\n%v\n", run.RunRootError(cfg.RunRoot, err))
		return ExitUsage
	}
	cleaned, err := services.CleanStaleRuns(klog.Background().WithName("stale"), cfg.RunRoot)
	for _, d := range cleaned {
		fmt.Fprintf(os.Stdout, "cleaned up %s, left by a run whose harness was killed\n", d)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e_node.test: clean up runs left by killed harnesses under --run-root=%s (or pass --cleanup-stale=false): %v\n", cfg.RunRoot, err)
		return ExitHarness
	}
	return ExitOK
}

// skipSuite is set when plainGoTest holds.
var skipSuite bool

// plainGoTest reports whether this binary is a plain `go test` run: built
// in go's own work directory (.../go-build*/b*/e2e_node.test) and given
// no flag of its own. The suite then skips with a message rather than fail
// on the binaries it cannot find there.
func plainGoTest() bool {
	exe, err := os.Executable()
	if err != nil || !strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(exe))), "go-build") {
		return false
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || !strings.HasPrefix(f.Name, "test.") })
	return !given
}
