package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/node-e2e/harness/runner/remote/internal/gce"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// reapConfig is the reap command's flags.
type reapConfig struct {
	// RunID selects instances by label; default the ledger's run id.
	RunID string
	// ResultsDir holds the run's ledger (instances.json). Optional.
	ResultsDir string
	// Project, Zone, GCEEndpoint: default the ledger's.
	Project, Zone, GCEEndpoint string
	// GCETimeout bounds each API call. Default 5m.
	GCETimeout time.Duration
}

func (c *reapConfig) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.RunID, "run-id", c.RunID, "delete the VMs labelled "+gce.LabelKey+"=<run id> (default the ledger's run id)")
	fs.StringVar(&c.ResultsDir, "results-dir", c.ResultsDir, "the run's results directory: delete the VMs its "+gce.LedgerFile+" lists")
	fs.StringVar(&c.Project, "project", c.Project, "GCE project (default the ledger's)")
	fs.StringVar(&c.Zone, "zone", c.Zone, "GCE zone (default the ledger's)")
	fs.StringVar(&c.GCEEndpoint, "gce-endpoint", c.GCEEndpoint, "Compute API endpoint (default the ledger's, else Google's)")
	fs.DurationVar(&c.GCETimeout, "gce-timeout", c.GCETimeout, "bound on each Compute API call and its operation")
}

// reapMain deletes what a run left: the VMs its ledger lists as not
// deleted and the VMs carrying its label, each only if its label is the
// run's (a ledger name held by another's VM is left alone, and said so).
func reapMain(argv []string, stdout, stderr io.Writer) int {
	c := reapConfig{GCETimeout: gce.NewConfig().Timeout}
	fs := flag.NewFlagSet("runner/remote reap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.addFlags(fs)
	if code, ok := parseFlags(fs, argv, stderr, "reap: ", ""); !ok {
		return code
	}
	var ledger *gce.Ledger
	if c.ResultsDir != "" {
		path := filepath.Join(c.ResultsDir, gce.LedgerFile)
		d, err := gce.ReadLedger(path)
		switch {
		case errors.Is(err, os.ErrNotExist) && c.RunID != "":
			fmt.Fprintf(stdout, "no ledger at %s; deleting by label only\n", path)
		case err != nil:
			return fail(stderr, exitUsage, "reap: --results-dir: %v", err)
		default:
			if c.RunID != "" && c.RunID != d.RunID {
				return fail(stderr, exitUsage, "reap: --run-id %s, but %s belongs to run %s", c.RunID, path, d.RunID)
			}
			c.RunID = d.RunID
			c.Project, c.Zone = cmp.Or(c.Project, d.Project), cmp.Or(c.Zone, d.Zone)
			c.GCEEndpoint = cmp.Or(c.GCEEndpoint, d.Endpoint)
			if ledger, err = gce.OpenLedger(path, d); err != nil {
				return fail(stderr, exitUsage, "reap: %v", err)
			}
		}
	}
	switch {
	case c.RunID == "":
		return fail(stderr, exitUsage, "reap: give --run-id or --results-dir")
	case !gce.ValidRunID(c.RunID):
		return fail(stderr, exitUsage, "reap: --run-id %q: not a run id", c.RunID)
	case c.Project == "" || c.Zone == "":
		return fail(stderr, exitUsage, "reap: give --project and --zone (no ledger names them)")
	case c.GCETimeout <= 0:
		return fail(stderr, exitUsage, "reap: --gce-timeout %s: want more than 0", c.GCETimeout)
	}
	gc := gce.NewConfig()
	gc.Project, gc.Zone, gc.Endpoint, gc.RunID, gc.Timeout = c.Project, c.Zone, c.GCEEndpoint, c.RunID, c.GCETimeout
	ctx := context.Background()
	compute, err := gce.New(ctx, gc)
	if err != nil {
		return fail(stderr, exitRunner, "reap: %v", err)
	}
	progress := hostrun.NewProgress(stdout)
	deleted, leftAlone, err := gce.Reap(ctx, compute, ledger, c.RunID, func(name string, d time.Duration, err error) {
		var notOurs *gce.NotOursError
		switch {
		case errors.As(err, &notOurs):
			progress.Step(name, "delete", "skipped", d, err.Error())
		case err != nil:
			progress.Step(name, "delete", "FAILED", d, err.Error())
		default:
			progress.Step(name, "delete", "ok", d, "")
		}
	})
	fmt.Fprintf(stdout, "run %s: %d VMs deleted", c.RunID, len(deleted))
	if len(leftAlone) > 0 {
		fmt.Fprintf(stdout, "; %d left alone, not this run's: %s", len(leftAlone), strings.Join(leftAlone, ", "))
	}
	fmt.Fprintln(stdout)
	if err != nil {
		return fail(stderr, exitFailed, "reap: %v", err)
	}
	return exitOK
}
