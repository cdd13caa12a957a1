package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/cluster"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// clusterRunMain is the run command in cluster mode.
func clusterRunMain(argv []string, stdout, stderr io.Writer) int {
	c := newClusterConfig()
	var m mixed
	fs := flag.NewFlagSet("runner/remote (cluster mode)", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.addFlags(fs, &m)
	flags, testArgs := suite.SplitArgs(argv)
	if code, ok := parseFlags(fs, flags, stderr, "", " (e2e_node.test flags go after --)"); !ok {
		return code
	}
	p, err := c.validate(testArgs, os.Getenv, m)
	if err != nil {
		return usageErrors(stderr, err)
	}
	return clusterRun(p, stdout, stderr)
}

// usageErrors prints each line of err and returns exitUsage.
func usageErrors(stderr io.Writer, err error) int {
	for _, line := range strings.Split(err.Error(), "\n") {
		fail(stderr, exitUsage, "%s", line)
	}
	return exitUsage
}

// kubeClient builds the client from the kubeconfig flags, and returns the
// cluster CA the kubeconfig trusts (for a control plane without a root CA
// publisher).
func kubeClient(k kubeFlags) (kubernetes.Interface, []byte, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.Kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: k.Context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, nil, "", fmt.Errorf("--kubeconfig: %w", err)
	}
	// The preflight's access reviews and the barrier's patches come in
	// bursts: client-go's default 5 requests/s would throttle them.
	cfg.QPS, cfg.Burst = 100, 200
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, "", fmt.Errorf("--kubeconfig: %w", err)
	}
	return cs, caOf(cfg), cfg.Host, nil
}

func caOf(cfg *rest.Config) []byte {
	if len(cfg.CAData) > 0 {
		return cfg.CAData
	}
	if cfg.CAFile != "" {
		if b, err := os.ReadFile(cfg.CAFile); err == nil {
			return b
		}
	}
	return nil
}

// interruptible returns a context cancelled by SIGINT or SIGTERM, and a
// stop function.
func interruptible() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// clusterRun builds and pushes the suite image, checks the run can start,
// creates its objects, releases the suite pods together, then detaches
// or attaches. Nothing runs on this machine but the runner.
func clusterRun(p clusterPlan, stdout, stderr io.Writer) int {
	r := p.run
	what := "--nodes=" + strings.Join(p.nodes, ",")
	if p.nodeSelector != "" {
		what = "--node-selector=" + p.nodeSelector
	}
	fmt.Fprintf(stdout, "cluster mode: run %s on the nodes %s; the suite runs in pods there, no node is brought up here\n", r.ID, what)
	ctx, stop := interruptible()
	defer stop()
	cs, ca, server, err := kubeClient(p.kube)
	if err != nil {
		return fail(stderr, exitUsage, "%v", err)
	}
	progress := hostrun.NewProgress(stdout, "suite image")

	// The preflight comes first, so that bad input is refused before the
	// image build's two seconds; the image's platform is checked after it.
	start := time.Now()
	reg := p.registry
	nodes, err := cluster.Preflight(ctx, cs, cluster.PreflightOptions{
		Nodes: p.nodes, NodeSelector: p.nodeSelector, Replicas: r.Replicas, Workload: r.Workload,
		Namespace: cluster.NamespaceName(r.ID),
		Selection: cluster.SelectionFromGinkgoArgs(r.GinkgoArgs), ListSpecs: cluster.ListSpecsWith(p.binaries.E2ENodeTest),
		Registry: &reg,
	})
	if code, failed := preflightFailed(err, stderr); failed {
		return code
	}
	for _, n := range nodes {
		r.Nodes = append(r.Nodes, n.Name)
	}
	progress.Step("suite image", "preflight", "ok", time.Since(start), fmt.Sprintf("%d nodes ready on %s", len(nodes), server))

	start = time.Now()
	img, err := images.Suite(ctx, p.binaries)
	if err != nil {
		return fail(stderr, exitRunner, "suite image: %v", err)
	}
	digest, _ := img.Digest()
	progress.Step("suite image", "build", "ok", time.Since(start), digest.String())
	platform, err := cluster.ImagePlatform(img)
	if err != nil {
		return fail(stderr, exitRunner, "suite image: %v", err)
	}
	if code, failed := preflightFailed(cluster.CheckPlatform(platform, nodes), stderr); failed {
		return code
	}

	start = time.Now()
	if r.SuiteImage, err = pushSuiteImage(ctx, reg, img); err != nil {
		return fail(stderr, exitUsage, "--registry: %v (check that the registry is up and takes a push with these credentials)", err)
	}
	progress.Step("suite image", "push", "ok", time.Since(start), r.SuiteImage)
	fmt.Fprintf(stdout, "cluster mode: %d nodes (%s) x %d replicas, suite image %s, run id %s\n",
		len(r.Nodes), strings.Join(r.Nodes, ", "), r.Replicas, r.SuiteImage, r.ID)

	r.Created = time.Now()
	submitted := time.Now()
	if err := cluster.Submit(ctx, cs, r, ca); err != nil {
		return abandon(cs, r, stdout, stderr, fmt.Sprintf("create the run's objects: %v", err))
	}
	if err := cluster.SubmitJanitor(ctx, cs, r); err != nil {
		return abandon(cs, r, stdout, stderr, fmt.Sprintf("create the run's janitor (which deletes the run at %s if no runner does): %v", r.Expires().UTC().Format(time.RFC3339), err))
	}
	fmt.Fprintf(stdout, "run %s: submitted at %s: objects created in namespace %s in %v; waiting for the %d suite pods to run (--sync-timeout=%v)\n",
		r.ID, submitted.UTC().Format(time.RFC3339Nano), cluster.NamespaceName(r.ID), time.Since(submitted).Round(time.Millisecond), len(r.Members()), p.syncTimeout)
	b := &cluster.Barrier{Client: cs, Namespace: cluster.NamespaceName(r.ID), RunID: r.ID, Members: r.Members(), Timeout: p.syncTimeout}
	rel, err := b.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return abandon(cs, r, stdout, stderr, "interrupted before the start")
		}
		return abandon(cs, r, stdout, stderr, err.Error())
	}
	if err := cluster.MarkReleased(ctx, cs, r.ID, rel.At); err != nil {
		fmt.Fprintf(stderr, "runner/remote: %v (the run goes on)\n", err)
	}
	fmt.Fprintf(stdout, "run %s: all %d suite pods running %v after submission; released at %s (API acknowledged within %v, skew %v)\n",
		r.ID, len(rel.Arrived), rel.At.Sub(submitted).Round(time.Millisecond), rel.At.UTC().Format("15:04:05.000"),
		maxAcked(rel).Round(time.Millisecond), rel.Skew().Round(time.Millisecond))
	if p.detach {
		printCommands(stdout, p.kube, r.ID, p.resultsDir)
		return exitOK
	}
	return attachRun(ctx, cs, p.kube, r.ID, p.resultsDir, stdout, stderr)
}

