package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	runlayout "github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/runner/remote/internal/cluster"
)

// clusterNode is the harness's own node, left up with the Job controller
// (--stop-services=false --run-job-controller), as the cluster the runner
// tests in cluster mode: its registry is --registry, its kubelet the node
// under test.
type clusterNode struct {
	name, dir, kubeconfig string
	client                kubernetes.Interface
	// flags are the runner's cluster flags for this node; testArgs go
	// after "--" (the suite reaches the harness's containerd through the
	// host root the pod mounts at /rootfs).
	flags, testArgs []string
	bin             string
	// registry and credentials are the node's registry and a file
	// holding its user:password.
	registry, credentials string
}

// upClusterNode brings the node up and registers its teardown.
func upClusterNode(t *testing.T) *clusterNode {
	t.Helper()
	bin := filepath.Join(repoRoot(t), "_output", "bin")
	for _, b := range []string{"e2e_node.test", "ginkgo", "kubelet", "pause", "testimage"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			if os.Getenv("NODE_E2E_REQUIRE_BINARIES") == "1" {
				t.Fatalf("%v: run hack/build.sh first", err)
			}
			t.Skipf("%v: run hack/build.sh first", err)
		}
	}
	lockNode(t)
	root, err := os.MkdirTemp("/tmp", "ne2e-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	n := &clusterNode{name: "cluster-node", bin: bin}
	start := time.Now()
	up := exec.Command(filepath.Join(bin, "ginkgo"), "--no-color", "--focus=keeps no taint on the Ready node",
		filepath.Join(bin, "e2e_node.test"), "--", "--run-root="+root, "--report-dir="+t.TempDir(),
		"--node-name="+n.name, "--stop-services=false", "--run-job-controller")
	if out, err := up.CombinedOutput(); err != nil {
		os.RemoveAll(root)
		t.Fatalf("bring-up run: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("run root holds %v, want one run directory", entries)
	}
	l := runlayout.Layout{Dir: filepath.Join(root, entries[0].Name())}
	n.dir = l.Dir
	t.Cleanup(func() {
		if b, err := exec.Command(filepath.Join(bin, "e2e_node.test"), "--teardown="+l.Dir).CombinedOutput(); err != nil {
			t.Errorf("teardown: %v\n%s", err, b)
		}
		os.Remove(root)
	})
	t.Logf("node left up in %v: %s", time.Since(start).Round(time.Millisecond), l.Dir)

	var st runlayout.ServicesState
	if err := runlayout.ReadJSON(l.ServicesState(), &st); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "registry-credentials")
	if err := os.WriteFile(creds, []byte(st.Registry.Username+":"+st.Registry.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n.registry, n.credentials = st.Registry.Host, creds
	n.kubeconfig = l.AdminKubeconfig()
	cfg, err := clientcmd.BuildConfigFromFlags("", n.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	n.client = kubernetes.NewForConfigOrDie(cfg)
	n.flags = []string{"--kubeconfig=" + n.kubeconfig, "--nodes=" + n.name, "--registry=" + st.Registry.Host,
		"--registry-credentials-file=" + creds, "--api-server=" + cfg.Host, "--bin-dir=" + bin, "--test-timeout=10m", "--parallelism=2"}
	n.testArgs = []string{"--", "--container-runtime-endpoint=unix:///rootfs" + l.ContainerdSocket()}
	return n
}

// runner runs the runner (this test binary, see TestMain) with args and
// returns its exit code and output.
func (n *clusterNode) runner(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := n.runnerCmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func (n *clusterNode) runnerCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RUNNER_REMOTE_MAIN=1", "KUBECONFIG="+n.kubeconfig)
	return cmd
}

// runArgs are a run's command line: the node's flags, then extra, then
// the test args.
func (n *clusterNode) runArgs(extra ...string) []string {
	return slices.Concat(n.flags, extra, n.testArgs)
}

var runIDLine = regexp.MustCompile(`run id (\S+)\n`)

// runIDOf reads the run id the runner printed.
func runIDOf(t *testing.T, stdout string) string {
	t.Helper()
	m := runIDLine.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no run id in the runner's output:\n%s", stdout)
	}
	return m[1]
}

// readySandboxes are the ids of the runtime's ready pod sandboxes.
func (n *clusterNode) readySandboxes(t *testing.T) []string {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+filepath.Join(n.dir, "containerd", "containerd.sock"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := runtimeapi.NewRuntimeServiceClient(conn).ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{
		Filter: &runtimeapi.PodSandboxFilter{State: &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range l.Items {
		out = append(out, s.Metadata.Namespace+"/"+s.Metadata.Name)
	}
	return out
}

// mustBeClean checks what every scenario must leave: no object labelled
// with the run id, no spec namespace, no ready sandbox beyond those
// before, no report directory of the run on the node (this machine:
// NodeRunsDir/<id>), and the node Ready.
func (n *clusterNode) mustBeClean(t *testing.T, id string, sandboxesBefore []string) {
	t.Helper()
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: cluster.LabelRunID + "=" + id}
	c := n.client
	counts := map[string]func() (int, error){
		"namespaces": func() (int, error) { l, err := c.CoreV1().Namespaces().List(ctx, sel); return len(l.Items), err },
		"pods":       func() (int, error) { l, err := c.CoreV1().Pods("").List(ctx, sel); return len(l.Items), err },
		"jobs":       func() (int, error) { l, err := c.BatchV1().Jobs("").List(ctx, sel); return len(l.Items), err },
		"secrets":    func() (int, error) { l, err := c.CoreV1().Secrets("").List(ctx, sel); return len(l.Items), err },
		"serviceaccounts": func() (int, error) {
			l, err := c.CoreV1().ServiceAccounts("").List(ctx, sel)
			return len(l.Items), err
		},
		"clusterroles": func() (int, error) { l, err := c.RbacV1().ClusterRoles().List(ctx, sel); return len(l.Items), err },
		"clusterrolebindings": func() (int, error) {
			l, err := c.RbacV1().ClusterRoleBindings().List(ctx, sel)
			return len(l.Items), err
		},
		"spec namespaces": func() (int, error) {
			l, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: "node-e2e=true"})
			return len(l.Items), err
		},
	}
	for what, count := range counts {
		if k, err := count(); err != nil || k != 0 {
			t.Errorf("run %s: %d %s left (%v)", id, k, what, err)
		}
	}
	if id != "none" {
		if _, err := os.Stat(filepath.Join(cluster.NodeRunsDir, id)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("run %s: %s/%s left on the node (%v)", id, cluster.NodeRunsDir, id, err)
		}
	}
	var extra []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		extra = slices.DeleteFunc(n.readySandboxes(t), func(s string) bool { return slices.Contains(sandboxesBefore, s) })
		if len(extra) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(extra) > 0 {
		t.Errorf("run %s: ready sandboxes left in the runtime: %v", id, extra)
	}
	node, err := c.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := false
	for _, cond := range node.Status.Conditions {
		ready = ready || cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue
	}
	if !ready {
		t.Errorf("node %s is not Ready after run %s: %+v", n.name, id, node.Status.Conditions)
	}
}

// passedSpecs are the names of the passed specs ("[It]" cases) in dir's
// JUnit reports.
func passedSpecs(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "junit*.xml"))
	if len(files) == 0 {
		t.Fatalf("no JUnit report in %s", dir)
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Suites []struct {
				Cases []struct {
					Name    string    `xml:"name,attr"`
					Status  string    `xml:"status,attr"`
					Skipped *struct{} `xml:"skipped"`
					Failure *struct{} `xml:"failure"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(b, &suites); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range suites.Suites {
			for _, c := range s.Cases {
				if name, spec := strings.CutPrefix(c.Name, "[It] "); spec && c.Skipped == nil && c.Failure == nil && c.Status == "passed" {
					out = append(out, name)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// startSeen reads the entrypoint's "start signal R seen at S" line from a
// member's artifacts: the release and when the pod saw it.
func startSeen(t *testing.T, dir string) (release, seen time.Time) {
	t.Helper()
	for _, f := range []string{"suite.log", "ginkgo.log"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		m := regexp.MustCompile(`start signal (\S+) seen at (\d+)\.(\d{6})`).FindSubmatch(b)
		if m == nil {
			continue
		}
		rel, err := time.Parse(time.RFC3339Nano, string(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		s, _ := strconv.ParseInt(string(m[2]), 10, 64)
		us, _ := strconv.ParseInt(string(m[3]), 10, 64)
		return rel, time.Unix(s, us*1000)
	}
	t.Fatalf("no start signal line in %s", dir)
	return
}

// firstSpecStart is the earliest spec start in dir's report.json.
func firstSpecStart(t *testing.T, dir string) time.Time {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var reports []struct {
		SpecReports []struct {
			LeafNodeType string
			State        string
			StartTime    time.Time
		}
	}
	if err := json.Unmarshal(b, &reports); err != nil {
		t.Fatal(err)
	}
	var first time.Time
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if s.LeafNodeType == "It" && s.State != "skipped" && (first.IsZero() || s.StartTime.Before(first)) {
				first = s.StartTime
			}
		}
	}
	if first.IsZero() {
		t.Fatalf("no spec ran in %s", dir)
	}
	return first
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtDurations(ds []time.Duration) string {
	var p []string
	for _, d := range ds {
		p = append(p, d.Round(time.Millisecond).String())
	}
	return fmt.Sprint(p)
}
