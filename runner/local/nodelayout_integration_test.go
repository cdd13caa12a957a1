package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/node-e2e/harness/internal/host"
	harnessrun "github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
)

// standardPlaces lists which of the places --node-layout=standard takes
// exist on this host: the kubelet's root dir, the pod logs dir and the
// kubepods cgroups of either driver in every hierarchy.
func standardPlaces(t *testing.T) []string {
	t.Helper()
	var found []string
	for _, p := range []string{services.StandardKubeletRootDir, services.StandardPodLogsDir} {
		if _, err := os.Lstat(p); err == nil {
			found = append(found, p)
		}
	}
	mounts, err := host.CgroupMountPoints()
	if err != nil {
		t.Fatal(err)
	}
	for _, systemd := range []bool{false, true} {
		for _, d := range services.KubepodsDirs(mounts, systemd) {
			if _, err := os.Lstat(d); err == nil {
				found = append(found, d)
			}
		}
	}
	return found
}

// requireStandardPlacesFree fails the test when another kubelet's state
// sits at the standard places: the test checks that a standard run
// removes them, so they must not exist before it.
func requireStandardPlacesFree(t *testing.T) {
	t.Helper()
	if found := standardPlaces(t); len(found) > 0 {
		t.Fatalf("the standard places exist before the test (another kubelet's, or a leak of an earlier run): %q; remove them first", found)
	}
}

// expectStandardPlacesGone checks the run removed what it created there.
func expectStandardPlacesGone(t *testing.T) {
	t.Helper()
	if found := standardPlaces(t); len(found) > 0 {
		t.Errorf("the standard places are still there after the run: %q", found)
	}
}

// expectStandardNode checks, while the run's node is up, that its kubelet
// uses the standard places and that the run recorded them.
func expectStandardNode(t *testing.T, root string) {
	t.Helper()
	var st services.NodeState
	if err := harnessrun.ReadJSON(filepath.Join(runDir(t, root), "node.json"), &st); err != nil {
		t.Fatal(err)
	}
	want := services.NodePlaces{NodeLayout: services.NodeLayoutStandard, KubeletRootDir: "/var/lib/kubelet", PodLogsDir: "/var/log/pods", CgroupRoot: "/"}
	if st.NodePlaces != want {
		t.Errorf("node.json records %+v, want %+v", st.NodePlaces, want)
	}
	for _, p := range []string{"/var/lib/kubelet/plugins_registry", "/sys/fs/cgroup/memory/kubepods/besteffort", "/sys/fs/cgroup/pids/kubepods"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the standard node's kubelet has not made %s: %v", p, err)
		}
	}
}

func TestIntegrationStandardNodeLayout(t *testing.T) {
	_, _ = requireNode(t)
	requireStandardPlacesFree(t)
	before := snapshot(t, "/nonexistent")
	r := startSuite(t, nil, []string{"--focus=Volume cleanup|Container logs|Static pods|classifies a Burstable pod"}, "--node-layout=standard")
	r.awaitNodeReady(t)
	expectStandardNode(t, r.root)
	if code := r.wait(t, 10*time.Minute); code != 0 {
		t.Fatalf("suite exit code %d, want 0", code)
	}
	j := readJUnit(t, r.report)
	passed := strings.Join(j.passed(), "\n")
	for _, want := range []string{
		"removes a deleted pod's volumes and directory from the kubelet's root",
		"keeps each container's log under <pod logs dir>",
		"serves the previous container's logs after a restart",
		"get a mirror pod in the API while their manifest is in the static pod directory",
		"classifies a Burstable pod and applies its resources to its cgroup",
	} {
		if !strings.Contains(passed, want) {
			t.Errorf("spec %q did not pass; passed:\n%s", want, passed)
		}
	}
	if j.Failures != 0 || j.Errors != 0 {
		t.Errorf("JUnit: %d failures, %d errors", j.Failures, j.Errors)
	}
	expectClean(t, before, r.root)
	expectStandardPlacesGone(t)
}

func TestIntegrationKilledStandardRunIsCleanedUpByTheNext(t *testing.T) {
	_, _ = requireNode(t)
	requireStandardPlacesFree(t)
	before := snapshot(t, "/nonexistent")
	root := shortRunRoot(t)
	killed := startSuiteIn(t, root, nil, []string{"--focus=long-running pod"}, "--node-layout=standard")
	killed.awaitNodeReady(t)
	time.Sleep(4 * time.Second) // the spec's pod is being created or running
	// SIGKILL: no cleanup of any kind runs in the harness.
	if err := syscall.Kill(-killed.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := killed.wait(t, time.Minute); code == 0 {
		t.Fatal("a killed run exited 0")
	}
	left := strings.Join(standardPlaces(t), " ")
	for _, want := range []string{"/var/lib/kubelet", "/var/log/pods", "/sys/fs/cgroup/memory/kubepods"} {
		if !strings.Contains(left, want) {
			t.Fatalf("the killed standard run left %q, not %s: nothing to test", left, want)
		}
	}
	// The next standard run starts only if the stale cleanup emptied the
	// places: otherwise its preflight refuses them.
	next := startSuiteIn(t, root, nil, []string{"--focus=is Ready and reports"}, "--node-layout=standard")
	if code := next.wait(t, 10*time.Minute); code != 0 {
		t.Fatalf("the run after a killed one exited %d", code)
	}
	if !strings.Contains(next.out.String(), "left by a run whose harness was killed") {
		t.Error("the next run did not say it cleaned up the killed run")
	}
	expectClean(t, before, root)
	expectStandardPlacesGone(t)
}

// TestIntegrationStandardNodeLayoutRefusesPlacesInUse plants what another
// kubelet leaves (pod logs, a kubepods cgroup) and checks that a standard
// run refuses in seconds with exit 2, naming the flag, what it found and
// the fix, and leaves them alone.
func TestIntegrationStandardNodeLayoutRefusesPlacesInUse(t *testing.T) {
	_, suite := requireNode(t)
	requireStandardPlacesFree(t)
	logs := filepath.Join(services.StandardPodLogsDir, "kube-system_other-kubelets-pod_1234")
	cgroup := filepath.Join("/sys/fs/cgroup/pids", services.KubepodsCgroup(false))
	t.Cleanup(func() {
		_ = os.RemoveAll(services.StandardPodLogsDir)
		_ = os.Remove(cgroup)
	})
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(cgroup, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, suite, "--run-root="+shortRunRoot(t), "--report-dir="+filepath.Join(dir, "report"), "--node-layout=standard")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want exit 2; output:\n%s", err, out)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s to refuse", d)
	}
	for _, w := range []string{"--node-layout=standard", "/var/log/pods is not empty (kube-system_other-kubelets-pod_1234)", "cgroup " + cgroup + " exists", "--node-layout=isolated"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, p := range []string{logs, cgroup} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the refused run touched %s: %v", p, err)
		}
	}
}
