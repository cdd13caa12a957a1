package main

import (
	"fmt"
	"io"

	"github.com/node-e2e/harness/internal/report"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// writeIndex writes <results dir>/index.html, a page over the hosts that
// links each host's report.html (rendering it there when the host's report
// came back without one).
func writeIndex(stdout, stderr io.Writer, resultsDir string, results []hostrun.Result) {
	hosts := make([]report.Host, len(results))
	for i, r := range results {
		hosts[i] = report.Host{Name: r.Host, Dir: r.ArtifactsDir, Passed: r.Passed, Reason: r.Reason, Duration: r.Duration}
	}
	path, err := report.WriteIndex(resultsDir, hosts)
	if err != nil {
		fmt.Fprintf(stderr, "runner/remote: run report: %v\n", err)
		return
	}
	fmt.Fprintf(stdout, "run report: %s\n", path)
}
