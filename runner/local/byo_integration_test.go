package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/node-e2e/harness/internal/host"
	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/services"
)

// Bring your own kubelet, as the README's three-terminal walk-through
// does it: standalone services mode; a containerd and a kubelet that this
// test starts itself (its own containerd config, the printed kubelet
// command line, kubeconfig and hosts.toml; none of the harness's node
// code); then the printed suite command line.

var (
	sandboxLine = regexp.MustCompile(`(?m)^  sandbox image: +(\S+) `)
	// byoSkips are the specs that skip against a node the harness did not
	// start, documented in the README ("Bring your own kubelet"), with
	// those that skip in the default mode too.
	byoSkips = []string{
		"Harness security",            // the harness's control plane, registry, kubelet config
		"Harness node taints",         // the harness's Node
		"Kubelet system containers",   // the harness's system cgroups
		"Kubelet and runtime restart", // restarted through kubelet mode
		"test-handler",                // the harness's containerd
	}
)

// byoContainerd is the test's own containerd: private root, state, socket,
// CNI config and bridge, trusting the standalone registry through the
// printed hosts.toml directory.
func byoContainerdConfig(dir, hostsDir, sandboxImage string) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return fmt.Sprintf(`version = 2
root = %[1]s
state = %[2]s
[grpc]
  address = %[3]s
[ttrpc]
  address = %[4]s
[plugins."io.containerd.internal.v1.opt"]
  path = %[5]s
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %[6]s
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = %[7]s
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %[8]s
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %[9]s
`, q(filepath.Join(dir, "root")), q(filepath.Join(dir, "state")), q(filepath.Join(dir, "c.sock")), q(filepath.Join(dir, "c.sock.ttrpc")),
		q(filepath.Join(dir, "opt")), q(sandboxImage), q(filepath.Join(dir, "runc")), q(hostsDir), q(filepath.Join(dir, "net.d")))
}

const byoBridge = "byo-e2e0"

func byoConflist(dir string) string {
	return fmt.Sprintf(`{"cniVersion":"1.0.0","name":"byo","plugins":[{"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false,"ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"10.234.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}},{"type":"portmap","capabilities":{"portMappings":true}}]}`,
		byoBridge, filepath.Join(dir, "ipam"))
}

// startProcess starts argv in its own process group, logging to log.
func startProcess(t *testing.T, log string, argv ...string) (*exec.Cmd, chan error) {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", argv[0], err)
	}
	f.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return cmd, done
}

