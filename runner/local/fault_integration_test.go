package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runLedger is the part of a run's node.json the fault tests read.
type runLedger struct {
	HarnessPid    int `json:"harnessPid"`
	ServicesPid   int `json:"servicesPid"`
	ContainerdPid int `json:"containerdPid"`
	// ContainerdBinary is the containerd the run started, which stale
	// cleanup revives.
	ContainerdBinary string `json:"containerdBinary"`
}

// runDir returns the one run directory under root.
func runDir(t *testing.T, root string) string {
	t.Helper()
	entries := names(root)
	if len(entries) != 1 {
		t.Fatalf("run root %s holds %q, want one run directory", root, entries)
	}
	return filepath.Join(root, entries[0])
}

func readLedger(t *testing.T, dir string) runLedger {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "node.json"))
	if err != nil {
		t.Fatal(err)
	}
	var l runLedger
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// startHold starts a run of the hold self-check spec and returns once its
// pod is running.
func startHold(t *testing.T, testArgs ...string) (*suiteRun, string) {
	t.Helper()
	root := shortRunRoot(t)
	r := startSuiteIn(t, root, []string{"NODE_E2E_INJECT_HOLD=1"}, []string{"--focus=holds a running pod"}, testArgs...)
	r.awaitNodeReady(t)
	dir := runDir(t, root)
	// The spec's pod is up once a container log link for it exists.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		links, _ := filepath.Glob(filepath.Join(dir, "pod-logs", "e2e-*hold-*"))
		if len(links) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hold spec's pod never started")
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	return r, dir
}

// expectAbort waits for a run whose node process was killed at killed and
// checks it failed fast, named the dead component with its log tail, and
// left nothing behind.
func expectAbort(t *testing.T, r *suiteRun, killed time.Time, before hostSnapshot, wants ...string) {
	t.Helper()
	code := r.wait(t, 3*time.Minute)
	took := time.Since(killed)
	t.Logf("run ended %s after the kill, exit code %d", took.Round(time.Millisecond), code)
	if code == 0 {
		t.Error("a run whose node died exited 0")
	}
	// Teardown is a few seconds; the specs must not wait out their timeouts.
	if took > time.Minute {
		t.Errorf("the run took %s to end after the kill, want well under a minute", took)
	}
	out := r.out.String()
	for _, w := range append(wants, "aborting the specs", "  | ") {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	if b, err := os.ReadFile(filepath.Join(r.report, "fault.txt")); err != nil || len(b) == 0 {
		t.Errorf("no fault.txt in the report dir: %v", err)
	}
	expectClean(t, before, r.root)
}

func TestIntegrationKubeletDeathEndsTheRunAtOnce(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r, dir := startHold(t)
	b, err := os.ReadFile(filepath.Join(dir, "kubelet", "kubelet.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill kubelet %d: %v", pid, err)
	}
	expectAbort(t, r, killed, before, "the kubelet died during the run", "--restart-kubelet", "kubelet log")
}

func TestIntegrationContainerdDeathEndsTheRunAtOnce(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r, dir := startHold(t)
	pid := readLedger(t, dir).ContainerdPid
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill containerd %d: %v", pid, err)
	}
	expectAbort(t, r, killed, before, "containerd died during the run", "containerd.log")
}

func TestIntegrationServicesDeathEndsTheRunAtOnce(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r, dir := startHold(t)
	pid := readLedger(t, dir).ServicesPid
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill services %d: %v", pid, err)
	}
	expectAbort(t, r, killed, before, "the services process (etcd, kube-apiserver, namespace controller) died during the run", "services.log")
}

func TestIntegrationRestartKubeletSurvivesKills(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r := startSuite(t, nil, []string{"--focus=Kubelet and runtime restart"}, "--restart-kubelet")
	if code := r.wait(t, 10*time.Minute); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	j := readJUnit(t, r.report)
	if got := len(j.passed()); got != 3 {
		t.Errorf("passed %q, want the three restart specs", j.passed())
	}
	expectClean(t, before, r.root)
}

// TestIntegrationSIGTERMCleansUp signals the test process alone, as a
// supervisor that knows only e2e_node.test's pid would.
func TestIntegrationSIGTERMCleansUp(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r, dir := startHold(t)
	pid := readLedger(t, dir).HarnessPid
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM e2e_node.test %d: %v", pid, err)
	}
	if code := r.wait(t, 3*time.Minute); code == 0 {
		t.Error("a run ended by SIGTERM exited 0")
	}
	expectClean(t, before, r.root)
}

func TestIntegrationBackToBackRuns(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	const runs = 10
	start := time.Now()
	for i := range runs {
		r := startSuite(t, nil, []string{"--focus=is Ready and reports"})
		if code := r.wait(t, 5*time.Minute); code != 0 {
			t.Fatalf("run %d of %d exited %d", i+1, runs, code)
		}
		expectClean(t, before, r.root)
		if t.Failed() {
			t.Fatalf("run %d of %d left things behind", i+1, runs)
		}
	}
	t.Logf("%d runs back to back in %s", runs, time.Since(start).Round(time.Second))
}
