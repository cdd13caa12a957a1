package hostrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/node-e2e/harness/runner/internal/runnertest"
	"github.com/node-e2e/harness/runner/remote/internal/archive"
	"github.com/node-e2e/harness/runner/remote/internal/fakesuite"
	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

// fakeSSH stands in for ssh: it runs the remote command locally with
// bash, except for the address "hang", where it never answers, like a
// host that accepts connections and never speaks SSH.
const fakeSSH = `#!/usr/bin/env bash
while [[ $# -gt 0 && $1 != -- ]]; do shift; done
host=$2 cmd=$3
if [[ $host == hang ]]; then exec sleep 3600; fi
exec bash -c "$cmd"
`

// syncBuffer is a buffer safe for Progress and the test to share.
type syncBuffer = runnertest.SyncBuffer

// fakeRun sets up a Config whose ssh and suite are stand-ins.
func fakeRun(t *testing.T) Config {
	t.Helper()
	return fakeRunWithDeps(t, "#!/bin/sh\nexit 0\n")
}

// fakeRunWithDeps is fakeRun with installDeps as the archive's
// install-deps.sh.
func fakeRunWithDeps(t *testing.T, installDeps string) Config {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := fakesuite.WriteBinDir(bin); err != nil {
		t.Fatal(err)
	}
	deps := filepath.Join(dir, "install-deps.sh")
	os.WriteFile(deps, []byte(installDeps), 0o755)
	ssh := filepath.Join(dir, "ssh")
	os.WriteFile(ssh, []byte(fakeSSH), 0o755)
	a := archive.Config{BinDir: bin, InstallDepsScript: deps, Path: filepath.Join(dir, "a.tar.gz")}
	if _, err := archive.Build(a); err != nil {
		t.Fatal(err)
	}
	c := NewConfig()
	c.SSH = sshcmd.Client{Binary: ssh}
	c.Archive = a.Path
	c.ResultsDir = filepath.Join(dir, "results")
	c.InstallDeps = true
	c.Timeouts.Command = 5 * time.Second
	c.Timeouts.Test = 20 * time.Second
	return c
}

func readArgs(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

func TestRunPasses(t *testing.T) {
	c := fakeRun(t)
	c.Suite.Focus = `it's "a" $(test) | Ready`
	c.Suite.LabelFilter = "NodeConformance && !Slow"
	c.Suite.TestArgs = []string{"--kubelet-flags=--v=4 --max-pods=20"}
	var out syncBuffer
	r := Run(context.Background(), context.Background(), c, sshcmd.Target{Name: "h1", Address: "local"}, NewProgress(&out, "h1"))
	if !r.Passed || r.Reason != "" || r.Counts == nil || r.Counts.Passed != 1 {
		t.Fatalf("result %+v\n%s", r, out.String())
	}
	if r.ArtifactsDir != filepath.Join(c.ResultsDir, "h1") {
		t.Errorf("artifacts in %s", r.ArtifactsDir)
	}
	for _, f := range []string{"junit_01.xml", "kubelet.log", "ginkgo.log", StepsLog} {
		if _, err := os.Stat(filepath.Join(r.ArtifactsDir, f)); err != nil {
			t.Errorf("artifact missing: %v", err)
		}
	}
	args := readArgs(t, r.ArtifactsDir)
	for _, want := range []string{"--focus=" + c.Suite.Focus, "--label-filter=" + c.Suite.LabelFilter, "--kubelet-flags=--v=4 --max-pods=20", "--report-dir=" + r.Workspace + "/results"} {
		if !contains(args, want) {
			t.Errorf("the suite did not get %q intact; got %q", want, args)
		}
	}
	if _, err := os.Stat(r.Workspace); !os.IsNotExist(err) {
		t.Errorf("workspace %q still there: %v", r.Workspace, err)
	}
	steps := regexp.MustCompile(`(?m)^\S+ h1 +(\S+) +(\S+)`).FindAllStringSubmatch(out.String(), -1)
	var got []string
	for _, s := range steps {
		got = append(got, s[1]+" "+s[2])
	}
	want := []string{"workspace ok", "copy ok", "unpack ok", "install ok", "suite started", "specs 1/1", "suite ok", "collect ok", "cleanup ok"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("progress steps %q, want %q\n%s", got, want, out.String())
	}
}

func TestRunFailures(t *testing.T) {
	for _, tc := range []struct {
		name        string
		testArgs    []string
		staleReport bool // an earlier run's passing report is in the artifacts directory
		reason      string
		counts      bool
	}{
		{"spec fails", []string{"--fake-fail"}, false, "1 failed: fake spec", true},
		{"exit 0 without a report", []string{"--fake-no-report"}, false, "no JUnit report (junit*.xml) in", false},
		{"exit 0 without a report, an earlier run's report around", []string{"--fake-no-report"}, true, "no JUnit report (junit*.xml) in", false},
		{"non-zero exit with a clean report", []string{"--fake-exit=3"}, false, "suite: exit status 3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeRun(t)
			c.Suite.TestArgs = tc.testArgs
			if tc.staleReport {
				os.MkdirAll(filepath.Join(c.ResultsDir, "h"), 0o755)
				os.WriteFile(filepath.Join(c.ResultsDir, "h", "junit_01.xml"), []byte(`<testsuites><testsuite><testcase name="[It] x" status="passed"></testcase></testsuite></testsuites>`), 0o644)
			}
			r := Run(context.Background(), context.Background(), c, sshcmd.Target{Name: "h", Address: "local"}, nil)
			if r.Passed || !strings.Contains(r.Reason, tc.reason) || (r.Counts != nil) != tc.counts {
				t.Errorf("result %+v, want failed with %q", r, tc.reason)
			}
		})
	}
}

