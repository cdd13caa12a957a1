package cluster

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fakeGinkgo stands in for ginkgo: it prints its arguments, then
// $FAKE_OUT, copies $FAKE_JUNIT into the report directory, and exits
// $FAKE_EXIT. With FAKE_SLEEP it first waits that long; a SIGTERM then
// makes it print $FAKE_INTERRUPTED and exit 1, as Ginkgo does when
// interrupted.
const fakeGinkgo = `#!/bin/busybox sh
echo "ginkgo $*"
end() {
  [ -n "${FAKE_JUNIT:-}" ] && cp "$FAKE_JUNIT" "$FAKE_REPORT/junit_01.xml"
  [ -n "${1:-}" ] && cat "$1"
  exit $2
}
if [ -n "${FAKE_SLEEP:-}" ]; then
  trap 'echo "fake ginkgo: interrupted"; end "${FAKE_INTERRUPTED:-}" 1' TERM
  sleep "$FAKE_SLEEP" &
  wait
fi
end "${FAKE_OUT:-}" "${FAKE_EXIT:-0}"
`

// fakeAwait stands in for e2e_node.test --await-start: it prints its
// arguments, exits 2 unless they are the pod's own namespace/name and the
// API server with the ServiceAccount token and CA, then waits for
// $FAKE_START (a file standing for the pod's start annotation) and prints
// what the real one prints: the start line (exit 0) or the abort line
// (exit 3). A SIGTERM makes it exit 3, as its signal context does.
const fakeAwait = `#!/bin/busybox sh
echo "e2e_node.test $*"
case "$*" in
"--await-start=node-e2e-run1/suite-node-a-0-x1y2z --host=https://"*" --bearer-token-file=` + tokenDir + `/token --host-ca-file=` + tokenDir + `/ca.crt") ;;
*) echo "fake e2e_node.test: unexpected arguments" >&2; exit 2;;
esac
trap 'echo "fake e2e_node.test: SIGTERM"; exit 3' TERM
while :; do
  s=$(cat "$FAKE_START" 2>/dev/null)
  [ -n "$s" ] && break
  sleep 0.05 &
  wait
done
if [ "$s" = abort ]; then echo "node-e2e: run aborted before the start signal"; exit 3; fi
echo "node-e2e: start signal $s seen at $(adjtimex | awk '/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%d.%06d", s, u}')"
`

// entrypointEnv is a run of the entrypoint in temporary directories.
type entrypointEnv struct {
	start, report, runs, termination string
	cmd                              *exec.Cmd
}

