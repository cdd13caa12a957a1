package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	hostfs "github.com/node-e2e/harness/internal/host"
	runs "github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/services"
	"github.com/node-e2e/harness/services/registry"
)

// These tests play another local user, or a broken run, planting state for
// the harness (which runs as root) to act on, and check that the attack
// fails. See the README's Security section.

// victim is a process in a cgroup of its own, and a network link: what a
// planted node.json would make teardown kill and delete.
type victim struct {
	cmd    *exec.Cmd
	cgroup string
	link   string
}

func newVictim(t *testing.T) *victim {
	t.Helper()
	suffix := strconv.Itoa(os.Getpid())
	v := &victim{cgroup: "/sys/fs/cgroup/pids/victim-" + suffix, link: "victim" + suffix}
	if err := os.Mkdir(v.cgroup, 0o755); err != nil {
		t.Fatalf("victim cgroup: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Rmdir(v.cgroup) })
	v.cmd = exec.Command("sleep", "600")
	if err := v.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered before anything else can fail: the victim inherits the
	// node lock's descriptor from `flock ... go test` and would hold it.
	t.Cleanup(func() {
		_ = v.cmd.Process.Kill()
		_ = v.cmd.Wait()
	})
	if err := os.WriteFile(filepath.Join(v.cgroup, "cgroup.procs"), []byte(strconv.Itoa(v.cmd.Process.Pid)), 0o644); err != nil {
		t.Fatalf("move the victim into its cgroup: %v", err)
	}
	if out, err := exec.Command("ip", "link", "add", "name", v.link, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("victim link: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "delete", v.link).Run() })
	return v
}

// expectUnharmed fails the test if the victim's process, cgroup or link is
// gone.
func (v *victim) expectUnharmed(t *testing.T) {
	t.Helper()
	if err := v.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the victim process was killed: %v", err)
	}
	if _, err := os.Stat(v.cgroup); err != nil {
		t.Errorf("the victim's cgroup was removed: %v", err)
	}
	if _, err := os.Stat("/sys/class/net/" + v.link); err != nil {
		t.Errorf("the victim's network link was deleted: %v", err)
	}
}

// plant writes a stale-looking run under root whose node.json names the
// victim's cgroup and link, owned by uid.
func (v *victim) plant(t *testing.T, root, id string, uid int) string {
	t.Helper()
	dir := filepath.Join(root, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	st := services.NodeState{
		Layout:     runs.Layout{ID: id, Dir: dir, ReportDir: filepath.Join(dir, "report")},
		NodeName:   "planted",
		HarnessPid: 1 << 22, // no such process
		CgroupDirs: []string{v.cgroup},
		Bridge:     v.link,
	}
	if err := runs.WriteJSON(filepath.Join(dir, "node.json"), st); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "node.json")} {
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestIntegrationPlantedRunStateIsNotActedOn(t *testing.T) {
	_, suite := requireNode(t)
	v := newVictim(t)

	t.Run("run root owned by another user", func(t *testing.T) {
		root := shortRunRoot(t)
		if err := os.Chmod(root, 0o755); err != nil {
			t.Fatal(err)
		}
		v.plant(t, root, "20261129-000000-aaaaaa", 65534)
		if err := os.Chown(root, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, suite, "--run-root="+root, "--report-dir="+t.TempDir()).CombinedOutput()
		if code := exitCode(err); code != 2 {
			t.Errorf("exit %d, want 2 (bad input); output:\n%s", code, out)
		}
		for _, want := range []string{"--run-root=" + root, "uid 65534", "choose another --run-root"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("the refusal does not say %q:\n%s", want, out)
			}
		}
		v.expectUnharmed(t)
	})

	t.Run("run directories another user could have written, and names no run could have", func(t *testing.T) {
		root := shortRunRoot(t)
		foreign := v.plant(t, root, "20261129-000000-bbbbbb", 65534)
		// Our own, well-owned state that names the victim anyway (a
		// corrupted or hand-edited node.json): the names are not the
		// run's, so they are left alone, and the rest is cleaned.
		ownBroken := v.plant(t, root, "20261129-000000-cccccc", 0)
		r := startSuiteIn(t, root, nil, []string{"--focus=is Ready and reports"})
		if code := r.wait(t, 5*time.Minute); code != 0 {
			t.Fatalf("the run exited %d", code)
		}
		out := r.out.String()
		for _, want := range []string{"not cleaning up a run directory that is not the harness's own", foreign, "uid 65534",
			"names something this run cannot have created", v.cgroup, v.link, "cleaned up " + ownBroken} {
			if !strings.Contains(out, want) {
				t.Errorf("the run's output lacks %q", want)
			}
		}
		if _, err := os.Stat(foreign); err != nil {
			t.Errorf("the foreign run directory was removed: %v", err)
		}
		if _, err := os.Stat(ownBroken); err == nil {
			t.Errorf("the run's own stale directory %s is still there", ownBroken)
		}
		v.expectUnharmed(t)
	})
}

// plantLinks makes each of files in dir a symlink to a victim file of its
// own, and returns the victims.
func plantLinks(t *testing.T, dir string, files ...string) map[string]string {
	t.Helper()
	victimDir := t.TempDir()
	victims := map[string]string{}
	for _, f := range files {
		target := filepath.Join(victimDir, f+".victim")
		if err := os.WriteFile(target, []byte("precious\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
		victims[f] = target
	}
	return victims
}

func expectVictimsIntact(t *testing.T, victims map[string]string) {
	t.Helper()
	for f, target := range victims {
		if b, _ := os.ReadFile(target); string(b) != "precious\n" {
			t.Errorf("writing %s followed a planted symlink and overwrote %s", f, target)
		}
	}
}

func TestIntegrationReportFilesAreNotFollowed(t *testing.T) {
	_, suite := requireNode(t)

	t.Run("reports are written as fresh files", func(t *testing.T) {
		report := t.TempDir()
		victims := plantLinks(t, report, "junit_01.xml", "runtime-images.txt")
		r := startSuite(t, nil, []string{"--focus=is Ready and reports"}, "--report-dir="+report)
		if code := r.wait(t, 5*time.Minute); code != 0 {
			t.Errorf("the run exited %d", code)
		}
		expectVictimsIntact(t, victims)
		for f := range victims {
			if fi, err := os.Lstat(filepath.Join(report, f)); err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s is not a fresh regular file: %v", f, err)
			}
		}
	})

	t.Run("a log is not opened through a symlink", func(t *testing.T) {
		report := t.TempDir()
		victims := plantLinks(t, report, "services.log")
		r := startSuite(t, nil, []string{"--focus=is Ready and reports"}, "--report-dir="+report)
		if code := r.wait(t, 5*time.Minute); code == 0 {
			t.Error("the run wrote its log elsewhere and passed; want it to refuse the planted log")
		}
		expectVictimsIntact(t, victims)
		if out := r.out.String(); !strings.Contains(out, filepath.Join(report, "services.log")) || !strings.Contains(out, "symbolic links") {
			t.Errorf("the failure does not name the planted services.log")
		}
	})

	t.Run("another user's report dir is refused", func(t *testing.T) {
		theirs := filepath.Join(t.TempDir(), "report")
		if err := os.Mkdir(theirs, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(suite, "--run-root="+shortRunRoot(t), "--report-dir="+theirs).CombinedOutput()
		if code := exitCode(err); code != 2 {
			t.Errorf("exit %d, want 2; output:\n%s", code, out)
		}
		for _, want := range []string{"--report-dir=" + theirs, "uid 65534"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("the refusal does not say %q:\n%s", want, out)
			}
		}
	})
}

// exitCode is the exit code in err from exec (0 for nil, -1 for another
// error).
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// freePort returns a TCP port free on 127.0.0.1 now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestIntegrationForeignSandboxSurvivesTeardownOnASharedRuntime(t *testing.T) {
	_, _ = requireNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// A containerd that is not the harness's: started by the test, as
	// another kubelet's runtime would be. It pulls from the harness's
	// registry port, which the run is told to use.
	port := freePort(t)
	dir, err := os.MkdirTemp("/tmp", "ctd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	host := fmt.Sprintf("127.0.0.1:%d", port)
	if err := registry.WriteHostsDir(filepath.Join(dir, "certs.d"), host); err != nil {
		t.Fatal(err)
	}
	bridge := "ext" + strconv.Itoa(os.Getpid()%100000)
	ctd := services.NewContainerd(services.ContainerdConfig{
		Dir:          dir,
		Socket:       filepath.Join(dir, "c.sock"),
		SandboxImage: host + "/pause:1.0",
		RegistryDir:  filepath.Join(dir, "certs.d"),
		CNIConfDir:   filepath.Join(dir, "net.d"),
		LogPath:      filepath.Join(dir, "containerd.log"),
	})
	if err := ctd.Start(ctx, services.CNIConfig{Bridge: bridge, Subnet: "10.234.0.0/24", DataDir: filepath.Join(dir, "ipam")}); err != nil {
		t.Fatalf("start the shared containerd: %v", err)
	}
	t.Cleanup(func() {
		_, _ = services.RemovePodSandboxes(context.Background(), ctd.Endpoint(), func(*runtimeapi.PodSandbox) bool { return true })
		_ = ctd.Stop()
		_ = services.DeleteLink(bridge)
		_, _ = hostfs.UnmountUnder(dir)
	})

	r := startSuite(t, nil, []string{"--focus=runs a long-running pod"},
		"--container-runtime-endpoint="+ctd.Endpoint(), fmt.Sprintf("--registry-port=%d", port))
	r.awaitNodeReady(t)
	// Another user of the runtime starts a pod while the run goes on.
	conn, err := services.DialCRI(ctd.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	foreign, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "foreign", Namespace: "someone-else", Uid: "foreign-uid"},
		Linux:    &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE}}},
	}})
	if err != nil {
		t.Fatalf("start a foreign sandbox on the shared runtime: %v", err)
	}
	if code := r.wait(t, 5*time.Minute); code != 0 {
		t.Fatalf("the run exited %d", code)
	}
	list, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	survived := false
	for _, sb := range list.Items {
		if sb.Id == foreign.PodSandboxId {
			survived = true
		}
		if strings.HasPrefix(sb.GetMetadata().GetNamespace(), "e2e-") {
			t.Errorf("the run left its sandbox %s (namespace %s)", sb.Id, sb.GetMetadata().GetNamespace())
		}
	}
	if !survived {
		t.Error("teardown removed a sandbox the run did not create")
	}
	if !strings.Contains(r.out.String(), "1 Passed") {
		t.Error("the spec did not pass on the shared runtime")
	}
}

