package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Config is what the measurements run and where they write.
type Config struct {
	// Ours is the harness's e2e_node.test (default _output/bin/e2e_node.test).
	Ours string
	// Ginkgo is the ginkgo CLI, for the full suite.
	Ginkgo string
	// EnvtestAnchor is bench/cmd/envtest-anchor, built; Etcd and
	// KubeAPIServer are the binaries it runs (bench/build-anchors.sh).
	EnvtestAnchor, Etcd, KubeAPIServer string
	// Upstream is upstream's e2e_node.test (bench/build-anchors.sh).
	Upstream string
	// OutDir receives each run's log and report directory.
	OutDir string
	// Focus selects the one spec of the one-spec run.
	Focus string
	// Poll is the /readyz poll interval (at most 50 ms).
	Poll time.Duration
	// Sample is the RSS sampling interval.
	Sample time.Duration
	// Settle is how long a control plane keeps serving after /readyz
	// before SIGTERM (so its idle memory is sampled too).
	Settle time.Duration
	// StartTimeout bounds a start; StopGrace a teardown before SIGKILL.
	StartTimeout, StopGrace time.Duration
}

// NewConfig returns the defaults: the binaries under root's _output.
func NewConfig(root string) Config {
	return Config{
		Ours:         filepath.Join(root, "_output/bin/e2e_node.test"),
		Ginkgo:       filepath.Join(root, "_output/bin/ginkgo"),
		Focus:        "is Ready and reports",
		Poll:         50 * time.Millisecond,
		Sample:       100 * time.Millisecond,
		Settle:       time.Second,
		StartTimeout: 2 * time.Minute,
		StopGrace:    2 * time.Minute,
	}
}

// ControlPlaneResult is one control plane's start and stop.
type ControlPlaneResult struct {
	// Ready is process start to the first 200 from /readyz.
	Ready time.Duration
	// Teardown is SIGTERM to exit.
	Teardown time.Duration
	// TeardownWarnings, TeardownErrors count the lines logged after SIGTERM.
	TeardownWarnings, TeardownErrors int
	// Leftovers counts processes alive after exit (killed).
	Leftovers int
	// PeakServices and PeakTree are peak RSS in bytes.
	PeakServices, PeakTree uint64
}

var servingSecurely = regexp.MustCompile(`Serving securely on (\S+)`)

// serverURL makes an https URL from kube-apiserver's listen address.
func serverURL(addr string) string {
	for _, any := range []string{"[::]:", "0.0.0.0:"} {
		if port, ok := strings.CutPrefix(addr, any); ok {
			addr = "127.0.0.1:" + port
		}
	}
	return "https://" + addr
}

func token() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// controlPlaneCommand is the command line of subject's control plane
// and whether a process is one of its services. Pure.
func (c Config) controlPlaneCommand(subject, tok, reportDir string) ([]string, func(ProcInfo) bool, error) {
	root := func(ProcInfo) bool { return true } // one process: the tree is the services process
	switch subject {
	case Ours:
		return []string{c.Ours, "--run-services-mode", "--node-name=bench", "--bearer-token=" + tok, "--report-dir=" + reportDir}, root, nil
	case Envtest:
		return []string{c.EnvtestAnchor, "--etcd=" + c.Etcd, "--kube-apiserver=" + c.KubeAPIServer, "--token=" + tok},
			func(p ProcInfo) bool {
				exe := strings.Fields(p.Cmdline + " x")[0]
				return exe == c.Etcd || exe == c.KubeAPIServer
			}, nil
	case Upstream:
		return []string{c.Upstream, "--run-services-mode", "--bearer-token=" + tok}, root, nil
	}
	return nil, nil, fmt.Errorf("bench: unknown subject %q", subject)
}

