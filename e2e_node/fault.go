package e2e_node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/onsi/ginkgo/v2"

	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// A node process that dies during the run (the kubelet without
// --restart-kubelet, containerd, the services process) is a fault: process
// 1 writes its description, with the log tail, to the run's fault file, and
// every Ginkgo process that sees that file interrupts itself, so the
// running specs end at once, the rest are skipped and teardown still runs.

// faulted is set in a process once it has seen the fault file.
var faulted atomic.Bool

// faultPoll is how often each process looks for the fault file.
const faultPoll = 250 * time.Millisecond

// watchNode watches process 1's node until the returned stop is called,
// reporting a fault if a node process dies for good.
func watchNode(node *services.Node, l run.Layout, restart bool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := node.Watch(ctx, restart); err != nil {
			reportFault(l, err)
		}
	}()
	return func() { cancel(); <-done }
}

// reportFault records err as the run's fault, for every process to see,
// and marks the harness failed.
func reportFault(l run.Layout, err error) {
	harness.failed.Store(true)
	msg := []byte(err.Error() + "\n")
	werr := errors.Join(
		run.WriteFile(l.FaultFile(), msg, 0o600),
		run.WriteFile(filepath.Join(l.ReportDir, "fault.txt"), msg, 0o644),
	)
	if werr != nil {
		// The others cannot be told; this process still stops.
		fmt.Fprintf(os.Stderr, "e2e_node.test: record the fault: %v\n", werr)
		announceFault(string(msg))
	}
}

// watchFaultFile interrupts this process once path appears. Called from
// the suite's setup (SynchronizedBeforeSuite), it registers the watch's
// stop as a cleanup that Ginkgo runs at the end of the suite, after the
// after-suite nodes, and that returns once the watch has ended.
func watchFaultFile(path string) {
	ginkgo.DeferCleanup(pollFaultFile(path))
}

// pollFaultFile looks for path every faultPoll and announces its text as
// the fault once it appears, until the returned stop is called.
func pollFaultFile(path string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var msg []byte
		err := proc.Await(ctx, faultPoll, func() (bool, error) {
			var err error
			msg, err = os.ReadFile(path)
			return err == nil, nil
		})
		if err == nil {
			announceFault(string(msg))
		}
	}()
	return func() { cancel(); <-done }
}

// announceFault prints the fault and interrupts the specs of this process
// the way Ctrl-C would: the running spec is cancelled and cleaned up, the
// others are skipped, and the after-suite teardown runs.
func announceFault(msg string) {
	if faulted.Swap(true) {
		return
	}
	fmt.Fprintf(os.Stderr, "\ne2e_node.test: the node failed during the run; aborting the specs:\n%s\n", msg)
	_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
}

// faultText is the recorded fault of the run in dir, or "".
func faultText(l run.Layout) string {
	b, err := os.ReadFile(filepath.Join(l.ReportDir, "fault.txt"))
	if err != nil {
		return ""
	}
	return string(b)
}
