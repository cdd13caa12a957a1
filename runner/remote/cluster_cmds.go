package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/node-e2e/harness/runner/remote/internal/cluster"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// clusterCmdConfig is the flags of attach, status, collect and cancel.
type clusterCmdConfig struct {
	kubeFlags
	// RunID is the run. Required, but for status (every run).
	RunID string
	// ResultsDir receives the artifacts (attach, collect). Default
	// $ARTIFACTS, else /tmp/_artifacts/<run id>.
	ResultsDir string
	// Timeout bounds cancel's deletion, and collect's fetching.
	Timeout time.Duration
}

// clusterCmdMain runs attach, status, collect or cancel.
func clusterCmdMain(cmd string, argv []string, stdout, stderr io.Writer) int {
	c := clusterCmdConfig{Timeout: 5 * time.Minute}
	fs := flag.NewFlagSet("runner/remote "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.kubeFlags.addFlags(fs)
	fs.StringVar(&c.RunID, "run-id", c.RunID, "the run (see status for the runs the cluster holds)")
	if cmd == "attach" || cmd == "collect" {
		fs.StringVar(&c.ResultsDir, "results-dir", c.ResultsDir, "where each node's artifacts go (default $ARTIFACTS, else /tmp/_artifacts/<run id>)")
	}
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "bound on deleting the run (and on fetching its results)")
	if code, ok := parseFlags(fs, argv, stderr, cmd+": ", ""); !ok {
		return code
	}
	if c.RunID == "" && cmd != "status" {
		return fail(stderr, exitUsage, "%s: --run-id is required (status lists the runs the cluster holds)", cmd)
	}
	if c.Timeout <= 0 {
		return fail(stderr, exitUsage, "%s: --timeout=%s: want more than 0", cmd, c.Timeout)
	}
	if c.ResultsDir == "" {
		c.ResultsDir = os.Getenv("ARTIFACTS")
	}
	if c.ResultsDir == "" {
		c.ResultsDir = "/tmp/_artifacts/" + c.RunID
	}
	cs, _, _, err := kubeClient(c.kubeFlags)
	if err != nil {
		return fail(stderr, exitUsage, "%s: %v", cmd, err)
	}
	ctx, stop := interruptible()
	defer stop()
	switch cmd {
	case "status":
		return statusCmd(ctx, cs, c.RunID, stdout, stderr)
	case "cancel":
		return cancelCmd(ctx, cs, c.RunID, c.Timeout, stdout, stderr)
	case "attach":
		return attachRun(ctx, cs, c.kubeFlags, c.RunID, c.ResultsDir, stdout, stderr)
	default:
		return collectRun(ctx, cs, c.kubeFlags, c.RunID, c.ResultsDir, c.Timeout, stdout, stderr)
	}
}

// lookup finds run id, mapping an unknown id to exitUsage.
func lookup(ctx context.Context, cs kubernetes.Interface, id string, stderr io.Writer) (*cluster.State, int) {
	st, err := cluster.Lookup(ctx, cs, id)
	var unknown *cluster.UnknownRunError
	switch {
	case errors.As(err, &unknown):
		return nil, fail(stderr, exitUsage, "%v", err)
	case err != nil:
		return nil, fail(stderr, exitRunner, "%v", err)
	}
	return st, exitOK
}

// statusCmd prints one line per member of run id, or one line per run
// without an id.
func statusCmd(ctx context.Context, cs kubernetes.Interface, id string, stdout, stderr io.Writer) int {
	if id == "" {
		runs, err := cluster.List(ctx, cs)
		if err != nil {
			return fail(stderr, exitRunner, "status: %v", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RUN\tPHASE\tCREATED\tEXPIRES\tNODES\tREPLICAS\tENDED")
		for _, s := range runs {
			done := 0
			for _, m := range s.Members {
				if m.Done() {
					done++
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d/%d\n", s.Run.ID, phaseOf(s), stamp(s.Run.Created), stamp(s.Run.Expires()),
				len(s.Run.Nodes), s.Run.Replicas, done, len(s.Members))
		}
		tw.Flush()
		return exitOK
	}
	st, code := lookup(ctx, cs, id, stderr)
	if st == nil {
		return code
	}
	writeStatus(stdout, st)
	return exitOK
}

func phaseOf(s cluster.State) string {
	if s.Terminating {
		return string(s.Phase) + " (deleting)"
	}
	return string(s.Phase)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// writeStatus prints the run's header and a line per member.
func writeStatus(w io.Writer, st *cluster.State) {
	r := st.Run
	fmt.Fprintf(w, "run %s: %s, created %s, released %s, expires %s, %s x %d, suite image %s\n", r.ID, phaseOf(*st),
		stamp(r.Created), stamp(st.Released), stamp(r.Expires()), r.Workload, r.Replicas, r.SuiteImage)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tREPLICA\tPOD\tPHASE\tSTARTED\tENDED\tSUMMARY")
	for _, m := range st.Members {
		pod, phase := m.Pod, string(m.Phase)
		if pod == "" {
			pod, phase = "-", "no pod"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", hostrun.Printable(m.Node), m.Replica, pod, phase, stamp(m.Started), stamp(m.Ended), memberSummary(m))
	}
	tw.Flush()
}

// memberSummary is the pod's own summary when it left one, else its
// exit code and reason.
func memberSummary(m cluster.MemberStatus) string {
	if s, err := cluster.ParseSummary(m.Termination); err == nil && s.Counted {
		return fmt.Sprintf("exit %d: ran %d of %d, %d passed, %d failed, %d skipped", s.Exit, s.Ran, s.Specs, s.Passed, s.Failed, s.Skipped)
	}
	out := ""
	if m.ExitCode != nil {
		out = "exit " + strconv.Itoa(int(*m.ExitCode))
	}
	if m.Reason != "" {
		if out != "" {
			out += " "
		}
		out += m.Reason
	}
	if m.Message != "" {
		out += ": " + m.Message
	}
	if out == "" {
		return "-"
	}
	return hostrun.Printable(out)
}

// cancelCmd deletes run id now: its suite pods, node directories and
// every object.
func cancelCmd(ctx context.Context, cs kubernetes.Interface, id string, timeout time.Duration, stdout, stderr io.Writer) int {
	st, code := lookup(ctx, cs, id, stderr)
	if st == nil {
		return code
	}
	start := time.Now()
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := cluster.SetPhase(dctx, cs, id, cluster.PhaseCancelled); err != nil {
		fmt.Fprintf(stderr, "runner/remote: cancel: %v\n", err)
	}
	if err := removeRun(dctx, cs, st.Run, stdout); err != nil {
		return fail(stderr, exitFailed, "cancel: run %s: %v", id, err)
	}
	fmt.Fprintf(stdout, "run %s: cancelled and deleted in %v\n", id, time.Since(start).Round(time.Millisecond))
	return exitOK
}

// removeRun deletes everything of run r: the suite pods first (so no
// suite writes on), then the node directories, then every object.
func removeRun(ctx context.Context, cs kubernetes.Interface, r cluster.Run, stdout io.Writer) error {
	if err := stopSuites(ctx, cs, r.ID); err != nil {
		return err
	}
	if err := cleanNodes(ctx, cs, r); err != nil {
		fmt.Fprintf(stdout, "run %s: node report directories not removed (%v); the next run's entrypoint prunes them once expired\n", r.ID, err)
	}
	return deleteRun(ctx, cs, r.ID)
}
