package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/node-e2e/harness/runner/internal/runnertest"
	"github.com/node-e2e/harness/services"
)

// The integration tests drive the real suite: e2e_node.test brings up etcd,
// kube-apiserver, containerd and a kubelet on this machine. They need root
// and the binaries of `make build` (hack/build.sh).

// repoRoot is the repository's root, where the runner runs.
func repoRoot(t *testing.T) string { return runnertest.RepoRoot(t) }

func requireNode(t *testing.T) (ginkgo, suite string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test: needs root")
	}
	out := filepath.Join(repoRoot(t), "_output", "bin")
	requireBinaries(t, out, "ginkgo", "e2e_node.test", "kubelet", "pause")
	return filepath.Join(out, "ginkgo"), filepath.Join(out, "e2e_node.test")
}

// requireBinaries skips the test, saying why, when a binary of `make
// build` is missing from out: a plain `go test ./...` in a fresh clone
// passes. hack/test.sh, which builds them first, sets
// NODE_E2E_REQUIRE_BINARIES=1, and then a missing one fails the test.
func requireBinaries(t *testing.T, out string, names ...string) {
	t.Helper()
	for _, b := range names {
		if _, err := os.Stat(filepath.Join(out, b)); err != nil {
			if os.Getenv("NODE_E2E_REQUIRE_BINARIES") == "1" {
				t.Fatalf("%v: build the binaries first (make build)", err)
			}
			t.Skipf("integration test: needs the built binaries (%v): run hack/build.sh first, or make test", err)
		}
	}
}

// hostSnapshot counts what a run could leave behind on the host.
type hostSnapshot struct {
	Processes  []string // kubelet, containerd, shims, e2e_node.test (pid:name)
	Cgroups    []string // node-e2e-* cgroups in any hierarchy
	Netns      []string // /var/run/netns entries
	Bridges    []string // e2e-* interfaces
	Mounts     []string // mount points under the run root
	RunRootDir []string // entries left in the run root
	LogLinks   []string // /var/log/containers entries
	HostDirs   []string // which of services.HostPaths exist
}

func snapshot(t *testing.T, runRoot string) hostSnapshot {
	t.Helper()
	var s hostSnapshot
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		name := strings.TrimSpace(string(comm))
		switch {
		case name == "kubelet", name == "containerd", strings.HasPrefix(name, "containerd-shim"), name == "e2e_node.test", name == "pause":
			s.Processes = append(s.Processes, e.Name()+":"+name)
		}
	}
	s.Cgroups, _ = filepath.Glob("/sys/fs/cgroup/*/node-e2e-*")
	s.Netns = names("/var/run/netns")
	s.Bridges, _ = filepath.Glob("/sys/class/net/e2e-*")
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 4 && strings.HasPrefix(f[4], runRoot) {
				s.Mounts = append(s.Mounts, f[4])
			}
		}
	}
	s.RunRootDir = names(runRoot)
	s.LogLinks = names("/var/log/containers")
	for _, p := range services.HostPaths {
		if _, err := os.Lstat(p); err == nil {
			s.HostDirs = append(s.HostDirs, p)
		}
	}
	return s
}

func names(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// expectClean fails the test if anything the run created is still there.
// Killed shims are reparented to PID 1 and linger as zombies until it reaps
// them, so the check allows a few seconds for that before it reports.
func expectClean(t *testing.T, before hostSnapshot, runRoot string) {
	t.Helper()
	var after hostSnapshot
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		after = snapshot(t, runRoot)
		if len(extra(before.Processes, after.Processes)) == 0 || time.Now().After(deadline) {
			break
		}
	}
	diff := func(what string, b, a []string) {
		if e := extra(b, a); len(e) > 0 {
			t.Errorf("leaked %s: %v", what, e)
		}
	}
	diff("processes", before.Processes, after.Processes)
	diff("cgroups", before.Cgroups, after.Cgroups)
	diff("network namespaces", before.Netns, after.Netns)
	diff("bridges", before.Bridges, after.Bridges)
	diff("mounts", before.Mounts, after.Mounts)
	diff("run root entries", before.RunRootDir, after.RunRootDir)
	diff("/var/log/containers entries", before.LogLinks, after.LogLinks)
	diff("host directories", before.HostDirs, after.HostDirs)
}

// extra returns what is in after but not in before.
func extra(before, after []string) []string {
	seen := map[string]bool{}
	for _, x := range before {
		seen[x] = true
	}
	var out []string
	for _, x := range after {
		if !seen[x] {
			out = append(out, x)
		}
	}
	return out
}

