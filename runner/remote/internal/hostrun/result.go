package hostrun

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/node-e2e/harness/runner/remote/internal/junit"
)

// Result is what happened on one host.
type Result struct {
	// Host is the host's name.
	Host string
	// Passed is true only if the suite exited 0, a JUnit report came back
	// and it shows no failure.
	Passed bool
	// Counts are the report's counts; nil when no readable report came
	// back.
	Counts *junit.Counts
	// Duration is the host's wall time, from its first step to its last.
	Duration time.Duration
	// ArtifactsDir holds what was fetched from the host.
	ArtifactsDir string
	// Reason says why the host failed (empty when it passed).
	Reason string
	// Notes are problems that do not fail the host, such as a workspace
	// that could not be removed.
	Notes []string
	// Workspace is the host's workspace directory, once created.
	Workspace string
}

// Fail marks r failed for reason, keeping the first reason given.
func (r *Result) Fail(reason string) {
	r.Passed = false
	if r.Reason == "" {
		r.Reason = reason
	}
}

// WriteSummary prints a table with a row per host: result, specs passed,
// failed and skipped, duration, artifacts directory and, for a failed
// host, why. No cell holds control characters or escape sequences.
func WriteSummary(w io.Writer, results []Result) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tRESULT\tPASSED\tFAILED\tSKIPPED\tDURATION\tARTIFACTS\tNOTES")
	for _, r := range results {
		result := "PASS"
		if !r.Passed {
			result = "FAIL"
		}
		passed, failed, skipped := "-", "-", "-"
		if c := r.Counts; c != nil {
			passed, failed, skipped = strconv.Itoa(c.Passed), strconv.Itoa(c.Failed+c.SuiteFailures), strconv.Itoa(c.Skipped)
		}
		notes := r.Notes
		if r.Reason != "" {
			notes = append([]string{r.Reason}, notes...)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", Printable(r.Host), result, passed, failed, skipped,
			FormatDuration(r.Duration), Printable(r.ArtifactsDir), oneLine(strings.Join(notes, "; ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if _, err := io.WriteString(w, strings.TrimRight(line, " ")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// oneLine keeps a cell on one table row, without control characters or
// escape sequences (notes quote hosts; see Printable).
func oneLine(s string) string {
	return strings.Join(strings.Fields(Printable(s)), " ")
}