// stopProcess sends SIGTERM to the group, then SIGKILL after limit.
func stopProcess(cmd *exec.Cmd, done chan error, limit time.Duration) {
	if cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(limit):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func alive(cmd *exec.Cmd) bool { return syscall.Kill(cmd.Process.Pid, 0) == nil }

func TestIntegrationBringYourOwnKubelet(t *testing.T) {
	ginkgoBin, suite := requireNode(t)
	for _, p := range []string{"/sys/fs/cgroup/memory/kubepods", "/sys/class/net/" + byoBridge} {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s exists: another kubelet (or a killed run of this test) uses the host's root cgroup; stop it first", p)
		}
	}
	root := shortRunRoot(t)
	before := snapshot(t, root)
	// The kubelet and containerd make these whatever their configuration:
	// the test removes those that were not there before, as a user would.
	hostDirs := services.MissingPaths(services.HostPaths)
	work, err := os.MkdirTemp("/tmp", "byo-")
	if err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	endpoint := "unix://" + filepath.Join(work, "c.sock")
	const node = "byo-node"

	// Terminal 1: the control plane and registry.
	start := time.Now()
	svc := startStandalone(t, suite, root, "--node-name="+node, "--container-runtime-endpoint="+endpoint)
	svc.await(t, apiURLLine, 2*time.Minute)
	t.Logf("standalone services ready in %s", time.Since(start).Round(time.Millisecond))
	out := svc.out.String()
	get := func(re *regexp.Regexp) string { return re.FindStringSubmatch(out)[1] }
	admin := clientFor(t, get(adminLine))

	// Terminal 2: the user's containerd and kubelet.
	for _, d := range []string{filepath.Join(work, "net.d"), filepath.Join(work, "ipam")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(work, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(byoContainerdConfig(work, get(hostsLine), get(sandboxLine))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "net.d", "10-byo.conflist"), []byte(byoConflist(work)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctrd, ctrdDone := startProcess(t, filepath.Join(logs, "containerd.log"), "containerd", "--config", cfgPath)
	kubeletArgs, err := shell.Split(get(kubeletCmdLine))
	if err != nil {
		t.Fatalf("printed kubelet command: %v", err)
	}
	var kubelet *exec.Cmd
	var kubeletDone chan error
	runDir := filepath.Dir(get(adminLine))
	t.Cleanup(func() {
		// What a user does after the walk-through: stop the kubelet,
		// remove its pods from the runtime, stop the runtime, undo the
		// host state they made; then stop the services.
		if kubelet != nil {
			stopProcess(kubelet, kubeletDone, 30*time.Second)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := services.RemovePodSandboxes(ctx, endpoint, func(*runtimeapi.PodSandbox) bool { return true }); err != nil {
			t.Errorf("remove the test's pod sandboxes: %v", err)
		}
		stopProcess(ctrd, ctrdDone, 30*time.Second)
		for _, d := range []string{work, runDir} {
			if _, err := host.UnmountUnder(d); err != nil {
				t.Errorf("unmount under %s: %v", d, err)
			}
		}
		points, _ := host.CgroupMountPoints()
		for _, p := range points {
			if err := host.RemoveCgroupTree(ctx, filepath.Join(p, "kubepods")); err != nil {
				t.Errorf("remove the kubelet's cgroups: %v", err)
			}
		}
		if err := services.DeleteLink(byoBridge); err != nil {
			t.Error(err)
		}
		if err := services.RemoveContainerLogLinks("/var/log/containers", filepath.Join(runDir, "pod-logs")); err != nil {
			t.Error(err)
		}
		if err := os.RemoveAll(work); err != nil {
			t.Error(err)
		}
		for _, d := range hostDirs {
			if err := services.RemoveIfOnlyLeftovers(d); err != nil {
				t.Error(err)
			}
		}
		if svc.cmd.ProcessState == nil {
			if code, took := svc.terminate(t, 30*time.Second); code != 0 {
				t.Errorf("services mode exited %d after %s on SIGTERM:\n%s", code, took, tail(svc.err.String(), 30))
			}
		}
		expectNothingLeft(t, svc)
		expectClean(t, before, root)
	})
	deadline := time.Now().Add(30 * time.Second)
	for services.CRIReady(context.Background(), endpoint) != nil {
		if time.Now().After(deadline) || !alive(ctrd) {
			t.Fatalf("the test's containerd does not serve %s:\n%s", endpoint, readTail(filepath.Join(logs, "containerd.log")))
		}
		time.Sleep(100 * time.Millisecond)
	}
	kubelet, kubeletDone = startProcess(t, filepath.Join(logs, "kubelet.log"), kubeletArgs...)
	awaitReady(t, admin, node, kubelet, filepath.Join(logs, "kubelet.log"))

	// Terminal 3: the suite, as printed, with a report dir and the
	// default eight processes.
	suiteArgs, err := shell.Split(get(suiteCmdLine))
	if err != nil || suiteArgs[0] != "ginkgo" || suiteArgs[2] != "--" {
		t.Fatalf("printed suite command %q: %v", get(suiteCmdLine), err)
	}
	report := t.TempDir()
	args := append([]string{"--no-color", "-v", "--procs=8", suite}, suiteArgs[2:]...)
	args = append(args, "--report-dir="+report)
	cmd := exec.Command(ginkgoBin, args...)
	outBuf := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = outBuf, outBuf
	t0 := time.Now()
	err = cmd.Run()
	t.Logf("suite against the test's kubelet: exit %v in %s", err, time.Since(t0).Round(time.Second))
	if err != nil {
		t.Fatalf("suite failed: %v\n%s", err, tail(outBuf.String(), 80))
	}

	j := readJUnit(t, report)
	var skipped []string
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Skipped != nil && strings.HasPrefix(c.Name, "[It] ") {
				skipped = append(skipped, c.Name)
			}
		}
	}
	t.Logf("passed %d, skipped %d: %s", len(j.passed()), len(skipped), strings.Join(skipped, " | "))
	if j.Failures+j.Errors > 0 || len(j.passed()) < 40 {
		t.Errorf("failures=%d errors=%d passed=%d", j.Failures, j.Errors, len(j.passed()))
	}
	for _, s := range skipped {
		if !slices.ContainsFunc(byoSkips, func(k string) bool { return strings.Contains(s, k) }) {
			t.Errorf("spec skipped against a kubelet the harness did not start, and not documented as harness-only: %s", s)
		}
	}
	// The specs that read the node's files ran: the facts were found.
	var facts struct {
		Local bool
		Facts []struct{ Name, Value, Source string }
	}
	b, err := os.ReadFile(filepath.Join(report, "node-facts.json"))
	if err != nil || json.Unmarshal(b, &facts) != nil || !facts.Local {
		t.Fatalf("node-facts.json: %v %s", err, b)
	}
	for _, f := range facts.Facts {
		if f.Value == "" && f.Name != "readOnlyPort" {
			t.Errorf("fact %s unknown against a local kubelet: %s", f.Name, b)
		}
		if f.Name == "kubeletRootDir" && (f.Value != filepath.Join(runDir, "kubelet", "root") || !strings.Contains(f.Source, "command line")) {
			t.Errorf("kubelet root dir %q from %q, want the printed --root-dir from the command line", f.Value, f.Source)
		}
	}
	if !strings.Contains(outBuf.String(), "pulled by the node from "+get(registryLine)) {
		t.Errorf("the node did not pull the suite's images from the standalone registry:\n%s", tail(outBuf.String(), 40))
	}
	// Nothing the suite did not start is torn down by it.
	if !alive(kubelet) || !alive(ctrd) {
		t.Errorf("the suite stopped what it did not start: kubelet alive=%v containerd alive=%v", alive(kubelet), alive(ctrd))
	}
	n, err := admin.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil || !nodeReady(n) {
		t.Errorf("Node %s not Ready after the suite: %v", node, err)
	}
}

func nodeReady(n *v1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeReady {
			return c.Status == v1.ConditionTrue
		}
	}
	return false
}

// awaitReady waits for the Node to be Ready, failing with the kubelet's
// log tail if it exits or is not Ready in two minutes.
func awaitReady(t *testing.T, admin kubernetes.Interface, node string, kubelet *exec.Cmd, log string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := admin.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
		if err == nil && nodeReady(n) {
			return
		}
		if time.Now().After(deadline) || !alive(kubelet) {
			t.Fatalf("Node %s not Ready (%v); kubelet log:\n%s", node, err, readTail(log))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func readTail(path string) string {
	b, _ := os.ReadFile(path)
	return tail(string(b), 30)
}