// suiteRun is one run of ginkgo e2e_node.test.
type suiteRun struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	report string
	root   string
}

type lockedBuffer = runnertest.SyncBuffer

// shortRunRoot makes a run root whose path is short enough for containerd's
// unix sockets (104 bytes).
func shortRunRoot(t *testing.T) string {
	t.Helper()
	root, err := os.MkdirTemp("/tmp", "ne2e-")
	if err != nil {
		t.Fatal(err)
	}
	// Only an empty root is removed: whatever a run left in it stays for
	// the leak check to report, and is never deleted through a mount.
	t.Cleanup(func() { os.Remove(root) })
	return root
}

func startSuite(t *testing.T, env, ginkgoArgs []string, testArgs ...string) *suiteRun {
	t.Helper()
	return startSuiteIn(t, shortRunRoot(t), env, ginkgoArgs, testArgs...)
}

// startSuiteIn starts ginkgo e2e_node.test with its runs under root.
func startSuiteIn(t *testing.T, root string, env, ginkgoArgs []string, testArgs ...string) *suiteRun {
	t.Helper()
	ginkgo, suite := requireNode(t)
	r := &suiteRun{out: &lockedBuffer{}, report: t.TempDir(), root: root}
	args := append([]string{"--no-color", "-v"}, ginkgoArgs...)
	args = append(args, suite, "--", "--report-dir="+r.report, "--run-root="+r.root)
	args = append(args, testArgs...)
	r.cmd = exec.Command(ginkgo, args...)
	r.cmd.Env = append(os.Environ(), env...)
	// Its own process group, like a job in a terminal: Ctrl-C is modelled
	// by signalling the whole group.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	w := io.MultiWriter(r.out, testWriter{t})
	r.cmd.Stdout, r.cmd.Stderr = w, w
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			_ = r.cmd.Process.Kill()
			_ = r.cmd.Wait()
		}
	})
	return r
}

// awaitNodeReady waits until the run says its node is Ready.
func (r *suiteRun) awaitNodeReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !strings.Contains(r.out.String(), " is Ready\n") {
		if time.Now().After(deadline) {
			t.Fatal("node never came up")
		}
		if syscall.Kill(r.cmd.Process.Pid, 0) != nil || strings.Contains(r.out.String(), "startup failed") {
			t.Fatal("suite ended or failed before the node came up")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// wait waits for the run to end and returns its exit code.
func (r *suiteRun) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("ginkgo: %v", err)
		}
		return 0
	case <-time.After(timeout):
		_ = r.cmd.Process.Signal(syscall.SIGQUIT)
		t.Fatalf("suite still running after %s", timeout)
		return -1
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		w.t.Log(sc.Text())
	}
	return len(p), nil
}

// junit is the part of a JUnit report the tests read.
type junit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, dir string) junit {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "junit_01.xml"))
	if err != nil {
		t.Fatalf("no JUnit report: %v", err)
	}
	var j junit
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("JUnit report unreadable: %v", err)
	}
	return j
}

func (j junit) passed() (names []string) {
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			// Specs are "[It] ..."; suite nodes ([SynchronizedBeforeSuite]
			// and the like) are reported too, but are not specs.
			if c.Failure == nil && c.Skipped == nil && strings.HasPrefix(c.Name, "[It] ") {
				names = append(names, c.Name)
			}
		}
	}
	return names
}

// expectLogs checks the report dir holds every component's log.
func expectLogs(t *testing.T, dir string) {
	t.Helper()
	for _, f := range []string{"services.log", "kubelet.log", "containerd.log"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("report dir lacks a non-empty %s: %v", f, err)
		}
	}
}