// TestRunSuiteDeadline checks that a suite running past --test-timeout is
// interrupted on the host by its own deadline, and its artifacts fetched.
func TestRunSuiteDeadline(t *testing.T) {
	c := fakeRun(t)
	c.Timeouts.Test = 10 * time.Second
	c.Suite.TestArgs = []string{"--fake-sleep=600"}
	start := time.Now()
	r := Run(context.Background(), context.Background(), c, sshcmd.Target{Name: "h", Address: "local"}, nil)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s with a 10s test timeout", d)
	}
	if r.Passed || !strings.Contains(r.Reason, "suite: ran past its deadline on the host") {
		t.Errorf("result %+v", r)
	}
	if _, err := os.Stat(filepath.Join(r.ArtifactsDir, "interrupted")); err != nil {
		t.Errorf("the suite was not interrupted, or its files not fetched: %v", err)
	}
}

// TestRunInterrupted checks that cancelling the run stops the suite on
// the host (one SIGINT), then still collects and cleans up.
func TestRunInterrupted(t *testing.T) {
	c := fakeRun(t)
	c.Suite.TestArgs = []string{"--fake-sleep=600"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan Result)
	go func() {
		done <- Run(ctx, context.Background(), c, sshcmd.Target{Name: "h", Address: "local"}, NewProgress(&out))
	}()
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(out.String(), "suite     started"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("suite did not start:\n%s", out.String())
		}
	}
	time.Sleep(time.Second) // let the stand-in suite start on the "host"
	cancel()
	var r Result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("Run did not return after the interrupt:\n%s", out.String())
	}
	if r.Passed || !strings.Contains(r.Reason, "suite: interrupted") {
		t.Errorf("result %+v", r)
	}
	for _, want := range []string{"stop      ok", "collect   ok", "cleanup   ok"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(r.ArtifactsDir, "interrupted")); err != nil {
		t.Errorf("suite not interrupted on the host: %v", err)
	}
	if _, err := os.Stat(r.Workspace); !os.IsNotExist(err) {
		t.Errorf("workspace left: %v", err)
	}
}

func TestRunHungHost(t *testing.T) {
	c := fakeRun(t)
	c.Timeouts.Command = time.Second
	start := time.Now()
	r := Run(context.Background(), context.Background(), c, sshcmd.Target{Name: "h", Address: "hang"}, nil)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s with a 1s step timeout", d)
	}
	if r.Passed || r.Reason != "workspace: timed out after 1s" {
		t.Errorf("result %+v", r)
	}
}