// preflightFailed prints a failed preflight check: bad input (exit 2) or
// a runner failure (exit 3).
func preflightFailed(err error, stderr io.Writer) (int, bool) {
	if err == nil {
		return 0, false
	}
	var ue *cluster.UsageError
	if errors.As(err, &ue) {
		return fail(stderr, exitUsage, "%v", err), true
	}
	return fail(stderr, exitRunner, "preflight: %v", err), true
}

func maxAcked(r cluster.Released) time.Duration {
	var m time.Duration
	for _, d := range r.Acked {
		m = max(m, d)
	}
	return m
}

// abandon deletes a run that cannot go on (removeRun: its suite pods, its
// report directories on the nodes, its objects) and returns exitFailed
// with why.
func abandon(cs kubernetes.Interface, r cluster.Run, stdout, stderr io.Writer, why string) int {
	id := r.ID
	fmt.Fprintf(stderr, "runner/remote: run %s: %s\n", id, why)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	_ = cluster.SetPhase(ctx, cs, id, cluster.PhaseFailed)
	start := time.Now()
	if err := removeRun(ctx, cs, r, stdout); err != nil {
		return fail(stderr, exitFailed, "run %s: %v; delete what is left with: go run ./runner/remote reap --kubeconfig ... --run-id %s", id, err, id)
	}
	fmt.Fprintf(stdout, "run %s: deleted in %v\n", id, time.Since(start).Round(time.Millisecond))
	return exitFailed
}

// kubeArgs are the kubeconfig flags for a printed command line.
func kubeArgs(k kubeFlags) string {
	s := ""
	if k.Kubeconfig != "" {
		s += " --kubeconfig=" + shell.Quote(k.Kubeconfig)
	}
	if k.Context != "" {
		s += " --context=" + shell.Quote(k.Context)
	}
	return s
}

// printCommands prints how to find the run again.
func printCommands(w io.Writer, k kubeFlags, id, resultsDir string) {
	base := "go run ./runner/remote"
	fmt.Fprintf(w, "run %s: detached; the run lives in the cluster:\n", id)
	for _, c := range []string{"attach", "collect"} {
		fmt.Fprintf(w, "  %s %s%s --run-id=%s --results-dir=%s\n", base, c, kubeArgs(k), id, shell.Quote(resultsDir))
	}
	for _, c := range []string{"status", "cancel"} {
		fmt.Fprintf(w, "  %s %s%s --run-id=%s\n", base, c, kubeArgs(k), id)
	}
}
