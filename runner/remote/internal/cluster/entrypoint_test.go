package cluster

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// entrypointCmd runs the suite container's entrypoint with busybox sh, the
// start file at startFile and echo in place of ginkgo.
func entrypointCmd(t *testing.T, startFile string, env ...string) *exec.Cmd {
	t.Helper()
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs Debian's busybox-static at /bin/busybox (the suite image's shell)")
	}
	script := strings.ReplaceAll(entrypoint, StartFile, startFile)
	script = strings.ReplaceAll(script, "exec "+ginkgoBinary, "exec echo ginkgo")
	cmd := exec.Command("/bin/busybox", "sh", "-c", script, "node-e2e-suite", "--procs=2", suiteBinary, "--", "--start-services=false")
	cmd.Env = append([]string{"PATH=" + t.TempDir()}, env...)
	// busybox applets without symlinks: run each through busybox.
	for _, a := range []string{"cat", "sleep", "adjtimex", "awk"} {
		if err := os.Symlink("/bin/busybox", filepath.Join(strings.TrimPrefix(cmd.Env[0], "PATH="), a)); err != nil {
			t.Fatal(err)
		}
	}
	return cmd
}

func TestEntrypointWaitsForTheStartSignal(t *testing.T) {
	start := filepath.Join(t.TempDir(), "start")
	if err := os.WriteFile(start, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := entrypointCmd(t, start, "KUBERNETES_SERVICE_HOST=fd00::1", "KUBERNETES_SERVICE_PORT=443")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("the entrypoint ran before the signal: %v\n%s", err, out.String())
	case <-time.After(500 * time.Millisecond):
	}
	released := time.Now()
	if err := os.WriteFile(start, []byte("2026-11-30T02:00:00.5Z"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("entrypoint: %v\n%s", err, out.String())
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the entrypoint did not start 5s after the signal")
	}
	took := time.Since(released)
	got := out.String()
	for _, want := range []string{
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
	start := filepath.Join(t.TempDir(), "start")
	if err := os.WriteFile(start, []byte(AbortValue), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := entrypointCmd(t, start, "NODE_E2E_API_SERVER=https://127.0.0.1:6443")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || strings.Contains(string(out), "ginkgo") {
		t.Errorf("aborted entrypoint: %v\n%s\nwant exit 3 and no ginkgo", err, out)
	}
}