// ControlPlane starts subject's control plane, polls /readyz with the
// admin token from process start (once kube-apiserver says where it
// serves), keeps it up for Settle, sends SIGTERM and waits for the exit.
// Everything runs in a temporary directory (its cwd and TMPDIR), removed
// afterwards; logs go to OutDir/<name>.log.
func (c Config) ControlPlane(ctx context.Context, subject, name string) (res ControlPlaneResult, err error) {
	tmp, err := os.MkdirTemp("", "bench-"+subject+"-")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, removeTemp(tmp)) }()
	tok := token()
	argv, isService, err := c.controlPlaneCommand(subject, tok, filepath.Join(c.OutDir, name))
	if err != nil {
		return res, err
	}
	p, err := Launch(argv, tmp, []string{"TMPDIR=" + tmp}, filepath.Join(c.OutDir, name+".log"))
	if err != nil {
		return res, err
	}
	sampler := &RSSSampler{Root: p.Cmd.Process.Pid, Services: isService, Interval: c.Sample}
	sampler.Start()
	stopped := false
	defer func() {
		if !stopped { // failed or interrupted: still tear it down
			_, _, _, terr := p.Terminate(c.StopGrace)
			err = errors.Join(err, terr)
		}
		sampler.Stop()
	}()
	sctx, cancel := context.WithTimeout(ctx, c.StartTimeout)
	defer cancel()
	_, m, err := p.AwaitLine(sctx, servingSecurely)
	if err != nil {
		return res, fmt.Errorf("%s: %w", subject, err)
	}
	ready, err := AwaitReadyz(sctx, serverURL(m[1]), tok, c.Poll)
	if err != nil {
		return res, fmt.Errorf("%s: %w", subject, err)
	}
	res.Ready = ready.Sub(p.Start)
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-p.Exited():
		return res, fmt.Errorf("%s: exited while serving; see %s.log", subject, name)
	case <-time.After(c.Settle):
	}
	stopped = true
	sent, end, left, err := p.Terminate(c.StopGrace)
	res.Teardown, res.Leftovers = end.Sub(sent), left
	var lines []string
	for _, l := range p.Lines(sent) {
		lines = append(lines, l.Text)
	}
	res.TeardownWarnings, res.TeardownErrors = CountIssues(lines)
	res.PeakServices, res.PeakTree = sampler.Stop()
	return res, err
}

// NodeResult is one whole run of the suite with one spec.
type NodeResult struct {
	// LaunchToReady is process start to "node <name> is Ready".
	LaunchToReady time.Duration
	// KubeletToReady is the "kubelet started" and "node ready" phases.
	KubeletToReady time.Duration
	// ControlPlanePhase is the "control plane and image registry ready" phase.
	ControlPlanePhase time.Duration
	// LaunchToFirstSpec is process start to the first spec's start (report.json).
	LaunchToFirstSpec time.Duration
	// Whole is process start to exit.
	Whole time.Duration
	// Teardown is the "teardown" phase (phases.json).
	Teardown time.Duration
	// TeardownWarnings, TeardownErrors count log lines timed during teardown
	// in the report directory's logs and the suite's output.
	TeardownWarnings, TeardownErrors int
	// Leftovers counts processes of the run alive after exit (killed).
	Leftovers int
	// PeakServices (the --run-services-mode process) and PeakTree (the
	// whole process tree) are peak RSS in bytes.
	PeakServices, PeakTree uint64
	// Phases are the run's phases (phases.json).
	Phases []Phase
}

var nodeReady = regexp.MustCompile(`^node \S+ is Ready$`)

