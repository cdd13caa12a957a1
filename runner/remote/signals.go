package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// signals turns SIGINT and SIGTERM into the run's cancellation:
//
//   - the first cancels run: no new step starts, running suites are
//     stopped on their hosts (so they tear their nodes down), then
//     artifacts are collected, workspaces removed and VMs deleted;
//   - the second cancels salvage too: collection and cleanup are given up,
//     VMs are still deleted (each deletion is bounded by --gce-timeout);
//   - the third exits at once; the ledger names any VM left for reap.
//
// The ssh children run in process groups of their own, so a terminal's
// Ctrl-C reaches only the runner, which decides what each child gets.
type signals struct {
	run, salvage context.Context
	stop         func()
}

func handleSignals(stderr io.Writer, p plan) signals {
	runCtx, cancelRun := context.WithCancel(context.Background())
	salvageCtx, cancelSalvage := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case s := <-ch:
				n++
				switch n {
				case 1:
					fmt.Fprintf(stderr, "runner/remote: %v: stopping the suites, then collecting artifacts, removing workspaces and deleting VMs (signal again to skip collecting)\n", s)
					cancelRun()
				case 2:
					fmt.Fprintf(stderr, "runner/remote: %v: skipping collection and cleanup; deleting VMs (signal again to exit at once)\n", s)
					cancelSalvage()
				default:
					fmt.Fprintf(stderr, "runner/remote: %v: exiting now\n", s)
					if len(p.images) > 0 {
						fmt.Fprintf(stderr, "runner/remote: delete any VM left with: go run ./runner/remote reap --run-id %s --results-dir %s\n", p.runID, p.resultsDir)
					}
					os.Exit(exitFailed)
				}
			case <-done:
				return
			}
		}
	}()
	return signals{run: runCtx, salvage: salvageCtx, stop: func() {
		signal.Stop(ch)
		close(done)
		cancelRun()
		cancelSalvage()
	}}
}
