package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/runner/remote/internal/cluster"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// attachPoll is how often attach reads the run's state.
const attachPoll = time.Second

// attachRun follows run id until every member ended, then collects it.
// An interrupt leaves the run in the cluster and says how to re-attach.
func attachRun(ctx context.Context, cs kubernetes.Interface, kube kubeFlags, id, resultsDir string, stdout, stderr io.Writer) int {
	st, code := lookup(ctx, cs, id, stderr)
	if st == nil {
		return code
	}
	if st.Terminating {
		return fail(stderr, exitFailed, "attach: run %s is being deleted (phase %s)", id, st.Phase)
	}
	if st.Released.IsZero() {
		return fail(stderr, exitFailed, "attach: run %s was never released (its runner stopped before the start, phase %s): cancel it with: go run ./runner/remote cancel%s --run-id=%s",
			id, st.Phase, kubeArgs(kube), id)
	}
	r := st.Run
	var names []string
	for _, m := range r.Members() {
		names = append(names, r.ArtifactsName(m))
	}
	progress := hostrun.NewProgress(stdout, names...)
	fmt.Fprintf(stdout, "run %s: attached (%d suite pods, released %s); artifacts in %s; an interrupt leaves the run running\n",
		id, len(st.Members), stamp(st.Released), resultsDir)

	fctx, stopFollow := context.WithCancel(ctx)
	var follow sync.WaitGroup
	follow.Go(func() { followLogs(fctx, cs, r, resultsDir, stderr) })
	defer func() { stopFollow(); follow.Wait() }()

	ended := map[cluster.Member]bool{}
	for {
		done := 0
		for _, m := range st.Members {
			if !m.Done() {
				continue
			}
			done++
			if !ended[m.Member] {
				ended[m.Member] = true
				var d time.Duration // unknown when the pod is gone (deleted)
				if !m.Started.IsZero() && !m.Ended.IsZero() {
					d = m.Ended.Sub(m.Started)
				}
				progress.Step(r.ArtifactsName(m.Member), "suite", "ended", d, memberSummary(m))
			}
		}
		if done == len(st.Members) {
			break
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "runner/remote: interrupted: run %s goes on in the cluster; re-attach with:\n  go run ./runner/remote attach%s --run-id=%s --results-dir=%s\n",
				id, kubeArgs(kube), id, shell.Quote(resultsDir))
			return exitFailed
		case <-time.After(attachPoll):
		}
		next, err := cluster.Lookup(ctx, cs, id)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			return fail(stderr, exitFailed, "attach: run %s: %v", id, err)
		}
		st = next
	}
	// The log streams end with their containers; a stream stuck past
	// that is cut.
	followed := make(chan struct{})
	go func() { follow.Wait(); close(followed) }()
	select {
	case <-followed:
	case <-time.After(30 * time.Second):
		stopFollow()
	}
	return collectRun(ctx, cs, kube, id, resultsDir, 5*time.Minute, stdout, stderr)
}

// collectRun fetches and verifies every member's results into
// resultsDir, prints the summary table, then deletes the run. A run with
// members still running is left alone.
func collectRun(ctx context.Context, cs kubernetes.Interface, kube kubeFlags, id, resultsDir string, timeout time.Duration, stdout, stderr io.Writer) int {
	st, code := lookup(ctx, cs, id, stderr)
	if st == nil {
		return code
	}
	var running int
	for _, m := range st.Members {
		if !m.Done() {
			running++
		}
	}
	if running > 0 {
		writeStatus(stdout, st)
		return fail(stderr, exitFailed, "collect: run %s: %d of %d suite pods still run: wait for them with attach, or stop the run with cancel%s --run-id=%s",
			id, running, len(st.Members), kubeArgs(kube), id)
	}
	if err := os.MkdirAll(resultsDir, 0o755); err != nil {
		return fail(stderr, exitRunner, "--results-dir: %v", err)
	}
	r := st.Run
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	results := make([]hostrun.Result, len(st.Members))
	var wg sync.WaitGroup
	for i, m := range st.Members {
		wg.Go(func() {
			dir := filepath.Join(resultsDir, r.ArtifactsName(m.Member))
			res, err := cluster.Collect(cctx, cs, r, m.Member, dir)
			if err != nil {
				res.Host, res.ArtifactsDir = r.ArtifactsName(m.Member), dir
				res.Fail(err.Error())
			}
			if !m.Started.IsZero() && !m.Ended.IsZero() && res.Duration == 0 {
				res.Duration = m.Ended.Sub(m.Started)
			}
			if err := keepLog(cctx, cs, r, m, dir); err != nil {
				res.Notes = append(res.Notes, "suite.log: "+err.Error())
			}
			results[i] = res.Result
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return fail(stderr, exitFailed, "collect: interrupted: run %s is left in the cluster; collect it again later", id)
	}
	fmt.Fprintln(stdout)
	hostrun.WriteSummary(stdout, results)
	writeIndex(stdout, stderr, resultsDir, results)

	code = exitOK
	for _, res := range results {
		if !res.Passed {
			code = exitFailed
		}
	}
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer dcancel()
	_ = cluster.SetPhase(dctx, cs, id, cluster.PhaseCollected)
	start := time.Now()
	if err := removeRun(dctx, cs, r, stdout); err != nil {
		return fail(stderr, exitFailed, "run %s: %v; delete what is left with: go run ./runner/remote reap%s --run-id=%s", id, err, kubeArgs(kube), id)
	}
	fmt.Fprintf(stdout, "run %s: deleted in %v\n", id, time.Since(start).Round(time.Millisecond))
	return code
}

// keepLog writes m's container log to dir/suite.log unless following it
// did already.
func keepLog(ctx context.Context, cs kubernetes.Interface, r cluster.Run, m cluster.MemberStatus, dir string) error {
	path := filepath.Join(dir, "suite.log")
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 || m.Pod == "" {
		return nil
	}
	b, err := cs.CoreV1().Pods(r.Namespace).GetLogs(m.Pod, &corev1.PodLogOptions{Container: "suite"}).DoRaw(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