// expectOnlyRegistryImages checks, from the run's own audit and the
// registry's request log, that every image the runtime held at the end of
// the suite came from the harness's registry, and that the kubelet and
// containerd really pulled through it.
func expectOnlyRegistryImages(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "runtime-images.txt"))
	if err != nil {
		t.Fatalf("no image audit: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	host, ok := strings.CutPrefix(lines[0], "registry ")
	if !ok || host == "" {
		t.Fatalf("audit does not start with the registry: %q", lines[0])
	}
	images := 0
	for _, l := range lines[1:] {
		ref, _ := strings.CutPrefix(l, "image ")
		if !strings.HasPrefix(ref, host+"/") && !strings.HasPrefix(ref, "sha256:") {
			t.Errorf("image %q did not come from the harness's registry %s", ref, host)
		}
		images++
	}
	// The suite pulls every image by digest.
	for _, want := range []string{host + "/pause@sha256:", host + "/busybox@sha256:", host + "/testimage@sha256:", host + "/pull/testimage@sha256:", host + "/private/testimage@sha256:"} {
		if !strings.Contains(string(b), "image "+want) {
			t.Errorf("the runtime never held %s…", want)
		}
	}
	log, err := os.ReadFile(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`HEAD /v2/pause/manifests/sha256:[0-9a-f]{64} 200`),
		regexp.MustCompile(`HEAD /v2/busybox/manifests/sha256:[0-9a-f]{64} 200`),
		regexp.MustCompile(`HEAD /v2/pull/testimage/manifests/sha256:[0-9a-f]{64} 200`),
		regexp.MustCompile(`HEAD /v2/private/testimage/manifests/sha256:[0-9a-f]{64} 401`),
		regexp.MustCompile(`HEAD /v2/private/testimage/manifests/sha256:[0-9a-f]{64} 200`),
	} {
		if !want.Match(log) {
			t.Errorf("registry.log lacks a line matching %s", want)
		}
	}
	t.Logf("%d image references, all from %s", images, host)
}

