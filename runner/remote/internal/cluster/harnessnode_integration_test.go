package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/node-e2e/harness/images"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/runner/internal/runnertest"
	"github.com/node-e2e/harness/services/registry"
)

// binDir is where the integration tests take the built binaries from:
// $NODE_E2E_BIN_DIR, else _output/bin.
func binDir(t *testing.T) string {
	if d := os.Getenv("NODE_E2E_BIN_DIR"); d != "" {
		return d
	}
	return filepath.Join(runnertest.RepoRoot(t), "_output", "bin")
}

// harnessUp is the harness's node left up for one integration test.
type harnessUp struct {
	Bin    string // the built binaries
	Root   string // the run root holding the node's run directory
	Layout run.Layout
	State  run.ServicesState
	Config *rest.Config // the admin kubeconfig's
	Admin  kubernetes.Interface
	// Before lists what hostLeftovers found before the bring-up.
	Before []string

	once sync.Once
	t    *testing.T
}

// harnessNode skips unless the test may bring up a node (not -short,
// root, binaries built), leaves the harness's node up under name with
// --stop-services=false and extra e2e_node.test flags, and tears it down
// at the end of the test if the test did not (Teardown).
func harnessNode(t *testing.T, name string, extra ...string) *harnessUp {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test: needs root")
	}
	h := &harnessUp{Bin: binDir(t), t: t}
	for _, b := range []string{"e2e_node.test", "ginkgo", "kubelet", "pause", "testimage"} {
		if _, err := os.Stat(filepath.Join(h.Bin, b)); err != nil {
			missingBinary(t, err, "run hack/build.sh first")
		}
	}
	var err error
	if h.Root, err = os.MkdirTemp("/tmp", "ne2e-cluster-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(h.Root) })
	h.Before = hostLeftovers(h.Root)
	start := time.Now()
	args := append([]string{"--no-color", "--focus=keeps no taint on the Ready node",
		filepath.Join(h.Bin, "e2e_node.test"), "--", "--run-root=" + h.Root, "--report-dir=" + t.TempDir(),
		"--node-name=" + name, "--stop-services=false"}, extra...)
	out, err := exec.Command(filepath.Join(h.Bin, "ginkgo"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("bring-up run: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(h.Root)
	if len(entries) != 1 {
		t.Fatalf("run root holds %v, want one run directory\n%s", entries, out)
	}
	h.Layout = run.Layout{Dir: filepath.Join(h.Root, entries[0].Name())}
	t.Cleanup(h.Teardown)
	t.Logf("node left up in %v: %s", time.Since(start).Round(time.Millisecond), h.Layout.Dir)
	if err := run.ReadJSON(h.Layout.ServicesState(), &h.State); err != nil {
		t.Fatal(err)
	}
	if h.Config, err = clientcmd.BuildConfigFromFlags("", h.Layout.AdminKubeconfig()); err != nil {
		t.Fatal(err)
	}
	h.Admin = kubernetes.NewForConfigOrDie(h.Config)
	return h
}

// Teardown tears the node down (once).
func (h *harnessUp) Teardown() {
	h.once.Do(func() {
		if b, err := exec.Command(filepath.Join(h.Bin, "e2e_node.test"), "--teardown="+h.Layout.Dir).CombinedOutput(); err != nil {
			h.t.Errorf("teardown: %v\n%s", err, b)
		}
	})
}

// Registry is the node's image registry with its push credentials.
func (h *harnessUp) Registry() registry.Remote {
	r := h.State.Registry
	return registry.Remote{Host: r.Host, Username: r.Username, Password: r.Password}
}

// PushSuiteImage builds the suite image from the built binaries and pushes
// it to the node's registry, returning its reference by digest.
func (h *harnessUp) PushSuiteImage(ctx context.Context) string {
	h.t.Helper()
	start := time.Now()
	img, err := images.Suite(ctx, images.SuiteBinaries{
		E2ENodeTest: filepath.Join(h.Bin, "e2e_node.test"), Ginkgo: filepath.Join(h.Bin, "ginkgo"),
		Pause: filepath.Join(h.Bin, "pause"), TestImage: filepath.Join(h.Bin, "testimage"), Busybox: "/bin/busybox"})
	if err != nil {
		h.t.Fatal(err)
	}
	built := time.Since(start)
	ref, err := PushSuiteImage(ctx, h.Registry(), img)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("suite image built in %v, pushed in %v: %s", built.Round(time.Millisecond), (time.Since(start) - built).Round(time.Millisecond), ref)
	return ref
}
