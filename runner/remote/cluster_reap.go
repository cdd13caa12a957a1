package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/cluster"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// isClusterReap reports whether reap's flags name a cluster (--kubeconfig,
// --context) or a cluster-only selection (--older-than, --expired): the
// other reap deletes GCE VMs.
func isClusterReap(argv []string) bool {
	return slices.ContainsFunc([]string{"kubeconfig", "context", "older-than", "expired"}, func(f string) bool { return suite.HasFlag(argv, f) })
}

// clusterReapMain deletes cluster runs by id, age or expiry
// (cluster.Reap), their node directories included.
func clusterReapMain(argv []string, stdout, stderr io.Writer) int {
	var k kubeFlags
	var sel cluster.ReapSelector
	fs := flag.NewFlagSet("runner/remote reap (cluster)", flag.ContinueOnError)
	fs.SetOutput(stderr)
	k.addFlags(fs)
	fs.StringVar(&sel.RunID, "run-id", "", "delete this run")
	fs.DurationVar(&sel.OlderThan, "older-than", 0, "delete the runs created longer ago than this")
	fs.BoolVar(&sel.Expired, "expired", false, "delete the runs past their expiry (created + --test-timeout + --ttl)")
	fs.DurationVar(&sel.Wait, "timeout", 3*time.Minute, "bound on deleting each run")
	if code, ok := parseFlags(fs, argv, stderr, "reap: ", ""); !ok {
		return code
	}
	cs, _, _, err := kubeClient(k)
	if err != nil {
		return fail(stderr, exitUsage, "reap: %v", err)
	}
	ctx, stop := interruptible()
	defer stop()
	sel.CleanNodes = cleanNodes
	reaped, err := cluster.Reap(ctx, cs, sel)
	var ue *cluster.UsageError
	var unknown *cluster.UnknownRunError
	switch {
	case errors.As(err, &ue), errors.As(err, &unknown):
		return fail(stderr, exitUsage, "reap: %v", err)
	case err != nil:
		return fail(stderr, exitRunner, "reap: %v", err)
	}
	code := exitOK
	progress := hostrun.NewProgress(stdout)
	for _, r := range reaped {
		note := r.Why
		if r.Note != "" {
			note += "; " + r.Note
		}
		if r.Err != nil {
			progress.Step(r.RunID, "reap", "FAILED", 0, note+": "+r.Err.Error())
			code = exitFailed
			continue
		}
		progress.Step(r.RunID, "reap", "ok", 0, note)
	}
	fmt.Fprintf(stdout, "%d runs reaped\n", len(reaped))
	return code
}
