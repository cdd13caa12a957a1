package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Standalone services mode: e2e_node.test --run-services-mode alone, for a
// kubelet the user runs. It starts no kubelet and no runtime, and its ports
// are kernel-chosen, so it needs no node lock.

// requireServices skips without root or under -short and returns the built
// e2e_node.test.
func requireServices(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test: needs root")
	}
	out := filepath.Join(repoRoot(t), "_output", "bin")
	requireBinaries(t, out, "e2e_node.test", "pause", "testimage")
	return filepath.Join(out, "e2e_node.test")
}

type standaloneRun struct {
	cmd      *exec.Cmd
	out, err *lockedBuffer
	done     chan error
	runRoot  string
}

func startStandalone(t *testing.T, suite, runRoot string, args ...string) *standaloneRun {
	t.Helper()
	r := &standaloneRun{out: &lockedBuffer{}, err: &lockedBuffer{}, done: make(chan error, 1), runRoot: runRoot}
	r.cmd = exec.Command(suite, append([]string{"--run-services-mode", "--run-root=" + runRoot, "--report-dir=" + t.TempDir()}, args...)...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.err
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// await returns the first submatch of re in stdout, failing if the process
// exits or timeout passes first.
func (r *standaloneRun) await(t *testing.T, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(r.out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("services mode exited (%v) before printing %s:\n%s\n%s", err, re, r.out.String(), tail(r.err.String(), 30))
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no %s after %s:\n%s\n%s", re, timeout, r.out.String(), tail(r.err.String(), 30))
	return ""
}

// terminate sends SIGTERM and returns the exit code and how long the exit took.
func (r *standaloneRun) terminate(t *testing.T, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		r.done <- err
		return exitCode(err), time.Since(start)
	case <-time.After(limit):
		t.Fatalf("still running %s after SIGTERM:\n%s", limit, tail(r.err.String(), 30))
	}
	return -1, 0
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// expectNothingLeft checks the run root is empty and no process runs from it.
func expectNothingLeft(t *testing.T, r *standaloneRun) {
	t.Helper()
	if left := names(r.runRoot); len(left) > 0 {
		t.Errorf("left in the run root %s: %v", r.runRoot, left)
	}
	if err := syscall.Kill(r.cmd.Process.Pid, 0); err == nil {
		t.Errorf("process %d still exists", r.cmd.Process.Pid)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), r.runRoot) {
			t.Errorf("process %s still refers to the run root: %q", filepath.Dir(p), b)
		}
	}
}

var (
	apiURLLine       = regexp.MustCompile(`(?m)^  API server: +(https://\S+)$`)
	adminLine        = regexp.MustCompile(`(?m)^  admin kubeconfig: +(\S+)$`)
	kubeletKCLine    = regexp.MustCompile(`(?m)^  kubelet kubeconfig: +(\S+) `)
	kubeletCfgLine   = regexp.MustCompile(`(?m)^  kubelet config: +(\S+)$`)
	registryLine     = regexp.MustCompile(`(?m)^  image registry: +(\S+)$`)
	hostsLine        = regexp.MustCompile(`(?m)^  containerd hosts: +(\S+) `)
	kubeletCmdLine   = regexp.MustCompile(`(?m)^run your kubelet.*\n  (.+)$`)
	suiteCmdLine     = regexp.MustCompile(`(?m)^then the suite:\n  (.+)$`)
	servingOnLogLine = regexp.MustCompile(`Serving securely on (127\.0\.0\.1:\d+)`)
)

func clientFor(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("%s: %v", kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func TestIntegrationStandaloneServicesMode(t *testing.T) {
	suite := requireServices(t)
	const node = "standalone-node"
	start := time.Now()
	r := startStandalone(t, suite, shortRunRoot(t), "--node-name="+node)
	url := r.await(t, apiURLLine, 2*time.Minute)
	t.Logf("ready after %s at %s", time.Since(start).Round(time.Millisecond), url)
	out := r.out.String()
	get := func(re *regexp.Regexp) string { return re.FindStringSubmatch(out)[1] }
	runDir := filepath.Dir(get(adminLine))
	if filepath.Dir(runDir) != r.runRoot {
		t.Errorf("admin kubeconfig %s is not in a run dir under %s", get(adminLine), r.runRoot)
	}
	if st, err := os.Stat(runDir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("run dir %s: %v, mode %v, want 0700", runDir, err, st.Mode().Perm())
	}
	ctx := context.Background()

	// The admin kubeconfig reaches the real API server.
	nss, err := clientFor(t, get(adminLine)).CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list namespaces as admin: %v", err)
	}
	var nsNames []string
	for _, ns := range nss.Items {
		nsNames = append(nsNames, ns.Name)
	}
	if !slices.Contains(nsNames, "default") || !slices.Contains(nsNames, "kube-system") {
		t.Errorf("namespaces %v lack default or kube-system", nsNames)
	}

	// The kubelet kubeconfig is the node, by client certificate.
	kubelet := clientFor(t, get(kubeletKCLine))
	ssr, err := kubelet.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectReview as the kubelet: %v", err)
	}
	ui := ssr.Status.UserInfo
	if ui.Username != "system:node:"+node || !slices.Contains(ui.Groups, "system:nodes") {
		t.Errorf("kubelet identity %q in %v, want system:node:%s in system:nodes", ui.Username, ui.Groups, node)
	}
	if !strings.HasPrefix(strings.Join(ui.Extra["authentication.kubernetes.io/credential-id"], ","), "X509SHA256=") {
		t.Errorf("kubelet authenticated by %v, want a client certificate", ui.Extra)
	}
	// Node,RBAC authorization applies to it: a node may not list namespaces.
	if _, err := kubelet.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err == nil {
		t.Errorf("the kubelet's credentials may list namespaces: Node,RBAC does not restrict them")
	}

	// The kubelet config is there, for this kind of host.
	b, err := os.ReadFile(get(kubeletCfgLine))
	if err != nil || !strings.Contains(string(b), "failCgroupV1: false") {
		t.Errorf("kubelet config %s: %v\n%s", get(kubeletCfgLine), err, b)
	}
	for _, want := range []string{"--config=" + get(kubeletCfgLine), "--kubeconfig=" + get(kubeletKCLine), "--hostname-override=" + node} {
		if !strings.Contains(get(kubeletCmdLine), want) {
			t.Errorf("kubelet command line %q lacks %q", get(kubeletCmdLine), want)
		}
	}
	for _, want := range []string{"ginkgo ", " -- --start-services=false", "--kubeconfig=" + get(adminLine), "--node-name=" + node} {
		if !strings.Contains(get(suiteCmdLine), want) {
			t.Errorf("suite command line %q lacks %q", get(suiteCmdLine), want)
		}
	}

	// The registry serves the distribution API, and containerd's hosts.toml names it.
	reg := get(registryLine)
	resp, err := http.Get("http://" + reg + "/v2/")
	if err != nil {
		t.Fatalf("registry %s: %v", reg, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET http://%s/v2/: %s, want 200", reg, resp.Status)
	}
	if b, err := os.ReadFile(filepath.Join(get(hostsLine), reg, "hosts.toml")); err != nil || !strings.Contains(string(b), reg) {
		t.Errorf("hosts.toml for %s: %v\n%s", reg, err, b)
	}

	code, took := r.terminate(t, 5*time.Second)
	t.Logf("SIGTERM to exit: %s", took.Round(time.Millisecond))
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, tail(r.err.String(), 30))
	}
	expectNothingLeft(t, r)
}