func TestIntegrationSuitePasses(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r := startSuite(t, nil, []string{"--procs=8"})
	code := r.wait(t, 15*time.Minute)
	if code != 0 {
		t.Fatalf("suite exit code %d, want 0", code)
	}
	j := readJUnit(t, r.report)
	passed := j.passed()
	for _, want := range []string{
		"is Ready and reports CPU, memory and pods capacity",
		"runs a pod to completion and serves its logs through the API",
		"runs a long-running pod and executes commands in it through the API",
		"removes the pod's containers and sandbox from the runtime when the pod is deleted",
		"get a mirror pod in the API while their manifest is in the static pod directory",
		"serves the API server on loopback only and refuses wrong and missing tokens",
		"runs a kubelet that refuses anonymous requests and has no read-only port",
		"keeps the run directory 0700 and every credential file 0600",
		"never writes the admin token into a log or report",
		"refuses a private image without imagePullSecrets and runs it with them",
		"mark a container ready through a gRPC readiness probe",
		"calls HTTP postStart and preStop hooks",
		"keeps running pods and the Node Ready across a requested restart",
	} {
		found := false
		for _, p := range passed {
			if strings.Contains(p, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("spec %q did not pass; passed: %q", want, passed)
		}
	}
	if j.Failures != 0 || j.Errors != 0 {
		t.Errorf("JUnit: %d failures, %d errors", j.Failures, j.Errors)
	}
	expectLogs(t, r.report)
	for _, f := range []string{"report.html", "report.json", "phases.json", "resources.json", "run.json"} { // the run report (internal/report)
		if st, err := os.Stat(filepath.Join(r.report, f)); err != nil || st.Size() == 0 {
			t.Errorf("report dir lacks a non-empty %s: %v", f, err)
		}
	}
	expectOnlyRegistryImages(t, r.report)
	for _, phase := range []string{"etcd ready", "apiserver ready", "images built", "images pulled", "kubelet started", "node ready", "teardown"} {
		if !strings.Contains(r.out.String(), phase) {
			t.Errorf("output does not report the %q phase", phase)
		}
	}
	expectClean(t, before, r.root)
}

func TestIntegrationFailedSpecExitsNonZeroAndCleansUp(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r := startSuite(t, []string{"NODE_E2E_INJECT_FAILURE=1"}, []string{"--focus=fails on purpose|is Ready and reports"})
	code := r.wait(t, 10*time.Minute)
	if code == 0 {
		t.Fatal("a run with a failed spec exited 0")
	}
	j := readJUnit(t, r.report)
	if j.Failures != 1 {
		t.Errorf("JUnit failures = %d, want 1", j.Failures)
	}
	if len(j.passed()) != 1 {
		t.Errorf("passed specs = %q, want the node spec alone", j.passed())
	}
	expectLogs(t, r.report)
	expectClean(t, before, r.root)
}

func TestIntegrationInterruptCleansUp(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	r := startSuite(t, nil, []string{"--focus=long-running pod"})
	// Interrupt once the node is up and the spec is running.
	r.awaitNodeReady(t)
	time.Sleep(2 * time.Second)
	// Ctrl-C: the terminal signals the whole foreground process group.
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := r.wait(t, 3*time.Minute)
	if code == 0 {
		t.Error("an interrupted run exited 0")
	}
	if page, err := os.ReadFile(filepath.Join(r.report, "report.html")); err != nil || !bytes.Contains(page, []byte(`class="status-interrupted"`)) {
		t.Errorf("the run report of an interrupted run does not say it was interrupted: %v", err)
	}
	expectClean(t, before, r.root)
}

// badInput runs e2e_node.test directly with args and expects a quick
// non-zero exit whose output holds every string in want.
func TestIntegrationBadInput(t *testing.T) {
	_, suite := requireNode(t)
	dir := t.TempDir()
	invalidConfig := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(invalidConfig, []byte("kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\nmaxPodz: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wrongKind := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(wrongKind, []byte("kind: Pod\napiVersion: v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	regLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer regLn.Close()
	regPort := strconv.Itoa(regLn.Addr().(*net.TCPAddr).Port)
	ln, err := net.Listen("tcp", ":10250")
	if err != nil {
		t.Fatalf("port 10250 is busy before the test: %v", err)
	}
	defer ln.Close()
	base := []string{"--run-root=" + filepath.Join(dir, "runs"), "--report-dir=" + filepath.Join(dir, "report")}
	cases := []struct {
		name string
		args []string
		uid  uint32
		want []string
	}{
		{"unknown flag", []string{"--no-such-flag"}, 0, []string{"no-such-flag"}},
		{"kubelet missing", []string{"--kubelet-path=/nonexistent/kubelet"}, 0, []string{"--kubelet-path", "/nonexistent/kubelet", "make build"}},
		{"no runtime and no containerd", []string{"--container-runtime-endpoint=unix:///nonexistent.sock", "--containerd-path=/nonexistent/containerd"}, 0, []string{"no container runtime", "/nonexistent.sock", "hack/install-deps.sh"}},
		{"missing kubelet config", []string{"--kubelet-config-file=/nonexistent.yaml"}, 0, []string{"--kubelet-config-file", "/nonexistent.yaml"}},
		{"invalid kubelet config", []string{"--kubelet-config-file=" + invalidConfig}, 0, []string{"--kubelet-config-file", "maxPodz"}},
		{"port in use", nil, 0, []string{"port 10250", "in use"}},
		{"not root", nil, 65534, []string{"must run as root"}},
		{"bad launcher", []string{"--kubelet-launcher=init"}, 0, []string{"--kubelet-launcher", "auto, direct or systemd"}},
		{"bad timeout", []string{"--server-start-timeout=-1s"}, 0, []string{"--server-start-timeout"}},
		{"malformed timeout", []string{"--server-start-timeout=soon"}, 0, []string{"server-start-timeout", "soon"}},
		{"unwritable report dir", []string{"--report-dir=/proc/no-such/report"}, 0, []string{"--report-dir=/proc/no-such/report", "writable"}},
		{"relative run root", []string{"--run-root=relative/runs"}, 0, []string{"--run-root", "absolute path"}},
		{"run root too long", []string{"--run-root=/" + strings.Repeat("r", 90)}, 0, []string{"--run-root", "too long", "shorter"}},
		{"malformed feature gates", []string{"--feature-gates=Foo=maybe"}, 0, []string{"--feature-gates", "true or false"}},
		{"bad cgroup driver", []string{"--cgroup-driver=cgroup2"}, 0, []string{"--cgroup-driver", "cgroupfs or systemd"}},
		{"upper-case node name", []string{"--node-name=MyNode"}, 0, []string{"--node-name", "lowercase"}},
		{"tcp runtime endpoint", []string{"--container-runtime-endpoint=tcp://127.0.0.1:1"}, 0, []string{"--container-runtime-endpoint", "unix://"}},
		{"two modes", []string{"--run-services-mode", "--run-kubelet-mode"}, 0, []string{"exclusive"}},
		{"nothing to test", []string{"--start-services=false"}, 0, []string{"--start-services=false", "--run-dir"}},
		{"wrong kind of kubelet config", []string{"--kubelet-config-file=" + wrongKind}, 0, []string{"--kubelet-config-file", "kind Pod"}},
		{"pause missing", []string{"--pause-path=/nonexistent/pause"}, 0, []string{"--pause-path", "/nonexistent/pause"}},
		{"busybox missing", []string{"--busybox-path=/nonexistent/busybox"}, 0, []string{"--busybox-path", "busybox-static"}},
		{"teardown of a non-run directory", []string{"--teardown=" + dir}, 0, []string{"teardown", "is this a run directory"}},
		{"systemd launcher without systemd", []string{"--kubelet-launcher=systemd"}, 0, []string{"--kubelet-launcher=systemd", "did not boot with systemd"}},
		{"kubelet mode without run dir", []string{"--run-kubelet-mode"}, 0, []string{"--run-kubelet-mode needs --run-dir"}},
		{"stray argument", []string{"--node-name", "a", "b"}, 0, []string{"unexpected argument"}},
		{"test image missing", []string{"--test-image-path=/nonexistent/testimage"}, 0, []string{"--test-image-path", "/nonexistent/testimage", "hack/build.sh testimage"}},
		{"registry port in use", []string{"--registry-port=" + regPort}, 0, []string{"--registry-port=" + regPort, "in use", "0 for a free one"}},
		{"registry port out of range", []string{"--registry-port=99999"}, 0, []string{"--registry-port=99999", "1-65535"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "systemd launcher without systemd" && services.BootedWithSystemd("/") {
				t.Skip("this host runs systemd")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			bin := suite
			if c.uid != 0 {
				bin = reachableCopy(t, suite)
			}
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, base...), c.args...)...)
			if c.uid != 0 {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: c.uid, Gid: c.uid}}
			}
			start := time.Now()
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("exit: %v, want non-zero; output:\n%s", err, out)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("took %s to refuse bad input", d)
			}
			if strings.Contains(string(out), "panic:") {
				t.Errorf("panicked:\n%s", out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// reachableCopy returns a path to the binary at path that any user can
// execute: the repository may sit under a directory only root may enter
// (a clone in /root), where an unprivileged user cannot reach its
// binaries. It is a hard link, or a copy (mode 0755) across file systems
// or of a binary only its owner may run.
func reachableCopy(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ne2e-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o005 == 0o005 && os.Link(path, dst) == nil {
		return dst
	}
	src, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestIntegrationStartupFailureNamesComponentAndLogTail(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	start := time.Now()
	// A kubelet that cannot start must be reported long before
	// --server-start-timeout (2m by default).
	r := startSuite(t, nil, []string{"--focus=is Ready and reports"}, "--kubelet-flags=--no-such-kubelet-flag")
	code := r.wait(t, 3*time.Minute)
	if code == 0 {
		t.Fatal("a run whose kubelet cannot start exited 0")
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("startup failure reported after %s; the kubelet had exited at once", d)
	}
	out := r.out.String()
	for _, want := range []string{"node startup failed: kubelet", "kubelet log:", "unknown flag: --no-such-kubelet-flag"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	expectClean(t, before, r.root)
}

func TestIntegrationImageBuildFailureNamesTheImage(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	start := time.Now()
	// /bin/true is no busybox: it lists no applets, so the busybox image
	// cannot be built, which the services process finds while starting.
	r := startSuite(t, nil, []string{"--focus=is Ready and reports"}, "--busybox-path=/bin/true")
	if code := r.wait(t, 3*time.Minute); code == 0 {
		t.Fatal("a run whose images cannot be built exited 0")
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("image build failure reported after %s", d)
	}
	for _, want := range []string{"services", "services.log", "build the suite's images: images: busybox: /bin/true --list: no applets listed"} {
		if !strings.Contains(r.out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	expectClean(t, before, r.root)
}

func TestIntegrationKilledRunIsCleanedUpByTheNext(t *testing.T) {
	_, _ = requireNode(t)
	before := snapshot(t, "/nonexistent")
	root := shortRunRoot(t)
	killed := startSuiteIn(t, root, nil, []string{"--focus=long-running pod"})
	killed.awaitNodeReady(t)
	time.Sleep(4 * time.Second) // the spec's pod is being created or running
	// SIGKILL: no cleanup of any kind runs in the harness.
	if err := syscall.Kill(-killed.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := killed.wait(t, time.Minute); code == 0 {
		t.Fatal("a killed run exited 0")
	}
	if len(names(root)) == 0 {
		t.Fatal("the killed run left no run directory: nothing to test")
	}
	// The run recorded the containerd it started: stale cleanup revives
	// that one, whatever the next run's $PATH, if it is gone.
	if bin := readLedger(t, runDir(t, root)).ContainerdBinary; !filepath.IsAbs(bin) || filepath.Base(bin) != "containerd" {
		t.Errorf("node.json records containerd binary %q, want the absolute path of the containerd it started", bin)
	}
	next := startSuiteIn(t, root, nil, []string{"--focus=is Ready and reports"})
	if code := next.wait(t, 10*time.Minute); code != 0 {
		t.Fatalf("the run after a killed one exited %d", code)
	}
	if !strings.Contains(next.out.String(), "left by a run whose harness was killed") {
		t.Error("the next run did not say it cleaned up the killed run")
	}
	expectClean(t, before, root)
}
