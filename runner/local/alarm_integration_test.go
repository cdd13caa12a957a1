package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The alarm tests run the real suite with a real kubelet or containerd
// behind a wrapper script that, once the test creates a trigger file,
// prints a Go panic's first lines to the component's stderr while the
// component itself runs on: the harness must end the run at once, name
// the component and quote the line, as when a node process dies.

// panicWrapper writes an executable that runs real with its arguments and,
// when those include arm (a real run, not --version), prints a panic to
// stderr once trigger exists.
func panicWrapper(t *testing.T, real, arm, trigger string) string {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf(`#!/bin/sh
case "$*" in
*%s*)
	(
		while [ ! -e '%s' ]; do sleep 0.1; done
		echo 'panic: injected by the alarm test' >&2
		echo '' >&2
		echo 'goroutine 1 [running]:' >&2
		echo 'main.main()' >&2
	) &
	;;
esac
exec '%s' "$@"
`, arm, trigger, real)
	path := filepath.Join(dir, filepath.Base(real))
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectAlarmAbort triggers the panic of a held run and checks that the
// run ended at once naming component and quoting the line, in its output
// and in fault.txt, and left nothing behind.
func expectAlarmAbort(t *testing.T, r *suiteRun, trigger string, before hostSnapshot, component, log string) {
	t.Helper()
	if err := os.WriteFile(trigger, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	expectAbort(t, r, time.Now(), before, component+" printed a panic", "> panic: injected by the alarm test", log)
	// The fault names the component first, quoting the line.
	b, _ := os.ReadFile(filepath.Join(r.report, "fault.txt"))
	if want := component + ` printed a panic: "panic: injected by the alarm test"`; !strings.HasPrefix(string(b), want) {
		t.Errorf("fault.txt does not start with %q:\n%s", want, b)
	}
}

func TestIntegrationKubeletPanicEndsTheRun(t *testing.T) {
	_, suite := requireNode(t)
	before := snapshot(t, "/nonexistent")
	trigger := filepath.Join(t.TempDir(), "panic-now")
	kubelet := panicWrapper(t, filepath.Join(filepath.Dir(suite), "kubelet"), "--config=", trigger)
	// --restart-kubelet too: a restart must not hide a panic.
	r, _ := startHold(t, "--kubelet-path="+kubelet, "--restart-kubelet")
	expectAlarmAbort(t, r, trigger, before, "kubelet", "kubelet.log")
}

func TestIntegrationContainerdPanicEndsTheRun(t *testing.T) {
	_, _ = requireNode(t)
	real, err := exec.LookPath("containerd")
	if err != nil {
		t.Fatalf("containerd: %v (hack/install-deps.sh)", err)
	}
	before := snapshot(t, "/nonexistent")
	trigger := filepath.Join(t.TempDir(), "panic-now")
	containerd := panicWrapper(t, real, "--config", trigger)
	r, _ := startHold(t, "--containerd-path="+containerd, "--restart-kubelet")
	expectAlarmAbort(t, r, trigger, before, "containerd", "containerd.log")
}
