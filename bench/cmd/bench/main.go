// Command bench runs `make bench`: each measurement ROUNDS times, the
// harness interleaved with its anchors in every round, then prints a table
// of medians, min–max and the ratio ours/anchor (see bench/RESULTS.md).
// It must run as root under /tmp/node-e2e.lock (bench/bench.sh takes it);
// Ctrl-C tears down what is running and removes its temporary directory.
//
//	bench --rounds=5 --out=_output/bench/results/<time> [--suite]
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/node-e2e/harness/bench"
)

const mib = 1 << 20

func main() {
	root, _ := os.Getwd()
	c := bench.NewConfig(root)
	rounds := flag.Int("rounds", 5, "rounds of every measurement (ours and each anchor in every round)")
	suite := flag.Bool("suite", false, "also time the full suite at --suite-procs (takes ~15 min)")
	suiteProcs := flag.String("suite-procs", "1,2,4,8", "ginkgo process counts for --suite")
	command := flag.String("command", strings.Join(os.Args, " "), "the command line to record in the results")
	flag.StringVar(&c.Ours, "ours", c.Ours, "the harness's e2e_node.test")
	flag.StringVar(&c.Ginkgo, "ginkgo", c.Ginkgo, "the ginkgo CLI (for --suite)")
	flag.StringVar(&c.EnvtestAnchor, "envtest-anchor", "", "bench/cmd/envtest-anchor, built")
	flag.StringVar(&c.Etcd, "etcd", "", "etcd for envtest (bench/build-anchors.sh)")
	flag.StringVar(&c.KubeAPIServer, "kube-apiserver", "", "kube-apiserver for envtest (bench/build-anchors.sh)")
	flag.StringVar(&c.Upstream, "upstream", "", "upstream's e2e_node.test (bench/build-anchors.sh)")
	flag.StringVar(&c.OutDir, "out", "", "directory for logs, report directories and results.md")
	flag.StringVar(&c.Focus, "focus", c.Focus, "the one spec of the one-spec run")
	flag.Parse()
	procs, err := parseProcs(*suiteProcs)
	if err == nil {
		err = absolute(&c)
	}
	if err == nil {
		err = check(c, *rounds)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	load := loadavg()
	t, phases, failures := run(ctx, c, *rounds, *suite, procs)
	header := describe(*command, *rounds, load)
	out := header + "\n" + t.Markdown(*rounds) +
		"\nThe harness's own startup and teardown phases in the one-spec runs (phases.json):\n\n" +
		phases.MarkdownOurs("phase", *rounds) + notes(failures)
	fmt.Print("\n" + out)
	if err := os.WriteFile(filepath.Join(c.OutDir, "results.md"), []byte(out), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench: interrupted")
		os.Exit(130)
	}
	if len(failures) > 0 {
		os.Exit(1)
	}
}

func parseProcs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--suite-procs=%q: want a comma-separated list of process counts, e.g. 1,2,4,8", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// absolute makes the binaries' paths absolute: the measurements run in
// temporary directories.
func absolute(c *bench.Config) error {
	for _, p := range []*string{&c.Ours, &c.Ginkgo, &c.EnvtestAnchor, &c.Etcd, &c.KubeAPIServer, &c.Upstream, &c.OutDir} {
		if *p == "" {
			continue
		}
		a, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = a
	}
	return nil
}

func check(c bench.Config, rounds int) error {
	if rounds < 1 {
		return fmt.Errorf("--rounds=%d: want at least 1 (make bench ROUNDS=5)", rounds)
	}
	if c.OutDir == "" {
		return fmt.Errorf("--out is required: a directory for the logs and results")
	}
	for flagName, path := range map[string]string{"--ours": c.Ours, "--envtest-anchor": c.EnvtestAnchor,
		"--etcd": c.Etcd, "--kube-apiserver": c.KubeAPIServer, "--upstream": c.Upstream} {
		if path == "" {
			return fmt.Errorf("%s is required (bench/bench.sh builds and passes it)", flagName)
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s: %w (run bench/build-anchors.sh, or make build for the harness)", flagName, err)
		}
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("run as root: the one-spec run brings up a node")
	}
	return os.MkdirAll(c.OutDir, 0o755)
}

func secs(d time.Duration) float64 { return d.Seconds() }

// Measures, in the table's order.
const (
	mReady        = "control plane ready (/readyz with the admin token, from process start)"
	mCPTeardown   = "control plane teardown (SIGTERM to exit)"
	mCPWarnings   = "warning lines during that teardown"
	mCPErrors     = "error lines during that teardown"
	mCPRSS        = "peak RSS, services process (envtest: etcd + kube-apiserver)"
	mCPTreeRSS    = "peak RSS, whole process tree of the control plane"
	mCPLeft       = "processes left after exit"
	mCPPhase      = "node run: \"control plane and image registry ready\" phase"
	mLaunchReady  = "node run: launch to Node Ready"
	mKubeletReady = "node run: kubelet launch to Node Ready (phases)"
	mFirstSpec    = "node run: launch to first spec started"
	mWhole        = "node run: whole one-spec run (start to exit)"
	mNodeTeardown = "node run: teardown of the whole node (phases.json)"
	mNodeWarnings = "node run: warning lines during teardown"
	mNodeErrors   = "node run: error lines during teardown"
	mNodeRSS      = "node run: peak RSS, services process"
	mNodeTreeRSS  = "node run: peak RSS, whole harness (process tree)"
	mNodeLeft     = "node run: processes left after exit"
)

func run(ctx context.Context, c bench.Config, rounds int, suite bool, procs []int) (*bench.Table, *bench.Table, []string) {
	t, phases := bench.NewTable(), bench.NewTable()
	var failures []string
	fail := func(what string, err error) {
		failures = append(failures, fmt.Sprintf("%s: %v", what, err))
		fmt.Fprintf(os.Stderr, "bench: %s: %v\n", what, err)
	}
	nan := math.NaN()
	for r := 1; r <= rounds && ctx.Err() == nil; r++ {
		// The control planes in a rotating order, so that none always
		// runs first (or right after the node run).
		order := append([]string{}, bench.Subjects...)
		for i := 1; i < r; i++ {
			order = append(order[1:], order[0])
		}
		for _, s := range order {
			if ctx.Err() != nil {
				break
			}
			name := fmt.Sprintf("r%d-%s-control-plane", r, s)
			fmt.Fprintf(os.Stderr, "bench: round %d/%d: %s control plane\n", r, rounds, s)
			res, err := c.ControlPlane(ctx, s, name)
			if err != nil {
				fail(name, err)
				for _, m := range []string{mReady, mCPTeardown, mCPWarnings, mCPErrors, mCPRSS, mCPTreeRSS, mCPLeft} {
					t.Add(m, unitOf(m), s, nan)
				}
				continue
			}
			fmt.Fprintf(os.Stderr, "bench:   ready %.2f s, teardown %.2f s (%d warning, %d error lines), peak RSS %d MiB\n",
				res.Ready.Seconds(), res.Teardown.Seconds(), res.TeardownWarnings, res.TeardownErrors, res.PeakServices/mib)
			t.Add(mReady, bench.Seconds, s, secs(res.Ready))
			t.Add(mCPTeardown, bench.Seconds, s, secs(res.Teardown))
			t.Add(mCPWarnings, bench.Count, s, float64(res.TeardownWarnings))
			t.Add(mCPErrors, bench.Count, s, float64(res.TeardownErrors))
			t.Add(mCPRSS, bench.MiB, s, float64(res.PeakServices)/mib)
			t.Add(mCPTreeRSS, bench.MiB, s, float64(res.PeakTree)/mib)
			t.Add(mCPLeft, bench.Count, s, float64(res.Leftovers))
		}
		if ctx.Err() != nil {
			break
		}
		name := fmt.Sprintf("r%d-ours-one-spec", r)
		fmt.Fprintf(os.Stderr, "bench: round %d/%d: ours, one-spec run\n", r, rounds)
		res, err := c.OneSpec(ctx, name)
		if err != nil {
			fail(name, err)
			continue
		}
		fmt.Fprintf(os.Stderr, "bench:   Node Ready at %.2f s, whole run %.2f s, teardown %.2f s\n",
			res.LaunchToReady.Seconds(), res.Whole.Seconds(), res.Teardown.Seconds())
		t.Add(mCPPhase, bench.Seconds, bench.Ours, secs(res.ControlPlanePhase))
		t.Add(mLaunchReady, bench.Seconds, bench.Ours, secs(res.LaunchToReady))
		t.Add(mKubeletReady, bench.Seconds, bench.Ours, secs(res.KubeletToReady))
		t.Add(mFirstSpec, bench.Seconds, bench.Ours, secs(res.LaunchToFirstSpec))
		t.Add(mWhole, bench.Seconds, bench.Ours, secs(res.Whole))
		t.Add(mNodeTeardown, bench.Seconds, bench.Ours, secs(res.Teardown))
		t.Add(mNodeWarnings, bench.Count, bench.Ours, float64(res.TeardownWarnings))
		t.Add(mNodeErrors, bench.Count, bench.Ours, float64(res.TeardownErrors))
		t.Add(mNodeRSS, bench.MiB, bench.Ours, float64(res.PeakServices)/mib)
		t.Add(mNodeTreeRSS, bench.MiB, bench.Ours, float64(res.PeakTree)/mib)
		t.Add(mNodeLeft, bench.Count, bench.Ours, float64(res.Leftovers))
		for _, p := range res.Phases {
			phases.Add(p.Name, bench.Seconds, bench.Ours, secs(p.Duration))
		}
	}
	if suite {
		for _, n := range procs {
			if ctx.Err() != nil {
				break
			}
			name := fmt.Sprintf("suite-procs-%d", n)
			fmt.Fprintf(os.Stderr, "bench: full suite at PARALLELISM=%d\n", n)
			res, err := c.Suite(ctx, n, name)
			if err != nil {
				fail(name, err)
				continue
			}
			fmt.Fprintf(os.Stderr, "bench:   %.0f s (%s)\n", res.Wall.Seconds(), res.Specs)
			t.Add(fmt.Sprintf("full suite, PARALLELISM=%d (%s)", n, res.Specs), bench.Seconds, bench.Ours, secs(res.Wall))
		}
	}
	return t, phases, failures
}

func unitOf(m string) bench.Unit {
	switch m {
	case mReady, mCPTeardown:
		return bench.Seconds
	case mCPRSS, mCPTreeRSS:
		return bench.MiB
	}
	return bench.Count
}

// describe is the results' header: date, machine, command.
func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func describe(command string, rounds int, loadBefore string) string {
	host, _ := os.Hostname()
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		if len(f) >= 2 {
			if kb, err := strconv.Atoi(f[1]); err == nil {
				mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	cgroup := "v1"
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		cgroup = "v2"
	}
	return fmt.Sprintf("%s, %d rounds, medians (min–max)\n\n"+
		"- machine: %s, %s, %d cores%s, kernel %s, cgroup %s, %s\n"+
		"- command: `%s`\n"+
		"- load average (1, 5, 15 min) before: %s; after: %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), rounds,
		host, cpu, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), cgroup, runtime.Version(), command, loadBefore, loadavg())
}

func notes(failures []string) string {
	if len(failures) == 0 {
		return ""
	}
	return "\nfailed measurements (left out of the medians):\n\n- " + strings.Join(failures, "\n- ") + "\n"
}
