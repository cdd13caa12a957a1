package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/archive"
	"github.com/node-e2e/harness/runner/remote/internal/gce"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// runMain is the run command.
func runMain(argv []string, stdout, stderr io.Writer) int {
	c := newConfig()
	fs := flagSet(&c)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageHeader)
		fs.PrintDefaults()
	}
	flags, testArgs := suite.SplitArgs(argv)
	if code, ok := parseFlags(fs, flags, stderr, "", " (e2e_node.test flags go after --)"); !ok {
		return code
	}
	p, err := c.validate(testArgs, os.Getenv)
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fail(stderr, exitUsage, "%s", line)
		}
		return exitUsage
	}
	sig := handleSignals(stderr, p)
	defer sig.stop()
	return run(sig.run, sig.salvage, p, stdout, stderr)
}

// flagSet returns the run command's flags, bound to c.
func flagSet(c *config) *flag.FlagSet {
	fs := flag.NewFlagSet("runner/remote", flag.ContinueOnError)
	c.addFlags(fs)
	return fs
}

// runner is one run's shared state.
type runner struct {
	p        plan
	progress *hostrun.Progress
	compute  *gce.Compute
	ledger   *gce.Ledger
}

// run builds the archive and runs the suite on every host and VM in
// parallel. ctx is cancelled by the first interrupt, salvage by the
// second (see handleSignals).
func run(ctx, salvage context.Context, p plan, stdout, stderr io.Writer) int {
	names := []string{"archive"}
	for _, t := range p.targets {
		names = append(names, t.Name)
	}
	for _, s := range p.images {
		names = append(names, gce.InstanceName(p.prefix, s.ShortName))
	}
	r := &runner{p: p, progress: hostrun.NewProgress(stdout, names...)}

	if !p.keepArch {
		dir, err := os.MkdirTemp("", "node-e2e-remote-")
		if err != nil {
			return fail(stderr, exitRunner, "archive: %v", err)
		}
		defer os.RemoveAll(dir)
		r.p.archive.Path = filepath.Join(dir, archive.FileName)
	}
	info, err := archive.Build(r.p.archive)
	if err != nil {
		r.progress.Step("archive", "build", "FAILED", 0, err.Error())
		return fail(stderr, exitRunner, "%v", err)
	}
	r.progress.Step("archive", "build", "ok", info.Duration, fmt.Sprintf("%s (%s)", info.Path, hostrun.FormatSize(info.Size)))
	if p.buildOnly {
		fmt.Fprintf(stdout, "%s\t%d bytes (%s)\n", info.Path, info.Size, hostrun.FormatSize(info.Size))
		return exitOK
	}
	r.p.host.Archive = info.Path

	if err := os.MkdirAll(p.resultsDir, 0o755); err != nil {
		return fail(stderr, exitRunner, "--results-dir: %v", err)
	}
	fmt.Fprintf(stdout, "run %s: artifacts in %s\n", p.runID, p.resultsDir)
	if len(p.images) > 0 {
		if r.compute, err = gce.New(ctx, p.gce); err != nil {
			return fail(stderr, exitRunner, "%v", err)
		}
		r.ledger, err = gce.OpenLedger(filepath.Join(p.resultsDir, gce.LedgerFile),
			gce.LedgerData{RunID: p.runID, Project: p.gce.Project, Zone: p.gce.Zone, Endpoint: p.gce.Endpoint})
		if err != nil {
			return fail(stderr, exitRunner, "%v", err)
		}
	}

	results := make([]hostrun.Result, len(p.targets)+len(p.images))
	var wg sync.WaitGroup
	for i, t := range p.targets {
		wg.Go(func() { results[i] = hostrun.Run(ctx, salvage, r.p.host, t, r.progress) })
	}
	for i, s := range p.images {
		wg.Go(func() { results[len(p.targets)+i] = r.runImage(ctx, salvage, s) })
	}
	wg.Wait()

	fmt.Fprintln(stdout)
	hostrun.WriteSummary(stdout, results)
	writeIndex(stdout, stderr, p.resultsDir, results)
	code := exitOK
	for _, res := range results {
		if !res.Passed {
			code = exitFailed
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "runner/remote: the run was interrupted")
		code = exitFailed
	}
	if r.ledger != nil {
		if live := r.ledger.Data().Live(); len(live) > 0 {
			verb := "were not deleted"
			if !p.deleteVMs {
				verb = "were kept (--delete-instances=false)"
			}
			fmt.Fprintf(stderr, "runner/remote: VMs %s %s; delete them with:\n  go run ./runner/remote reap --run-id %s --results-dir %s\n",
				strings.Join(live, ", "), verb, p.runID, p.resultsDir)
			if p.deleteVMs {
				code = exitFailed
			}
		}
	}
	return code
}
