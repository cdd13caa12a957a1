package images

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/node-e2e/harness/internal/proc"
)

// skipUnlessIntegration skips t under -short, when not root, or when one of
// the commands is missing.
func skipUnlessIntegration(t *testing.T, commands ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test needs root")
	}
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("integration test needs %s: %v", c, err)
		}
	}
}

// mustCompilePause compiles ./pause into a temporary directory.
func mustCompilePause(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "pause")
	if err := CompilePause(ctx, "pause", bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// childrenOf returns "pid:state" for each process whose parent is ppid.
func childrenOf(ppid int) []string {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []string
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		var state string
		var parent int
		if _, err := fmt.Sscan(rest, &state, &parent); err == nil && parent == ppid {
			kids = append(kids, filepath.Base(filepath.Dir(s))+":"+state)
		}
	}
	return kids
}

// TestIntegrationPauseReapsZombies runs pause as PID 1 of a new PID
// namespace, orphans a process inside it, and checks that pause reaps it
// once it exits.
func TestIntegrationPauseReapsZombies(t *testing.T) {
	skipUnlessIntegration(t, "go", "nsenter")
	bin := mustCompilePause(t)
	cmd := exec.Command(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	pid := cmd.Process.Pid

	// The shell exits at once; its sleep is orphaned and re-parented to
	// pause, the namespace's PID 1. The sleep must not hold our output
	// pipe, or CombinedOutput would wait for it to end.
	enter := exec.Command("nsenter", "-t", fmt.Sprint(pid), "-p", "--", "/bin/sh", "-c", "sleep 1 </dev/null >/dev/null 2>&1 & exit 0")
	if out, err := enter.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", enter, err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := proc.Await(ctx, 20*time.Millisecond, func() (bool, error) { return len(childrenOf(pid)) > 0, nil }); err != nil {
		t.Fatalf("the orphan never became a child of pause: %v", err)
	}
	if err := proc.Await(ctx, 20*time.Millisecond, func() (bool, error) { return len(childrenOf(pid)) == 0, nil }); err != nil {
		t.Fatalf("pause left children %q: %v", childrenOf(pid), err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Fatalf("pause as PID 1 after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pause as PID 1 ignored SIGTERM")
	}
}

// containerdConfig returns a config for a private containerd keeping all its
// files under dir, with the CRI plugin off: only images are needed.
func containerdConfig(dir string) string {
	return fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = %[3]q

[ttrpc]
  address = %[4]q

[plugins."io.containerd.internal.v1.opt"]
  path = %[5]q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), filepath.Join(dir, "containerd.sock"),
		filepath.Join(dir, "containerd.sock.ttrpc"), filepath.Join(dir, "opt"))
}

// containerdConfigDigest returns the config digest of the manifest that
// containerd stores for ref.
func containerdConfigDigest(t *testing.T, ctr func(...string) (string, error), ref string) string {
	t.Helper()
	out, err := ctr("images", "ls", "name=="+ref)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	fields := strings.Fields(lines[len(lines)-1])
	if len(lines) != 2 || len(fields) < 3 {
		t.Fatalf("ctr images ls name==%s:\n%s", ref, out)
	}
	raw, err := ctr("content", "get", fields[2])
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Config struct{ Digest string } `json:"config"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("manifest %s of %s: %v", fields[2], ref, err)
	}
	return m.Config.Digest
}

// archiveConfigDigest returns the config digest of ref as the archive holds it.
func archiveConfigDigest(t *testing.T, ref, archive string) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// TestIntegrationImport builds both images, imports the archive into a
// private containerd with Import, and checks containerd lists them unpacked.
func TestIntegrationImport(t *testing.T) {
	skipUnlessIntegration(t, "go", "containerd", "ctr")
	cfg := NewConfig()
	if _, err := os.Stat(cfg.BusyboxBinary); err != nil {
		t.Skipf("%v (install busybox-static)", err)
	}
	cfg.PauseSource = "pause"
	cfg.WorkDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg.TestImageSource = "testimage"
	suite, err := BuildSuite(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(cfg.WorkDir, "images.tar")
	byRef := map[string]v1.Image{}
	var refs []string
	for name, img := range suite {
		ref := Ref("node-e2e.local", name)
		byRef[ref] = img
		refs = append(refs, ref)
	}
	if err := WriteArchive(archive, byRef); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	config := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(config, []byte(containerdConfig(dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "containerd.sock")
	containerd := &proc.Process{
		Name:        "containerd",
		Path:        "containerd",
		Args:        []string{"--config", config},
		LogPath:     filepath.Join(dir, "containerd.log"),
		StopTimeout: 10 * time.Second,
	}
	if err := containerd.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered after t.TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		if err := containerd.Stop(); err != nil {
			t.Error(err)
		}
	})
	ctr := func(args ...string) (string, error) {
		full := append([]string{"--address", sock, "-n", Namespace}, args...)
		out, err := exec.CommandContext(ctx, "ctr", full...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("ctr %s: %w\n%s", strings.Join(full, " "), err, out)
		}
		return string(out), nil
	}
	if err := proc.Await(ctx, 100*time.Millisecond, func() (bool, error) {
		if containerd.Exited() {
			return false, <-containerd.Err()
		}
		_, err := ctr("version")
		return err == nil, nil
	}); err != nil {
		t.Fatalf("containerd not ready: %v\n%s", err, proc.Tail(containerd.LogPath, 20))
	}

	if err := Import(ctx, "ctr", sock, archive); err != nil {
		t.Fatal(err)
	}
	list, err := ctr("images", "ls")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ctr images ls:\n%s", list)
	for _, ref := range refs {
		if !strings.Contains(list, ref+" ") {
			t.Errorf("containerd does not list %s", ref)
			continue
		}
		// containerd writes its own manifest for a docker archive, but
		// keeps the config blob: the image ID the kubelet reports.
		if got, want := containerdConfigDigest(t, ctr, ref), archiveConfigDigest(t, ref, archive); got != want {
			t.Errorf("%s: containerd config digest %s, archive %s", ref, got, want)
		}
	}
	digests := map[string]bool{}
	for _, img := range suite {
		digests[mustDigest(t, img)] = true
	}
	distinct := len(digests)
	snaps, err := ctr("snapshots", "ls")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(strings.Split(strings.TrimSpace(snaps), "\n")) - 1; got < distinct {
		t.Errorf("%d snapshots after import, want one per distinct image (%d): not unpacked?\n%s", got, distinct, snaps)
	}
}
