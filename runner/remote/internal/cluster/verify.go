package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
	"github.com/node-e2e/harness/runner/remote/internal/junit"
)

// Evidence is what Verify judges for one member.
type Evidence struct {
	// Run and Member say whose it is.
	Run    Run
	Member Member
	// Pod is the member's suite pod; nil when none was found.
	Pod *corev1.Pod
	// Tarball is the fetched report.tar.gz; empty when it was not
	// fetched, and FetchErr then says why.
	Tarball  string
	FetchErr error
	// Dir is where the report is extracted: the member's artifacts
	// directory.
	Dir string
	// Limits bound the extraction. Zero: hostrun.DefaultLimits().
	Limits hostrun.Limits
}

// Verify judges one member's results. It passes only if the pod
// Succeeded, its termination message holds the entrypoint's summary, the
// tarball has the size and SHA-256 the pod recorded, it extracts into
// e.Dir (regular files and directories inside it only), the JUnit there
// parses and shows no failure, and its counts equal the pod's summary.
// Every failed check is in the Result, each naming what failed. The
// report is extracted when its digest matches, or when the pod left no
// summary to check it against (a killed pod: its logs are kept), never
// when it was tampered with. Verify reads only its arguments and files.
func Verify(e Evidence) Result {
	res := Result{Member: e.Member}
	res.Host = e.Run.ArtifactsName(e.Member)
	res.ArtifactsDir = e.Dir
	lim := e.Limits
	if lim == (hostrun.Limits{}) {
		lim = hostrun.DefaultLimits()
	}

	var sum *Summary
	switch p := e.Pod; {
	case p == nil:
		res.fail("no suite pod left (deleted before collection): its summary is lost")
	default:
		res.Pod, res.Phase = p.Name, p.Status.Phase
		cs := suiteStatus(p)
		if cs != nil && cs.State.Terminated != nil {
			t := cs.State.Terminated
			if !t.FinishedAt.IsZero() && !t.StartedAt.IsZero() {
				res.Duration = t.FinishedAt.Sub(t.StartedAt.Time)
			}
			if s, err := ParseSummary(t.Message); err == nil {
				sum = &s
				res.Summary = sum
			} else {
				res.fail("%v", err)
			}
		} else {
			res.fail("no summary from the pod: its suite container has not terminated")
		}
		res.Ended = endReason(p, sum != nil)
		if p.Status.Phase != corev1.PodSucceeded {
			why := ""
			if res.Ended != "" {
				why = ": " + res.Ended
			}
			res.Checks = append([]string{fmt.Sprintf("pod %s %s%s", p.Name, phaseWord(p.Status.Phase), why)}, res.Checks...)
		}
	}
	if sum != nil && sum.Exit != 0 {
		res.fail("the suite exited %d", sum.Exit)
	}
	if sum != nil && sum.Error != "" {
		res.fail("the pod: %s", sum.Error)
	}

	extract := false
	switch {
	case e.Tarball == "":
		res.fail("report missing: %v", cmpErr(e.FetchErr, "not fetched"))
	case sum == nil:
		extract = true // unverifiable, but its logs are worth keeping
	case sum.SHA256 == "":
		res.fail("report not verifiable: the pod recorded no digest")
	default:
		size, digest, err := fileDigest(e.Tarball)
		res.ReportBytes = size
		switch {
		case err != nil:
			res.fail("report unreadable: %v", err)
		case size < sum.Bytes:
			res.fail("report truncated: %d of the %d bytes the pod wrote", size, sum.Bytes)
		case size > sum.Bytes:
			res.fail("report size differs: %d bytes, the pod wrote %d", size, sum.Bytes)
		case digest != strings.ToLower(sum.SHA256):
			res.fail("report tampered with: sha256 %s, the pod recorded %s", digest, sum.SHA256)
		default:
			extract = true
		}
	}
	if extract {
		if res.ReportBytes == 0 {
			if fi, err := os.Stat(e.Tarball); err == nil {
				res.ReportBytes = fi.Size()
			}
		}
		if err := extractFile(e.Tarball, e.Dir, lim); err != nil {
			var refused *hostrun.RefusedError
			if errors.As(err, &refused) {
				res.fail("report refused: %v", err)
			} else {
				res.fail("report unreadable: %v", err)
			}
		} else {
			checkJUnit(&res, e.Dir, sum)
		}
	}
	res.Passed = len(res.Checks) == 0
	res.Reason = strings.Join(res.Checks, "; ")
	return res
}

// checkJUnit reads the JUnit reports in dir into res.Counts and compares
// them with the pod's summary.
func checkJUnit(res *Result, dir string, sum *Summary) {
	c, err := junit.ReadDir(dir)
	if err != nil {
		res.fail("JUnit: %v", err)
		return
	}
	res.Counts = &c
	if !c.OK() {
		n := c.Failed + c.SuiteFailures
		what := fmt.Sprintf("%d failed", n)
		if len(c.Failures) > 0 {
			what += ": " + strings.Join(c.Failures, ", ")
		} else if c.SuiteFailed {
			what = "the suite failed"
		}
		res.fail("JUnit: %s", what)
	}
	switch {
	case sum == nil:
	case !sum.Counted:
		res.fail("counts not comparable: the pod's output had no Ginkgo summary")
	case c.Passed != sum.Passed || c.Failed != sum.Failed || c.Skipped != sum.Skipped+sum.Pending:
		res.fail("counts differ: JUnit %d passed, %d failed, %d skipped; the pod's summary %d passed, %d failed, %d skipped or pending",
			c.Passed, c.Failed, c.Skipped, sum.Passed, sum.Failed, sum.Skipped+sum.Pending)
	}
}

func phaseWord(p corev1.PodPhase) string {
	switch p {
	case corev1.PodFailed:
		return "failed"
	case "":
		return "has no phase"
	}
	return "is " + string(p) + ", not Succeeded"
}

// fileDigest is path's size and SHA-256 (hex).
func fileDigest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// extractFile extracts tarball into dir through a staging directory in
// it: a refused or broken report leaves nothing; a good one replaces what
// dir held under the same names.
func extractFile(tarball, dir string, lim hostrun.Limits) error {
	f, err := os.Open(tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	staging, err := os.MkdirTemp(dir, ".report-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	if _, err := hostrun.Extract(f, staging, lim); err != nil {
		return err
	}
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	for _, en := range entries {
		dst := filepath.Join(dir, en.Name())
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(staging, en.Name()), dst); err != nil {
			return err
		}
	}
	return nil
}