// ginkgoServer finds the address of Ginkgo's parallel server in the
// command line of a suite process: what any local user can read.
func ginkgoServer() string {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, arg := range strings.Split(string(b), "\x00") {
			if host, ok := strings.CutPrefix(arg, "--ginkgo.parallel.host="); ok {
				return host
			}
		}
	}
	return ""
}

func TestIntegrationSuiteSecretsStayOffGinkgosServer(t *testing.T) {
	_, _ = requireNode(t)
	root := shortRunRoot(t)
	r := startSuiteIn(t, root, nil, []string{"--procs=2", "--focus=runs a long-running pod|is Ready and reports"})
	r.awaitNodeReady(t)
	// What Ginkgo's unauthenticated loopback server (net/rpc over HTTP, its
	// default protocol) hands the other processes once process 1 has set
	// the node up: any local user can ask it.
	var shared struct {
		Data  []byte
		State uint
	}
	deadline := time.Now().Add(2 * time.Minute)
	for len(shared.Data) == 0 && time.Now().Before(deadline) {
		if host := ginkgoServer(); host != "" {
			if c, err := rpc.DialHTTPPath("tcp", host, "/"); err == nil {
				_ = c.Call("Server.BeforeSuiteState", struct{}{}, &shared)
				c.Close()
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(shared.Data) == 0 {
		t.Fatal("never read the before-suite state from Ginkgo's server")
	}
	var st services.NodeState
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "node.json"))
	if len(dirs) != 1 {
		t.Fatalf("want one run under %s, found %v", root, dirs)
	}
	if err := runs.ReadJSON(dirs[0], &st); err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := os.ReadFile(st.Layout.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, line := range strings.Split(string(kubeconfig), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "token: "); ok {
			token = v
		}
	}
	if st.Registry == nil || st.Registry.Password == "" || token == "" {
		t.Fatalf("no secrets to look for: registry %+v, token %q", st.Registry, token)
	}
	for what, secret := range map[string]string{"the registry password": st.Registry.Password, "the admin token": token} {
		if strings.Contains(string(shared.Data), secret) {
			t.Errorf("Ginkgo's server hands out %s: %s", what, shared.Data)
		}
	}
	t.Logf("Ginkgo's server holds: %s", shared.Data)
	if code := r.wait(t, 5*time.Minute); code != 0 {
		t.Fatalf("the run exited %d", code)
	}
}
