package e2e_node

import (
	"errors"
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/node-e2e/harness/e2e_node/options"
	"github.com/node-e2e/harness/e2e_node/startgate"
)

// awaitStart is the --await-start mode: the suite pod's side of cluster
// mode's start barrier. It prints the line runner/remote reads the start
// skew from ("node-e2e: start signal <release> seen at <epoch.µs>") and
// returns 0 on release, 3 on abort or failure.
func awaitStart(c *options.Config) int {
	namespace, name, err := c.AwaitStartPod()
	if err == nil {
		err = awaitStartOf(c, namespace, name)
	}
	switch {
	case errors.Is(err, startgate.ErrAborted):
		fmt.Println("node-e2e: run aborted before the start signal")
		return ExitHarness
	case err != nil:
		fmt.Fprintf(os.Stderr, "e2e_node.test: --await-start: %v\n", err)
		return ExitHarness
	}
	return ExitOK
}

func awaitStartOf(c *options.Config, namespace, name string) error {
	rc, _, err := restConfig(c)
	if err != nil {
		return err
	}
	rc.QPS, rc.Burst = -1, 0 // a handful of requests: no client-side limit
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	release, err := startgate.Await(ctx, cs, namespace, name)
	if err != nil {
		return err
	}
	now := time.Now()
	fmt.Printf("node-e2e: start signal %s seen at %d.%06d\n", release, now.Unix(), now.Nanosecond()/1000)
	return nil
}
