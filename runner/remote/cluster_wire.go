package main

import (
	"context"
	"errors"
	"io"

	"k8s.io/client-go/kubernetes"

	"github.com/node-e2e/harness/runner/remote/internal/cluster"
)

// The results path's pieces the lifecycle calls, in one place.

// followLogs streams each member's log into <resultsDir>/<member>/suite.log
// until its container ends.
var followLogs = func(ctx context.Context, cs kubernetes.Interface, r cluster.Run, resultsDir string, stderr io.Writer) {
	// TODO(issue 13): cluster.FollowLogs once it lands; collect keeps each pod's log meanwhile
}

// cleanNodes removes the run's report directories on its nodes.
var cleanNodes = func(ctx context.Context, cs kubernetes.Interface, r cluster.Run) error {
	return errors.New("not built yet") // TODO(issue 13): cluster.CleanNodes once it lands
}

// stopSuites stops the run's suite pods and waits until they are gone.
var stopSuites = cluster.StopSuites

// deleteRun deletes every object of the run and waits until it is gone.
var deleteRun = cluster.Delete
