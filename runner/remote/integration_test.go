package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/node-e2e/harness/runner/internal/runnertest"
	"github.com/node-e2e/harness/runner/remote/internal/fakesuite"
	"github.com/node-e2e/harness/runner/remote/internal/junit"
)

// The integration tests start a real OpenSSH server on a loopback port
// and run the runner against it: the host is this machine, reached over
// ssh as root. TestIntegrationRemoteSuite runs the real suite (a real
// node); the others run stand-ins for the suite's binaries (package
// fakesuite), so that they can make a host hang, a suite overrun its
// deadline, or a run be interrupted, in seconds.

// repoRoot is the repository's root.
func repoRoot(t *testing.T) string { return runnertest.RepoRoot(t) }

// nodeLock is the lock every run of a real node on this machine holds:
// only one node can run at a time (port 10250).
const nodeLock = "/tmp/node-e2e.lock"

// lockNode takes nodeLock for the rest of the test, unless a process the
// test runs under holds it already (`flock /tmp/node-e2e.lock make test`):
// taking it again would wait forever.
func lockNode(t *testing.T) { lockFile(t, nodeLock) }

func lockFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if pid := ancestorHolding(f); pid != 0 {
		t.Logf("%s is held by process %d, which this test runs under", path, pid)
		f.Close()
		return
	}
	start := time.Now()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Logf("waited %s for %s", d.Round(time.Second), path)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// TestLockFileUnderFlock checks that lockFile does not wait for a lock
// that the process running the test holds (flock(1) holding it while it
// runs the tests), and does wait for one held elsewhere.
func TestLockFileUnderFlock(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("no flock")
	}
	if path := os.Getenv("RUNNER_REMOTE_LOCK_CHILD"); path != "" {
		lockFile(t, path) // must not block
		return
	}
	path := filepath.Join(t.TempDir(), "lock")
	cmd := exec.Command("flock", path, os.Args[0], "-test.run=^TestLockFileUnderFlock$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RUNNER_REMOTE_LOCK_CHILD="+path)
	done := make(chan error, 1)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("lockFile waited for a lock its own ancestor holds:\n%s", out.String())
	}

	// Held by an unrelated process: lockFile waits for it.
	holder := exec.Command("flock", path, "sleep", "1")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Wait()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	lockFile(t, path)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("lockFile returned after %s while another process held the lock", d)
	}
}

// ancestorHolding returns the pid of an ancestor of this process that
// holds a flock on f, according to /proc/locks, or 0.
func ancestorHolding(f *os.File) int {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return 0
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return 0
	}
	holders := map[int]bool{}
	for _, line := range strings.Split(string(locks), "\n") {
		// 4: FLOCK  ADVISORY  WRITE 15387 fe:00:9977942 0 EOF
		// ("->" marks a waiter, not a holder)
		fields := strings.Fields(line)
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		dev := strings.Split(fields[5], ":")
		if pid, err := strconv.Atoi(fields[4]); err == nil && dev[len(dev)-1] == strconv.FormatUint(st.Ino, 10) {
			holders[pid] = true
		}
	}
	for pid := os.Getppid(); pid > 1; pid = parentOf(pid) {
		if holders[pid] {
			return pid
		}
	}
	return 0
}