// OneSpec runs the harness's e2e_node.test with one spec (Focus) and
// reads its timings from its output, phases.json and report.json in
// OutDir/<name>. TMPDIR (so the run root) is a temporary directory,
// removed afterwards.
func (c Config) OneSpec(ctx context.Context, name string) (res NodeResult, err error) {
	tmp, err := os.MkdirTemp("", "bench-node-")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, removeTemp(tmp)) }()
	report := filepath.Join(c.OutDir, name)
	argv := []string{c.Ours, "--ginkgo.focus=" + c.Focus, "--ginkgo.no-color", "--report-dir=" + report}
	p, err := Launch(argv, tmp, []string{"TMPDIR=" + tmp}, filepath.Join(c.OutDir, name+".log"))
	if err != nil {
		return res, err
	}
	sampler := &RSSSampler{Root: p.Cmd.Process.Pid, Interval: c.Sample,
		Services: func(q ProcInfo) bool { return strings.Contains(q.Cmdline, "--run-services-mode") }}
	sampler.Start()
	widest := make(chan []ProcInfo, 1)
	go func() { // the tree at its widest is what must be gone at the end
		var before []ProcInfo
		for {
			select {
			case <-p.Exited():
				widest <- before
				return
			case <-time.After(500 * time.Millisecond):
				if t := Tree(ReadProcs(), p.Cmd.Process.Pid); len(t) > len(before) {
					before = t
				}
			}
		}
	}()
	select {
	case <-ctx.Done(): // interrupted: the suite tears its node down on SIGTERM
		_, _, _, _ = p.Terminate(c.StopGrace)
		sampler.Stop()
		return res, ctx.Err()
	case <-p.Exited():
	}
	end, werr := p.Wait()
	res.PeakServices, res.PeakTree = sampler.Stop()
	res.Leftovers = p.killLeftovers(<-widest)
	res.Whole = end.Sub(p.Start)
	if werr != nil {
		return res, fmt.Errorf("one-spec run failed (%v); see %s.log", werr, name)
	}
	if l, _, err := p.AwaitLine(ctx, nodeReady); err == nil {
		res.LaunchToReady = l.T.Sub(p.Start)
	}
	phases, err := ReadPhases(filepath.Join(report, "phases.json"))
	if err != nil {
		return res, err
	}
	res.Phases = phases
	k, _ := PhaseDuration(phases, "kubelet started")
	n, _ := PhaseDuration(phases, "node ready")
	res.KubeletToReady = k + n
	res.ControlPlanePhase, _ = PhaseDuration(phases, "control plane and image registry ready")
	res.Teardown, _ = PhaseDuration(phases, "teardown")
	b, err := os.ReadFile(filepath.Join(report, "report.json"))
	if err != nil {
		return res, err
	}
	st, err := ParseGinkgoReport(b)
	if err != nil {
		return res, err
	}
	if st.Ran != 1 || st.Failed != 0 {
		return res, fmt.Errorf("one-spec run: %d specs ran, %d failed (want 1 passed); focus %q", st.Ran, st.Failed, c.Focus)
	}
	res.LaunchToFirstSpec = st.FirstStart.Sub(p.Start)
	if l, _, err := p.AwaitLine(ctx, regexp.MustCompile(regexp.QuoteMeta(TeardownHeader)+`$`)); err == nil {
		from := l.T.Add(-res.Teardown)
		var lines []string
		for _, ol := range p.Lines(from) {
			if !ol.T.After(l.T) {
				lines = append(lines, ol.Text)
			}
		}
		w, e := CountIssues(lines)
		logs, _ := filepath.Glob(filepath.Join(report, "*.log"))
		for _, f := range logs {
			b, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			lw, le := CountIssuesBetween(strings.Split(string(b), "\n"), from, l.T, time.Local)
			w, e = w+lw, e+le
		}
		res.TeardownWarnings, res.TeardownErrors = w, e
	}
	return res, nil
}

var ranSpecs = regexp.MustCompile(`Ran (\d+) of (\d+) Specs`)

// SuiteResult is one full-suite run.
type SuiteResult struct {
	Wall  time.Duration
	Specs string // "Ran 76 of 78 Specs"
}

// Suite runs the whole suite with ginkgo at procs processes.
func (c Config) Suite(ctx context.Context, procs int, name string) (res SuiteResult, err error) {
	tmp, err := os.MkdirTemp("", "bench-suite-")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, removeTemp(tmp)) }()
	argv := []string{c.Ginkgo, "--no-color", fmt.Sprintf("--procs=%d", procs), c.Ours, "--", "--report-dir=" + filepath.Join(c.OutDir, name)}
	p, err := Launch(argv, tmp, []string{"TMPDIR=" + tmp}, filepath.Join(c.OutDir, name+".log"))
	if err != nil {
		return res, err
	}
	select {
	case <-ctx.Done():
		_, _, _, _ = p.Terminate(c.StopGrace)
		return res, ctx.Err()
	case <-p.Exited():
	}
	end, werr := p.Wait()
	res.Wall = end.Sub(p.Start)
	if m := ranSpecs.FindString(p.Output()); m != "" {
		res.Specs = m
	}
	if werr != nil {
		return res, fmt.Errorf("suite at --procs=%d failed (%v); see %s.log", procs, werr, name)
	}
	return res, nil
}

// removeTemp removes a measurement's temporary directory.
func removeTemp(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("bench: remove %s: %w", dir, err)
	}
	return nil
}
