package e2e_node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	"golang.org/x/sys/unix"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/node-e2e/harness/internal/report"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// The run report: process 1 samples the node's resources while the specs
// run and, once the suite is over (teardown included), writes Ginkgo's JSON
// report, phases.json, resources.json and run.json to the report directory
// and renders report.html from them (internal/report).

// runReport is process 1's material for the page.
var runReport struct {
	// node is the node this process brought up (kept when its start
	// failed, for the phases).
	node    *services.Node
	sampler *report.Sampler
	info    report.RunInfo
	// servicesPhases are the services process's own phases, steps of
	// the node's phase that waits for it.
	servicesPhases map[string]bool
}

// startReport records the node's facts and starts the resource sampler;
// process 1 calls it once the node is Ready.
func startReport(ctx context.Context, info suiteInfo) {
	ri := &runReport.info
	ri.NodeName, ri.CgroupDriver, ri.CgroupVersion, ri.Kernel = info.NodeName, cfg.CgroupDriver, cgroupVersion(), kernelRelease()
	ri.Launcher = info.Launcher
	ri.RunID = harness.layout.ID
	var st run.ServicesState
	if info.RunDir != "" && run.ReadJSON(run.Layout{Dir: info.RunDir}.ServicesState(), &st) == nil {
		runReport.servicesPhases = map[string]bool{}
		for _, p := range st.Phases {
			runReport.servicesPhases[p.Name] = true
		}
	}
	client := reportClient(info)
	if client != nil {
		gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if n, err := client.CoreV1().Nodes().Get(gctx, info.NodeName, metav1.GetOptions{}); err == nil {
			ri.KubeletVersion, ri.RuntimeVersion = n.Status.NodeInfo.KubeletVersion, n.Status.NodeInfo.ContainerRuntimeVersion
		}
		cancel()
	}
	if !cfg.ReportHTML || info.RunDir == "" {
		return
	}
	procs := map[string]report.PidFunc{
		"kubelet":    report.PidFromFile(run.Layout{Dir: info.RunDir}.KubeletPidFile()),
		"containerd": report.PidByName("/proc", "containerd", ""),
	}
	if harness.node != nil && harness.node.State().OwnRuntime {
		// The harness's containerd, also after a restart (its command
		// line names the run directory), never the host's.
		procs["containerd"] = report.PidByName("/proc", "containerd", info.RunDir+"/")
	}
	sc := report.SamplerConfig{Processes: procs, Order: []string{"kubelet", "containerd"}}
	if client != nil {
		sc.Pods = func(ctx context.Context) (int, error) {
			l, err := client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + info.NodeName, ResourceVersion: "0"})
			if err != nil {
				return 0, err
			}
			return len(l.Items), nil
		}
	}
	runReport.sampler = report.NewSampler(sc)
	runReport.sampler.Start()
}

// reportClient reaches the API server through the run's kubeconfig; nil
// when there is none.
func reportClient(info suiteInfo) kubernetes.Interface {
	if info.Kubeconfig == "" {
		return nil
	}
	rc, err := clientcmd.BuildConfigFromFlags("", info.Kubeconfig)
	if err != nil {
		return nil
	}
	rc.Timeout = 5 * time.Second
	c, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil
	}
	return c
}

var _ = ginkgo.ReportAfterSuite("run report", func(r ginkgo.Report) {
	dir := cmp.Or(cfg.ReportDir, harness.layout.ReportDir)
	if dir == "" {
		return
	}
	if err := writeRunReport(r, dir); err != nil {
		fmt.Fprintf(os.Stderr, "e2e_node.test: run report: %v\n", err)
		return
	}
	if cfg.ReportHTML {
		fmt.Fprintf(os.Stdout, "run report: %s\n", filepath.Join(dir, report.PageFile))
	}
})