// TestRunHostEscapeSequences runs a host whose install step prints
// escape sequences on its standard output and error and fails: the
// progress lines and the summary show its text without them.
func TestRunHostEscapeSequences(t *testing.T) {
	c := fakeRunWithDeps(t, "#!/bin/sh\n"+
		"printf '\\033]0;pwned\\007\\033[2Jinstalled containerd\\n'\n"+
		"printf 'E: \\033]0;pwned\\007\\033[2Japt is \\033[31mbroken\\033[0m\\r\\n' >&2\n"+
		"exit 100\n")
	var out syncBuffer
	r := Run(context.Background(), context.Background(), c, sshcmd.Target{Name: "h", Address: "local"}, NewProgress(&out, "h"))
	var summary bytes.Buffer
	WriteSummary(&summary, []Result{r})
	printed := out.String() + summary.String()
	t.Logf("printed:\n%s", printed)
	if r.Passed || !strings.Contains(r.Reason, "install: exit status 100") {
		t.Fatalf("result %+v", r)
	}
	for _, bad := range []string{"\x1b", "\x07", "\r", "pwned"} {
		if strings.Contains(printed, bad) {
			t.Errorf("printed output holds %q: %q", bad, printed)
		}
	}
	for _, want := range []string{"install   FAILED", "E: apt is broken", "install: exit status 100: E: apt is broken"} {
		if !strings.Contains(printed, want) {
			t.Errorf("printed output lacks %q", want)
		}
	}
	// The steps log keeps the host's bytes as they came.
	if b, _ := os.ReadFile(filepath.Join(r.ArtifactsDir, StepsLog)); !strings.Contains(string(b), "\x1b]0;pwned\x07") {
		t.Errorf("%s lost the host's raw output", StepsLog)
	}
}

// TestRunRefusesHostileResults runs hosts whose report directory holds a
// 10 GB file (sparse on the host: 10 GB of zeros in the tar) or more
// files than the limit: collect refuses each at its limit, quickly, keeps
// nothing of the results, and the host fails naming the host and the
// limit.
func TestRunRefusesHostileResults(t *testing.T) {
	for _, tc := range []struct {
		name, plant string
		entries     int // the entry limit; 0 for the default
		want        string
	}{
		{"10 GB of zeros", `truncate -s 10G "$r/huge.log"`, 0,
			`entry "./huge.log": 10.0 GB, over the limit of 1.0 GB per file (--max-result-file-mb)`},
		// TestExtractRefusesManyEntries sends 100,000 entries against the
		// default limit of 20,000; here the stand-in host makes 3,000
		// files against a limit of 1,000, quicker to make and remove.
		{"3,000 files", `cd "$r" && seq -f 'f%06g' 3000 | xargs touch`, 1000,
			`more than 1000 entries (--max-results-files)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeRunWithDeps(t, "#!/bin/bash\nset -e\nr=$(dirname \"$0\")/results\nmkdir -p \"$r\"\n"+tc.plant+"\n")
			if tc.entries > 0 {
				c.Limits.Entries = tc.entries
			}
			var out syncBuffer
			start := time.Now()
			r := Run(context.Background(), context.Background(), c, sshcmd.Target{Name: "h", Address: "local"}, NewProgress(&out, "h"))
			d := time.Since(start)
			t.Logf("%s\n%s", d.Round(time.Millisecond), out.String())
			if r.Passed || !strings.HasPrefix(r.Reason, "collect: refused the results of host h (local): ") || !strings.Contains(r.Reason, tc.want) {
				t.Errorf("reason %q, want the host and %q", r.Reason, tc.want)
			}
			if !strings.Contains(out.String(), "collect   FAILED") {
				t.Errorf("no failed collect progress line")
			}
			entries, _ := os.ReadDir(r.ArtifactsDir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if strings.Join(names, " ") != "ginkgo.log "+StepsLog {
				t.Errorf("artifacts %q: want only the runner's own files", names)
			}
			if used := diskUsage(t, r.ArtifactsDir); used > 1<<20 {
				t.Errorf("artifacts take %d bytes", used)
			}
			if d > 30*time.Second {
				t.Errorf("took %s", d)
			}
			if _, err := os.Stat(r.Workspace); !os.IsNotExist(err) {
				t.Errorf("workspace %q left: %v", r.Workspace, err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