// A SIGTERM right after /readyz first answers is honoured, every time.
func TestIntegrationStandaloneServicesSIGTERMAtReadyz(t *testing.T) {
	suite := requireServices(t)
	const token = "standalone-test-token-0123456789"
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for i := range 10 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			r := startStandalone(t, suite, shortRunRoot(t), "--bearer-token="+token)
			var addr string
			for deadline := time.Now().Add(2 * time.Minute); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if m := servingOnLogLine.FindStringSubmatch(r.err.String()); m != nil {
					addr = m[1]
				}
			}
			if addr == "" {
				t.Fatalf("the API server never logged its address:\n%s", tail(r.err.String(), 30))
			}
			for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("/readyz never answered ok:\n%s", tail(r.err.String(), 30))
				}
				req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/readyz", nil)
				req.Header.Set("Authorization", "Bearer "+token) // --bearer-token is honoured
				if resp, err := client.Do(req); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						break
					}
				}
			}
			code, took := r.terminate(t, 5*time.Second)
			t.Logf("SIGTERM to exit: %s", took.Round(time.Millisecond))
			if code != 0 {
				t.Errorf("exit code %d after SIGTERM, want 0:\n%s", code, tail(r.err.String(), 30))
			}
			expectNothingLeft(t, r)
		})
	}
}

func TestIntegrationStandaloneServicesBadRunRoot(t *testing.T) {
	suite := requireServices(t)
	root := shortRunRoot(t)
	if err := os.Chown(root, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	r := startStandalone(t, suite, root)
	select {
	case err := <-r.done:
		if code := exitCode(err); code != 2 {
			t.Errorf("exit code %d, want 2", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running with a run root owned by another user")
	}
	if msg := r.err.String(); !strings.Contains(msg, "--run-root="+root) {
		t.Errorf("error does not name --run-root=%s:\n%s", root, msg)
	}
	if left := names(root); len(left) > 0 {
		t.Errorf("created %v in a run root it refused", left)
	}
}
