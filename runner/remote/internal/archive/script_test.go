package archive

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeGinkgo stands in for ginkgo: it records its arguments and every
// SIGINT it receives, prints a line, then sleeps (ignoring SIGINT if told
// to by its first argument) and exits 0, or 7 when interrupted.
const fakeGinkgo = `#!/usr/bin/env bash
printf '%s\n' "$@" > results/args
echo "fake ginkgo started"
mode=$1
trap 'echo INT >> results/signals; [[ $mode == ignore-int ]] || exit 7' INT
for _ in $(seq 600); do sleep 0.1; done
exit 0
`

func workspace(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"bash", "setsid", "tail"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, RunScript), runScript, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "ginkgo"), []byte(fakeGinkgo), 0o755); err != nil {
		t.Fatal(err)
	}
	return ws
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestRunScriptDeadline checks that a suite past its deadline gets exactly
// one SIGINT, that its output is streamed and kept, and that the script
// exits 124.
func TestRunScriptDeadline(t *testing.T) {
	ws := workspace(t)
	start := time.Now()
	out, err := exec.Command(filepath.Join(ws, RunScript), "run", "1", "30", "plain", "--focus=a b 'c'").Output()
	if code := exitCode(err); code != 124 {
		t.Fatalf("exit %d (%v), want 124; output %q", code, err, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s with a 1s deadline", d)
	}
	if !strings.Contains(string(out), "fake ginkgo started") {
		t.Errorf("ginkgo output not streamed: %q", out)
	}
	if got := readFile(t, filepath.Join(ws, "results", "signals")); got != "INT\n" {
		t.Errorf("suite got signals %q, want one INT", got)
	}
	if got := readFile(t, filepath.Join(ws, "results", "args")); got != "plain\n--focus=a b 'c'\n" {
		t.Errorf("ginkgo got args %q", got)
	}
	if got := readFile(t, filepath.Join(ws, "suite.rc")); got != "124\n" {
		t.Errorf("suite.rc = %q", got)
	}
	if log := readFile(t, filepath.Join(ws, "results", "ginkgo.log")); !strings.Contains(log, "interrupting it") {
		t.Errorf("ginkgo.log does not say the suite was interrupted: %q", log)
	}
}

// TestRunScriptKillAfter checks that a suite ignoring SIGINT is killed.
func TestRunScriptKillAfter(t *testing.T) {
	ws := workspace(t)
	start := time.Now()
	out, err := exec.Command(filepath.Join(ws, RunScript), "run", "1", "2", "ignore-int").Output()
	if code := exitCode(err); code != 124 {
		t.Fatalf("exit %d (%v), want 124; output %q", code, err, out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s with deadlines 1s+2s", d)
	}
	if log := readFile(t, filepath.Join(ws, "results", "ginkgo.log")); !strings.Contains(log, "killing it") {
		t.Errorf("ginkgo.log does not say the suite was killed: %q", log)
	}
}

// TestRunScriptStop checks that stop interrupts a running suite once and
// that run then returns the suite's own status.
func TestRunScriptStop(t *testing.T) {
	ws := workspace(t)
	run := exec.Command(filepath.Join(ws, RunScript), "run", "600", "30", "normal")
	run.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-run.Process.Pid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); readFile(t, filepath.Join(ws, "results", "args")) == ""; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("suite did not start")
		}
	}
	if out, err := exec.Command(filepath.Join(ws, RunScript), "stop", "20").CombinedOutput(); err != nil {
		t.Fatalf("stop: %v: %s", err, out)
	}
	if code := exitCode(run.Wait()); code != 7 {
		t.Errorf("run exited %d, want the suite's 7", code)
	}
	if got := readFile(t, filepath.Join(ws, "results", "signals")); got != "INT\n" {
		t.Errorf("suite got signals %q, want one INT", got)
	}
	// Stopping a suite that is not running is a no-op.
	if out, err := exec.Command(filepath.Join(ws, RunScript), "stop", "20").CombinedOutput(); err != nil {
		t.Errorf("second stop: %v: %s", err, out)
	}
}
