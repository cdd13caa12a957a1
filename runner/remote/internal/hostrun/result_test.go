package hostrun

import (
	"bytes"
	"testing"
	"time"

	"github.com/node-e2e/harness/runner/remote/internal/junit"
)

func TestWriteSummary(t *testing.T) {
	results := []Result{
		{Host: "good", Passed: true, Counts: &junit.Counts{Passed: 1, Skipped: 63}, Duration: 42100 * time.Millisecond, ArtifactsDir: "/r/good"},
		{Host: "specs-failed", Counts: &junit.Counts{Passed: 60, Failed: 2, SuiteFailures: 1, Skipped: 1}, Duration: 11 * time.Minute, ArtifactsDir: "/r/specs-failed",
			Reason: "3 failed: a; b and 1 more"},
		{Host: "hung", Duration: 5 * time.Second, ArtifactsDir: "/r/hung", Reason: "workspace: timed out after 5s",
			Notes: []string{"cleanup: exit status 255:\nConnection closed"}},
	}
	var buf bytes.Buffer
	if err := WriteSummary(&buf, results); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"HOST          RESULT  PASSED  FAILED  SKIPPED  DURATION  ARTIFACTS        NOTES\n" +
		"good          PASS    1       0       63       42.1s     /r/good\n" +
		"specs-failed  FAIL    60      3       1        11m00s    /r/specs-failed  3 failed: a; b and 1 more\n" +
		"hung          FAIL    -       -       -        5.0s      /r/hung          workspace: timed out after 5s; cleanup: exit status 255: Connection closed\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestResultFailKeepsFirstReason(t *testing.T) {
	r := Result{Passed: true}
	r.Fail("copy: timed out")
	r.Fail("no JUnit report")
	if r.Passed || r.Reason != "copy: timed out" {
		t.Errorf("got %+v", r)
	}
}
