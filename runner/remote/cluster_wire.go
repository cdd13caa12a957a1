package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"k8s.io/client-go/kubernetes"

	"github.com/node-e2e/harness/runner/remote/internal/cluster"
)

// The results path's pieces the lifecycle calls, in one place (variables
// so that unit tests can stand in for them).

// followLogs streams each member's log into <resultsDir>/<member>/suite.log
// (cluster.FollowLogs) until its container ends or ctx does.
var followLogs = func(ctx context.Context, cs kubernetes.Interface, r cluster.Run, resultsDir string, stderr io.Writer) {
	var wg sync.WaitGroup
	for _, m := range r.Members() {
		dir := filepath.Join(resultsDir, r.ArtifactsName(m))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "runner/remote: %s: %v\n", m, err)
			continue
		}
		f, err := os.Create(filepath.Join(dir, "suite.log"))
		if err != nil {
			fmt.Fprintf(stderr, "runner/remote: %s: %v\n", m, err)
			continue
		}
		wg.Go(func() {
			defer f.Close()
			if err := cluster.FollowLogs(ctx, cs, r, m, f); err != nil && ctx.Err() == nil {
				fmt.Fprintf(stderr, "runner/remote: following %s's log: %v\n", m, err)
			}
		})
	}
	wg.Wait()
}

// pushSuiteImage pushes the suite image and returns its reference by
// digest (the integration tests swap it for one the nodes cannot pull).
var pushSuiteImage = cluster.PushSuiteImage

// cleanNodes removes the run's report directories on its nodes.
var cleanNodes = cluster.CleanNodes

// stopSuites stops the run's suite pods and waits until they are gone.
var stopSuites = cluster.StopSuites

// deleteRun deletes every object of the run and waits until it is gone.
var deleteRun = cluster.Delete