// parentOf returns pid's parent, or 0.
func parentOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// runRunner runs the runner in this process.
func runRunner(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, &out, &errOut)
	t.Logf("runner/remote %s\nexit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

// fakeInputs writes the stand-in suite and returns the runner flags that
// ship it.
func fakeInputs(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	if err := fakesuite.WriteBinDir(filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	return []string{"--bin-dir", filepath.Join(dir, "bin"), "--install-deps-script", filepath.Join(repoRoot(t), "hack", "install-deps.sh")}
}

// workspaces returns the workspace each host's progress line names.
func workspaces(stdout string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\S+ (\S+) +workspace +ok +\S+ +(/\S+) on `).FindAllStringSubmatch(stdout, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// summaryRow returns the summary table's row for host, as fields.
func summaryRow(t *testing.T, stdout, host string) []string {
	t.Helper()
	i := strings.Index(stdout, "\nHOST ")
	if i < 0 {
		t.Fatalf("no summary table in the output")
	}
	for _, line := range strings.Split(stdout[i+1:], "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == host {
			return f
		}
	}
	t.Fatalf("no summary row for %s", host)
	return nil
}

func expectGone(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still exists (%v)", p, err)
		}
	}
}

// processesMentioning returns the processes whose command line contains s.
func processesMentioning(s string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(s)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// TestIntegrationRemoteSuite runs the real suite on this machine through
// ssh: archive, copy, unpack, install-deps (a no-op here), one spec on a
// real node, collection of the report directory, workspace removal.
func TestIntegrationRemoteSuite(t *testing.T) {
	root := repoRoot(t)
	bin := filepath.Join(root, "_output", "bin")
	if _, err := os.Stat(filepath.Join(bin, "e2e_node.test")); err != nil {
		t.Skipf("integration test: needs %s (make build)", filepath.Join(bin, "e2e_node.test"))
	}
	srv := startSSHD(t)
	lockNode(t) // from the archive build (reading _output/bin) to the end of the run
	results := t.TempDir()
	args := append([]string{
		"--hosts", srv.Host("local"),
		"--bin-dir", bin, "--install-deps-script", filepath.Join(root, "hack", "install-deps.sh"), "--install-deps",
		"--results-dir", results, "--focus", "is Ready and reports", "--test-timeout", "10m",
	}, srv.UserFlags()...)
	start := time.Now()
	code, stdout, _ := runRunner(t, args...)
	t.Logf("remote run took %s", time.Since(start).Round(100*time.Millisecond))
	if code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	row := summaryRow(t, stdout, "local")
	if row[1] != "PASS" || row[2] != "1" || row[3] != "0" || row[6] != filepath.Join(results, "local") {
		t.Errorf("summary row %q", row)
	}
	art := filepath.Join(results, "local")
	counts, err := junit.ReadDir(art)
	if err != nil || counts.Passed != 1 || !counts.OK() {
		t.Errorf("junit: %+v, %v", counts, err)
	}
	report, _ := os.ReadFile(filepath.Join(art, "junit_01.xml"))
	if !bytes.Contains(report, []byte(`Node is Ready and reports CPU, memory and pods capacity [NodeConformance]" classname="Node e2e suite" status="passed"`)) {
		t.Errorf("junit_01.xml does not show the focused spec passed")
	}
	for _, f := range []string{"kubelet.log", "services.log", "containerd.log", "registry.log", "ginkgo.log", "remote-steps.log", "report.html", "report.json"} {
		if fi, err := os.Stat(filepath.Join(art, f)); err != nil || fi.Size() == 0 {
			t.Errorf("artifact %s: %v (size %d)", f, err, sizeOf(fi))
		}
	}
	if index, err := os.ReadFile(filepath.Join(results, "index.html")); err != nil || !bytes.Contains(index, []byte(`href="local/report.html"`)) {
		t.Errorf("the results' index.html does not link the host's report.html: %v", err)
	}
	ginkgoLog, _ := os.ReadFile(filepath.Join(art, "ginkgo.log"))
	if !bytes.Contains(ginkgoLog, []byte("Ran 1 of ")) {
		t.Errorf("ginkgo.log lacks the run's summary")
	}
	ws := workspaces(stdout)["local"]
	if ws == "" {
		t.Fatal("no workspace in the progress output")
	}
	expectGone(t, ws)
	if left := processesMentioning(ws); len(left) > 0 {
		t.Errorf("processes left from the workspace: %q", left)
	}
	for _, step := range []string{"workspace", "copy", "unpack", "install", "suite", "collect", "cleanup"} {
		if !regexp.MustCompile(`(?m)^\S+ local +` + step + ` +ok `).MatchString(stdout) {
			t.Errorf("no %q ok progress line", step)
		}
	}
	if !strings.Contains(stdout, "specs     1/1") {
		t.Errorf("no spec progress line")
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

// TestIntegrationHungHost checks that a host that accepts connections and
// never speaks SSH fails by the step timeout, named, while a good host in
// the same run passes.
func TestIntegrationHungHost(t *testing.T) {
	srv := startSSHD(t)
	hung := hangingServer(t)
	results := t.TempDir()
	args := append(append(fakeInputs(t),
		"--hosts", srv.Host("good")+",hung=127.0.0.1:"+strconv.Itoa(hung),
		"--results-dir", results, "--command-timeout", "3s", "--connect-timeout", "60s"),
		srv.UserFlags()...)
	start := time.Now()
	code, stdout, _ := runRunner(t, args...)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the run took %s with a 3s step timeout", d)
	}
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if row := summaryRow(t, stdout, "good"); row[1] != "PASS" || row[2] != "1" {
		t.Errorf("good host: %q", row)
	}
	row := summaryRow(t, stdout, "hung")
	if row[1] != "FAIL" || !strings.Contains(strings.Join(row, " "), "workspace: timed out after 3s") {
		t.Errorf("hung host: %q", row)
	}
	if !regexp.MustCompile(`(?m)^\S+ hung +workspace +FAILED +3\.\ds +workspace: timed out after 3s`).MatchString(stdout) {
		t.Errorf("no progress line for the hung step")
	}
	steps, _ := os.ReadFile(filepath.Join(results, "hung", "remote-steps.log"))
	if !bytes.Contains(steps, []byte("workspace: timed out after 3s")) {
		t.Errorf("remote-steps.log: %s", steps)
	}
}

// TestIntegrationSuiteTimeout checks that a suite running past
// --test-timeout fails its host naming the suite step, and that its
// artifacts are still fetched and its workspace removed.
func TestIntegrationSuiteTimeout(t *testing.T) {
	srv := startSSHD(t)
	results := t.TempDir()
	args := append(append(fakeInputs(t),
		"--hosts", srv.Host("slow"), "--results-dir", results, "--test-timeout", "20s",
		"--focus", `it's "quoted" $(touch /tmp/pwned) && a|b`, "--label-filter", "NodeConformance && !Slow"),
		srv.UserFlags()...)
	args = append(args, "--", "--fake-sleep=600", "--kubelet-flags=--v=4 --max-pods=20")
	start := time.Now()
	code, stdout, _ := runRunner(t, args...)
	if d := time.Since(start); d > 40*time.Second {
		t.Errorf("the run took %s with a 20s test timeout", d)
	}
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	row := strings.Join(summaryRow(t, stdout, "slow"), " ")
	if !strings.Contains(row, "FAIL") || !strings.Contains(row, "suite: ran past its deadline on the host (14s)") {
		t.Errorf("summary row %q", row)
	}
	art := filepath.Join(results, "slow")
	for _, f := range []string{"junit_01.xml", "kubelet.log", "ginkgo.log", "interrupted", "args"} {
		if _, err := os.Stat(filepath.Join(art, f)); err != nil {
			t.Errorf("artifact: %v", err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(art, "args"))
	args = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	for _, want := range []string{`--focus=it's "quoted" $(touch /tmp/pwned) && a|b`, "--label-filter=NodeConformance && !Slow", "--kubelet-flags=--v=4 --max-pods=20"} {
		if !contains(args, want) {
			t.Errorf("the suite did not get %q intact over ssh; got %q", want, args)
		}
	}
	expectGone(t, "/tmp/pwned", workspaces(stdout)["slow"])
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// syncBuffer collects a child's output while the test reads it.
type syncBuffer = runnertest.SyncBuffer