// writeRunReport writes the report files of the run that just ended and,
// unless --report-html=false, renders the page.
func writeRunReport(r ginkgo.Report, dir string) error {
	if runReport.sampler != nil {
		runReport.sampler.Stop()
	}
	var errs []error
	path := filepath.Join(dir, report.GinkgoJSONFile)
	if err := writeReportFile(path, func(tmp string) error { return reporters.GenerateJSONReport(r, tmp) }); err != nil {
		errs = append(errs, fmt.Errorf("write %s: %w", path, err))
	}
	if runReport.node != nil {
		errs = append(errs, writeReportJSON(filepath.Join(dir, report.PhasesFile), reportPhases(runReport.node.Phases(), runReport.servicesPhases)))
	}
	if runReport.sampler != nil {
		errs = append(errs, writeReportJSON(filepath.Join(dir, report.ResourcesFile), runReport.sampler.Resources()))
	}
	runReport.info.Command = reproduceCommand(r.SuiteConfig)
	errs = append(errs, writeReportJSON(filepath.Join(dir, report.RunFile), runReport.info))
	if cfg.ReportHTML {
		if _, err := report.Generate(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reportPhases are the node's phases for phases.json, the services
// process's phases marked as steps of the phase that waited for them.
func reportPhases(all []run.Phase, services map[string]bool) []report.Phase {
	out := make([]report.Phase, len(all))
	for i, p := range all {
		out[i] = report.Phase{Name: p.Name, Duration: p.Duration}
	}
	return report.MarkSteps(out, services)
}

// writeReportJSON writes v to path as JSON, readable by all (the report
// directory is meant to be shared, unlike the run directory's state files).
func writeReportJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := run.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// reproduceCommand is the ginkgo command line of this run: its spec
// selection and process count, and the suite flags given.
func reproduceCommand(sc types.SuiteConfig) string {
	spec := report.CommandSpec{
		Procs: sc.ParallelTotal, Focus: sc.FocusStrings, Skip: sc.SkipStrings, LabelFilter: sc.LabelFilter,
		Ginkgo: "ginkgo", Suite: "e2e_node.test",
	}
	if self, err := os.Executable(); err == nil {
		spec.Suite = self
		if g := filepath.Join(filepath.Dir(self), "ginkgo"); fileExists(g) {
			spec.Ginkgo = g
		}
	}
	flag.CommandLine.Visit(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "test.") || strings.HasPrefix(f.Name, "ginkgo.") || secretFlags[f.Name] {
			return
		}
		spec.Flags = append(spec.Flags, "--"+f.Name+"="+f.Value.String())
	})
	sort.Strings(spec.Flags)
	return report.Command(spec)
}

// secretFlags are left out of the command line written to the report.
var secretFlags = map[string]bool{"bearer-token": true}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// regenerateReport renders report.html from an existing report directory
// (--report-html-only) and returns the exit code.
func regenerateReport(stdout, stderr io.Writer, dir string) int {
	path, err := report.Generate(dir)
	switch {
	case errors.Is(err, report.ErrNoReport):
		fmt.Fprintf(stderr, "e2e_node.test: --report-html-only=%s: no report there (%v): give the --report-dir of a run, which holds junit_01.xml or report.json\n", dir, err)
		return ExitUsage
	case errors.Is(err, os.ErrNotExist):
		fmt.Fprintf(stderr, "e2e_node.test: --report-html-only=%s: %v: give the --report-dir of a run\n", dir, err)
		return ExitUsage
	case err != nil:
		fmt.Fprintf(stderr, "e2e_node.test: --report-html-only=%s: %v\n", dir, err)
		return ExitHarness
	}
	fmt.Fprintf(stdout, "wrote %s\n", path)
	return ExitOK
}

// cgroupVersion is "v2" when /sys/fs/cgroup is the unified hierarchy.
func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return ""
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "v2"
	}
	return "v1"
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// recordNamespace notes in the spec's report that it created namespace ns:
// the page finds the spec's log lines by it.
func recordNamespace(ns string) {
	ginkgo.AddReportEntry(report.NamespaceEntry, ns, ginkgo.ReportEntryVisibilityNever)
}