// entrypointCmd runs the suite container's entrypoint with busybox sh:
// the start file, report directory, runs directory and termination
// message file in temporary directories, fakeAwait in place of
// e2e_node.test (reading the start file) and fakeGinkgo in place of
// ginkgo.
func entrypointCmd(t *testing.T, startValue string, env ...string) *entrypointEnv {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs Debian's busybox-static at /bin/busybox (the suite image's shell)")
	}
	dir := t.TempDir()
	e := &entrypointEnv{
		start:       filepath.Join(dir, "start"),
		report:      filepath.Join(dir, "report"),
		runs:        filepath.Join(dir, "runs"),
		termination: filepath.Join(dir, "termination-log"),
	}
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{e.report, e.runs, bin} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(e.start, []byte(startValue), 0o644); err != nil {
		t.Fatal(err)
	}
	ginkgo, await := filepath.Join(dir, "ginkgo"), filepath.Join(dir, "e2e_node.test")
	if err := os.WriteFile(ginkgo, []byte(fakeGinkgo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(await, []byte(fakeAwait), 0o755); err != nil {
		t.Fatal(err)
	}
	script := strings.Replace(entrypoint, entrypointPaths, "rd="+e.report+" tl="+e.termination+" runs="+e.runs, 1)
	script = strings.ReplaceAll(script, ginkgoBinary, ginkgo)
	script = strings.ReplaceAll(script, suiteBinary, await)
	if script == entrypoint || !strings.Contains(script, e.termination) || !strings.Contains(script, await+" ") {
		t.Fatal("the entrypoint's paths were not replaced")
	}
	e.cmd = exec.Command("/bin/busybox", "sh", "-c", script, "node-e2e-suite", "--procs=2", suiteBinary, "--", "--start-services=false")
	e.cmd.Env = append([]string{"PATH=" + bin, "NODE_E2E_RUN_ID=run1", "FAKE_REPORT=" + e.report, "FAKE_START=" + e.start,
		"NODE_E2E_POD_NAMESPACE=node-e2e-run1", "NODE_E2E_POD_NAME=suite-node-a-0-x1y2z"}, env...)
	// The suite image's busybox applet links.
	list, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range strings.Fields(string(list)) {
		if err := os.Symlink("/bin/busybox", filepath.Join(bin, a)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// summaryOut is what Ginkgo prints at the end of a run (colours on, as
// without --no-color), with the given status and counts line.
func summaryOut(t *testing.T, ran, specs, status, counts string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out")
	s := "some spec output\nRan 99 of 99 Specs in a nested run\n\n\n" +
		"\x1b[38;5;10m\x1b[1mRan " + ran + " of " + specs + " Specs in 1.234 seconds\x1b[0m\n" +
		"\x1b[38;5;10m\x1b[1m" + status + "\x1b[0m -- " + counts + "\n" +
		"PASS\n\nGinkgo ran 1 suite in 2.5s\nTest Suite Passed\n"
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// junitFile writes a JUnit report with passed, failed and skipped specs
// and a passing BeforeSuite.
func junitFile(t *testing.T, passed, failed, skipped int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="Node e2e suite"><properties><property name="SuiteSucceeded" value="` + strconv.FormatBool(failed == 0) + `"></property></properties>
<testcase name="[SynchronizedBeforeSuite]" status="passed"></testcase>
`)
	for i := range passed {
		b.WriteString(`<testcase name="[It] passes ` + strconv.Itoa(i) + `" status="passed"></testcase>` + "\n")
	}
	for i := range failed {
		b.WriteString(`<testcase name="[It] fails ` + strconv.Itoa(i) + `" status="failed"><failure message="no">no</failure></testcase>` + "\n")
	}
	for i := range skipped {
		b.WriteString(`<testcase name="[It] skipped ` + strconv.Itoa(i) + `" status="skipped"><skipped message="skipped"></skipped></testcase>` + "\n")
	}
	b.WriteString("</testsuite></testsuites>\n")
	p := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs the entrypoint to its end and returns its exit status and
// output.
func (e *entrypointEnv) run(t *testing.T) (int, string) {
	t.Helper()
	out, err := e.cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("entrypoint: %v\n%s", err, out)
	return 0, ""
}

// terminated is the pod the kubelet would report for this run: phase from
// the exit status, the termination message from the file.
func (e *entrypointEnv) terminated(t *testing.T, exit int) *corev1.Pod {
	t.Helper()
	msg, err := os.ReadFile(e.termination)
	if err != nil {
		t.Fatalf("no termination message: %v", err)
	}
	phase := corev1.PodSucceeded
	if exit != 0 {
		phase = corev1.PodFailed
	}
	now := metav1.Now()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "suite-node-a-0-x"},
		Status: corev1.PodStatus{Phase: phase, ContainerStatuses: []corev1.ContainerStatus{{Name: "suite",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(exit), Message: string(msg),
				StartedAt: metav1.NewTime(now.Add(-time.Minute)), FinishedAt: now}}}}},
	}
}

// lockedBuffer is a strings.Builder safe to read while a command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tarNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, strings.TrimPrefix(h.Name, "./"))
	}
}

func TestEntrypointWaitsForTheStartSignal(t *testing.T) {
	e := entrypointCmd(t, "", "KUBERNETES_SERVICE_HOST=fd00::1", "KUBERNETES_SERVICE_PORT=443")
	var out strings.Builder
	e.cmd.Stdout, e.cmd.Stderr = &out, &out
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("the entrypoint ran before the signal: %v\n%s", err, out.String())
	case <-time.After(500 * time.Millisecond):
	}
	released := time.Now()
	if err := os.WriteFile(e.start, []byte("2026-11-30T02:00:00.5Z"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("entrypoint: %v\n%s", err, out.String())
		}
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		t.Fatal("the entrypoint did not start 5s after the signal")
	}
	took := time.Since(released)
	got := out.String()
	for _, want := range []string{
		"e2e_node.test --await-start=node-e2e-run1/suite-node-a-0-x1y2z --host=https://[fd00::1]:443 --bearer-token-file=" + tokenDir + "/token --host-ca-file=" + tokenDir + "/ca.crt\n",
		"node-e2e: start signal 2026-11-30T02:00:00.5Z seen at ",
		"ginkgo --procs=2 " + suiteBinary + " -- --start-services=false --host=https://[fd00::1]:443\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	t.Logf("started %v after the signal", took.Round(time.Millisecond))
}

func TestEntrypointAbort(t *testing.T) {
	e := entrypointCmd(t, AbortValue, "NODE_E2E_API_SERVER=https://127.0.0.1:6443")
	code, out := e.run(t)
	if code != 3 || strings.Contains(out, "ginkgo") || !strings.Contains(out, "run aborted before the start signal") {
		t.Errorf("aborted entrypoint: exit %d\n%s\nwant exit 3, the abort line and no ginkgo", code, out)
	}
}

// TestEntrypointAwaitFails: when e2e_node.test --await-start fails (here:
// arguments it refuses), the entrypoint exits with its status, saying so,
// and runs no ginkgo.
func TestEntrypointAwaitFails(t *testing.T) {
	e := entrypointCmd(t, "2026-11-30T02:00:00Z", "NODE_E2E_API_SERVER=https://127.0.0.1:6443", "NODE_E2E_POD_NAME=someone-else")
	code, out := e.run(t)
	if code != 2 || strings.Contains(out, "ginkgo") || !strings.Contains(out, "e2e_node.test --await-start exited 2") {
		t.Errorf("entrypoint with a failing await: exit %d\n%s\nwant exit 2, said, and no ginkgo", code, out)
	}
}

// TestEntrypointSIGTERMWhileWaiting: the pod's deletion before the release
// (SIGTERM to the entrypoint) ends the wait at once: exit 3, no ginkgo.
func TestEntrypointSIGTERMWhileWaiting(t *testing.T) {
	e := entrypointCmd(t, "", "NODE_E2E_API_SERVER=https://127.0.0.1:6443")
	var out lockedBuffer
	e.cmd.Stdout, e.cmd.Stderr = &out, &out
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "e2e_node.test --await-start") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 || strings.Contains(out.String(), "ginkgo") {
			t.Errorf("entrypoint after SIGTERM: %v\n%s\nwant exit 3 and no ginkgo", err, out.String())
		}
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		t.Fatalf("the entrypoint still waits 5s after SIGTERM:\n%s", out.String())
	}
}

// TestEntrypointReport runs the entrypoint's tail after a passing suite:
// the tarball, its digest and the JSON summary must be what Verify
// accepts.
func TestEntrypointReport(t *testing.T) {
	e := entrypointCmd(t, "2026-11-30T02:00:00Z", "NODE_E2E_API_SERVER=https://127.0.0.1:6443",
		"FAKE_OUT="+summaryOut(t, "3", "80", "SUCCESS!", "\x1b[38;5;10m\x1b[1m3 Passed\x1b[0m | \x1b[38;5;9m\x1b[1m0 Failed\x1b[0m | \x1b[38;5;11m\x1b[1m0 Pending\x1b[0m | \x1b[38;5;14m\x1b[1m77 Skipped\x1b[0m"),
		"FAKE_JUNIT="+junitFile(t, 3, 0, 77))
	code, out := e.run(t)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	msg, _ := os.ReadFile(e.termination)
	sum, err := ParseSummary(string(msg))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	tgz := filepath.Join(e.report, "report.tar.gz")
	b, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(b)
	want := Summary{Exit: 0, SHA256: hex.EncodeToString(d[:]), Bytes: int64(len(b)), Counted: true, Ran: 3, Specs: 80, Passed: 3, Skipped: 77}
	if sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	if line := strings.TrimSpace(string(msg)); strings.Contains(line, "\n") || len(msg) > 4096 || !strings.Contains(out, "node-e2e: result "+line) {
		t.Errorf("termination message %q: not one line under 4 KiB echoed in the log", msg)
	}
	if s, _ := os.ReadFile(tgz + ".sha256"); string(s) != want.SHA256+"  report.tar.gz\n" {
		t.Errorf("report.tar.gz.sha256 = %q", s)
	}
	names := tarNames(t, tgz)
	for _, n := range []string{"ginkgo.log", "junit_01.xml"} {
		if !slices.Contains(names, n) {
			t.Errorf("tarball holds %v, lacks %s", names, n)
		}
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "report.tar.gz") }) {
		t.Errorf("tarball holds itself: %v", names)
	}
	if log, _ := os.ReadFile(filepath.Join(e.report, "ginkgo.log")); !strings.Contains(string(log), "Ran 3 of 80 Specs") || !strings.Contains(out, "Ran 3 of 80 Specs") {
		t.Errorf("ginkgo's output not teed into ginkgo.log and the log:\n%s", log)
	}
	res := Verify(Evidence{Run: testRun(), Member: Member{Node: "node-a"}, Pod: e.terminated(t, code), Tarball: tgz, Dir: t.TempDir()})
	if !res.Passed || res.Counts == nil || res.Counts.Passed != 3 || res.Counts.Skipped != 77 {
		t.Errorf("Verify of the entrypoint's report: %+v", res)
	}
}

// TestEntrypointFailingSuite: ginkgo's status is the pod's, and its failed
// count is in the summary.
func TestEntrypointFailingSuite(t *testing.T) {
	e := entrypointCmd(t, "2026-11-30T02:00:00Z", "NODE_E2E_API_SERVER=https://127.0.0.1:6443",
		"FAKE_OUT="+summaryOut(t, "3", "80", "FAIL!", "2 Passed | 1 Failed | 1 Flaked | 0 Pending | 77 Skipped"),
		"FAKE_JUNIT="+junitFile(t, 2, 1, 77), "FAKE_EXIT=1")
	code, out := e.run(t)
	if code != 1 {
		t.Fatalf("exit %d, want ginkgo's 1\n%s", code, out)
	}
	msg, _ := os.ReadFile(e.termination)
	sum, err := ParseSummary(string(msg))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Exit != 1 || !sum.Counted || sum.Passed != 2 || sum.Failed != 1 || sum.Flaked != 1 || sum.Skipped != 77 || sum.SHA256 == "" {
		t.Errorf("summary %+v", sum)
	}
	res := Verify(Evidence{Run: testRun(), Member: Member{Node: "node-a"}, Pod: e.terminated(t, code), Tarball: filepath.Join(e.report, "report.tar.gz"), Dir: t.TempDir()})
	for _, want := range []string{"pod suite-node-a-0-x failed", "the suite exited 1", "JUnit: 1 failed: fails 0"} {
		if res.Passed || !strings.Contains(res.Reason, want) {
			t.Errorf("Verify: reason %q lacks %q", res.Reason, want)
		}
	}
	if strings.Contains(res.Reason, "counts differ") || strings.Contains(res.Reason, "report") {
		t.Errorf("Verify: the report itself is intact, yet: %s", res.Reason)
	}
}

// TestEntrypointInterrupted: a SIGTERM to the entrypoint (the pod deleted
// or evicted) reaches ginkgo, which reports; the tarball and summary are
// still written.
func TestEntrypointInterrupted(t *testing.T) {
	e := entrypointCmd(t, "2026-11-30T02:00:00Z", "NODE_E2E_API_SERVER=https://127.0.0.1:6443", "FAKE_SLEEP=30",
		"FAKE_INTERRUPTED="+summaryOut(t, "1", "80", "FAIL! - Interrupted by User", "0 Passed | 1 Failed | 0 Pending | 79 Skipped"),
		"FAKE_JUNIT="+junitFile(t, 0, 1, 79))
	var out lockedBuffer
	e.cmd.Stdout, e.cmd.Stderr = &out, &out
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "ginkgo --procs"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ginkgo did not start:\n%s", out.String())
		}
	}
	time.Sleep(100 * time.Millisecond) // the fake's trap is set
	sent := time.Now()
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = e.cmd.Process.Kill()
		t.Fatalf("the entrypoint did not end 10s after SIGTERM:\n%s", out.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit %v, want ginkgo's 1\n%s", err, out.String())
	}
	msg, _ := os.ReadFile(e.termination)
	sum, perr := ParseSummary(string(msg))
	if perr != nil || sum.Exit != 1 || sum.Failed != 1 || sum.Skipped != 79 || sum.SHA256 == "" {
		t.Errorf("summary %+v, %v\n%s", sum, perr, out.String())
	}
	if !strings.Contains(out.String(), "node-e2e: SIGTERM: interrupting the suite") || !strings.Contains(out.String(), "fake ginkgo: interrupted") {
		t.Errorf("the interrupt did not reach ginkgo:\n%s", out.String())
	}
	t.Logf("ended %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
}

// TestEntrypointNoGinkgoSummary: a suite that ends without Ginkgo's
// summary leaves the counts out; Verify says they cannot be compared.
func TestEntrypointNoGinkgoSummary(t *testing.T) {
	e := entrypointCmd(t, "2026-11-30T02:00:00Z", "NODE_E2E_API_SERVER=https://127.0.0.1:6443", "FAKE_EXIT=2")
	code, out := e.run(t)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, out)
	}
	msg, _ := os.ReadFile(e.termination)
	sum, err := ParseSummary(string(msg))
	if err != nil || sum.Counted || sum.Exit != 2 || sum.SHA256 == "" || strings.Contains(string(msg), "passed") {
		t.Errorf("summary %+v, %v from %q", sum, err, msg)
	}
}

// TestEntrypointPrunesExpiredRuns: the entrypoint records its own expiry
// and removes other runs' directories whose expiry has passed, and only
// those.
func TestEntrypointPrunesExpiredRuns(t *testing.T) {
	e := entrypointCmd(t, AbortValue, "NODE_E2E_EXPIRES=4102444800", "NODE_E2E_API_SERVER=https://127.0.0.1:6443")
	now := time.Now().Unix()
	dirs := map[string]string{ // run -> expires file ("" for none)
		"old":     strconv.FormatInt(now-10, 10),
		"fresh":   strconv.FormatInt(now+3600, 10),
		"noexp":   "",
		"garbage": "soon; rm -rf /",
	}
	for run, exp := range dirs {
		d := filepath.Join(e.runs, run, "node-a-0")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if exp != "" {
			if err := os.WriteFile(filepath.Join(e.runs, run, "expires"), []byte(exp+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	code, out := e.run(t)
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for run := range dirs {
		_, err := os.Stat(filepath.Join(e.runs, run))
		if gone := errors.Is(err, os.ErrNotExist); gone != (run == "old") {
			t.Errorf("run %s: removed %v\n%s", run, gone, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(e.runs, "run1", "expires")); string(b) != "4102444800\n" {
		t.Errorf("own expires file %q", b)
	}
	if !strings.Contains(out, "removed the report directories of run old") {
		t.Errorf("output does not say what it removed:\n%s", out)
	}
}
