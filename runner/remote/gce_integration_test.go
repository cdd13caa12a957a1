package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/node-e2e/harness/runner/remote/internal/gce"
	"github.com/node-e2e/harness/runner/remote/internal/gce/fakecompute"
)

// The GCE tests run against fakecompute, whose instances all have the
// external IP 127.0.0.1: every "VM" is this machine's test sshd, reached
// on its port through --ssh-options "-p PORT".

const imageConfig = `images:
  debian:
    image_family: debian-12
    project: debian-cloud
    metadata: "startup-script<startup.sh,enable-oslogin=false"
  ubuntu:
    image: ubuntu-2404-noble-v20261101
    project: ubuntu-os-cloud
    machine: n2-standard-4
`

// gceSetup starts sshd and the fake API, writes the image config, and
// returns the fake and the runner flags for a GCE run.
func gceSetup(t *testing.T) (*fakecompute.Server, *sshServer, string, []string) {
	t.Helper()
	srv := startSSHD(t)
	fake := fakecompute.Start()
	t.Cleanup(fake.Close)
	fake.BootPolls = 1 // one STAGING answer, then RUNNING, 5s later
	fake.Images["debian-cloud"] = []*compute.Image{{Name: "debian-12-bookworm-v20261101", Family: "debian-12", CreationTimestamp: "2026-11-01T00:00:00.000-07:00"}}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "images.yaml"), []byte(imageConfig), 0o644)
	os.WriteFile(filepath.Join(dir, "startup.sh"), []byte("#!/bin/sh\necho booted\n"), 0o644)
	results := filepath.Join(dir, "results")
	args := append(fakeInputs(t),
		"--image-config-file", "images.yaml", "--image-config-dir", dir,
		"--project", "proj", "--zone", "us-central1-b", "--gce-endpoint", fake.Endpoint(),
		"--run-id", "20261125-180102-abc123", "--results-dir", results,
		"--ssh-user", "root", "--ssh-key", srv.Key, "--ssh-options", "-p "+strconv.Itoa(srv.Port))
	return fake, srv, results, args
}

const (
	debianVM = "node-e2e-abc123-debian"
	ubuntuVM = "node-e2e-abc123-ubuntu"
)

func TestIntegrationGCE(t *testing.T) {
	fake, srv, results, args := gceSetup(t)
	code, stdout, _ := runRunner(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, vm := range []string{debianVM, ubuntuVM} {
		if row := summaryRow(t, stdout, vm); row[1] != "PASS" || row[2] != "1" {
			t.Errorf("%s: %q", vm, row)
		}
		for _, f := range []string{"junit_01.xml", "kubelet.log", "serial-1.log"} {
			if _, err := os.Stat(filepath.Join(results, vm, f)); err != nil {
				t.Errorf("artifact: %v", err)
			}
		}
		for _, step := range []string{"create", "boot", "workspace", "suite", "collect", "cleanup", "delete"} {
			if !strings.Contains(stdout, vm+" "+step) && !strings.Contains(stdout, vm+"  "+step) {
				t.Errorf("%s: no %s progress line", vm, step)
			}
		}
	}
	if live := fake.Live(); len(live) != 0 {
		t.Errorf("instances left: %q", live)
	}
	inserted := map[string]*compute.Instance{}
	for _, inst := range fake.Inserted() {
		inserted[inst.Name] = inst
	}
	pub, _ := os.ReadFile(srv.Key + ".pub")
	deb := inserted[debianVM]
	if deb == nil || inserted[ubuntuVM] == nil {
		t.Fatalf("inserted %v", inserted)
	}
	md := map[string]string{}
	for _, it := range deb.Metadata.Items {
		md[it.Key] = *it.Value
	}
	if deb.Labels[gce.LabelKey] != "20261125-180102-abc123" ||
		deb.Disks[0].InitializeParams.SourceImage != "projects/debian-cloud/global/images/debian-12-bookworm-v20261101" ||
		deb.MachineType != "zones/us-central1-b/machineTypes/e2-standard-2" ||
		md["startup-script"] != "#!/bin/sh\necho booted\n" || md["enable-oslogin"] != "false" ||
		md["ssh-keys"] != "root:"+strings.TrimSpace(string(pub)) {
		t.Errorf("debian instance: labels %v, disk %s, machine %s, metadata %q", deb.Labels, deb.Disks[0].InitializeParams.SourceImage, deb.MachineType, md)
	}
	if got := inserted[ubuntuVM].MachineType; got != "zones/us-central1-b/machineTypes/n2-standard-4" {
		t.Errorf("ubuntu machine type %s", got)
	}
	l, err := gce.ReadLedger(filepath.Join(results, gce.LedgerFile))
	if err != nil || len(l.Instances) != 2 || len(l.Live()) != 0 || l.RunID != "20261125-180102-abc123" || l.Project != "proj" {
		t.Errorf("ledger %+v, %v", l, err)
	}
	// ssh may hash the names in known_hosts (Debian's HashKnownHosts).
	if out, err := exec.Command("ssh-keygen", "-F", "[127.0.0.1]:"+strconv.Itoa(srv.Port), "-f", filepath.Join(results, "known_hosts")).CombinedOutput(); err != nil {
		t.Errorf("the per-run known_hosts lacks the VMs' host key: %v: %s", err, out)
	}
	for _, ws := range workspaces(stdout) {
		expectGone(t, ws)
	}
}

// startRunner runs the runner as a child process (see TestMain).
func startRunner(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	// Its temporary archive goes under TMPDIR: a runner killed outright
	// cannot remove it.
	cmd.Env = append(os.Environ(), "RUNNER_REMOTE_MAIN=1", "TMPDIR="+t.TempDir())
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, &stdout, &stderr
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// awaitFile waits until the file at path contains want.
func awaitFile(t *testing.T, path, want string, timeout time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %q after %s", path, want, timeout)
		}
	}
}

// awaitSuitesRunning waits until the stand-in suite runs on both VMs
// (their streamed ginkgo.log says so).
func awaitSuitesRunning(t *testing.T, results string) {
	t.Helper()
	for _, vm := range []string{debianVM, ubuntuVM} {
		awaitFile(t, filepath.Join(results, vm, "ginkgo.log"), "Will run 1 of 1 specs", 60*time.Second)
	}
}

func waitExit(t *testing.T, cmd *exec.Cmd, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return exitCode(err)
	case <-time.After(timeout):
		t.Fatalf("the runner did not exit within %s", timeout)
		return -1
	}
}

// TestIntegrationGCEInterrupted interrupts a run (SIGINT) while the suites
// run: the suites are stopped on their hosts, artifacts collected,
// workspaces removed, every VM deleted, and the runner exits non-zero.
func TestIntegrationGCEInterrupted(t *testing.T) {
	fake, _, results, args := gceSetup(t)
	cmd, stdout, stderr := startRunner(t, append(args, "--", "--fake-sleep=600")...)
	awaitSuitesRunning(t, results)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	code := waitExit(t, cmd, 60*time.Second)
	t.Logf("exit %d %s after SIGINT\nstdout:\n%s\nstderr:\n%s", code, time.Since(start).Round(100*time.Millisecond), stdout, stderr)
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stderr.String(), "interrupt: stopping the suites") || !strings.Contains(stderr.String(), "the run was interrupted") {
		t.Errorf("stderr does not report the interrupt")
	}
	if live := fake.Live(); len(live) != 0 {
		t.Errorf("instances left after the interrupt: %q", live)
	}
	if d := fake.Deleted(); len(d) != 2 {
		t.Errorf("deleted %q", d)
	}
	for _, vm := range []string{debianVM, ubuntuVM} {
		row := strings.Join(summaryRow(t, stdout.String(), vm), " ")
		if !strings.Contains(row, "FAIL") || !strings.Contains(row, "suite: interrupted") {
			t.Errorf("%s: %q", vm, row)
		}
		// The stand-in writes this file when it gets SIGINT: the suite
		// was stopped on the host, then its files were fetched.
		if _, err := os.Stat(filepath.Join(results, vm, "interrupted")); err != nil {
			t.Errorf("%s: suite not interrupted on the host, or not collected: %v", vm, err)
		}
	}
	ws := workspaces(stdout.String())
	if len(ws) != 2 {
		t.Errorf("workspaces %q", ws)
	}
	for _, w := range ws {
		expectGone(t, w)
		if left := processesMentioning(w); len(left) > 0 {
			t.Errorf("processes left: %q", left)
		}
	}
	if l, err := gce.ReadLedger(filepath.Join(results, gce.LedgerFile)); err != nil || len(l.Live()) != 0 {
		t.Errorf("ledger: %+v, %v", l, err)
	}
}

// TestIntegrationGCEKilledRunIsReaped kills a run outright (SIGKILL: no
// chance to clean up) with its VMs up, then reaps them from its ledger.
func TestIntegrationGCEKilledRunIsReaped(t *testing.T) {
	fake, _, results, args := gceSetup(t)
	cmd, stdout, _ := startRunner(t, append(args, "--test-timeout", "20s", "--", "--fake-sleep=600")...)
	awaitSuitesRunning(t, results)
	cmd.Process.Kill()
	waitExit(t, cmd, 10*time.Second)
	if live := fake.Live(); !reflect.DeepEqual(live, []string{debianVM, ubuntuVM}) {
		t.Fatalf("instances after the kill: %q", live)
	}
	code, out, _ := runRunner(t, "reap", "--results-dir", results)
	if code != exitOK || !strings.Contains(out, "run 20261125-180102-abc123: 2 VMs deleted") {
		t.Errorf("reap: exit %d", code)
	}
	if live := fake.Live(); len(live) != 0 {
		t.Errorf("instances left after reap: %q", live)
	}
	// The suites on the "VMs" outlive the runner and its ssh connections,
	// and end by their own deadline (14s interrupt, 17s kill).
	for _, w := range workspaces(stdout.String()) {
		for deadline := time.Now().Add(40 * time.Second); len(processesMentioning(w)) > 0; time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Errorf("the orphaned suite in %s did not end by its deadline: %q", w, processesMentioning(w))
				break
			}
		}
		if b, err := os.ReadFile(filepath.Join(w, "suite.rc")); err != nil || strings.TrimSpace(string(b)) != "124" {
			t.Errorf("orphaned suite status %q, %v; want 124", b, err)
		}
		os.RemoveAll(w) // what a deleted VM would have taken with it
	}
}

func TestReap(t *testing.T) {
	fake := fakecompute.Start()
	defer fake.Close()
	results := t.TempDir()
	l, err := gce.OpenLedger(filepath.Join(results, gce.LedgerFile), gce.LedgerData{RunID: "run-1", Project: "proj", Zone: "z", Endpoint: fake.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	l.Requested("vm-ledger", "img")
	l.Requested("vm-never-created", "img")
	l.Requested("vm-taken", "img") // its name now held by another run's VM
	fake.Add(&compute.Instance{Name: "vm-ledger", Labels: map[string]string{gce.LabelKey: "run-1"}})
	fake.Add(&compute.Instance{Name: "vm-label-only", Labels: map[string]string{gce.LabelKey: "run-1"}})
	fake.Add(&compute.Instance{Name: "vm-other-run", Labels: map[string]string{gce.LabelKey: "run-2"}})
	fake.Add(&compute.Instance{Name: "vm-taken", Labels: map[string]string{gce.LabelKey: "run-9"}})

	code, stdout, _ := runRunner(t, "reap", "--results-dir", results)
	if code != exitOK || !strings.Contains(stdout, "run run-1: 3 VMs deleted; 1 left alone, not this run's: vm-taken\n") {
		t.Errorf("reap from the ledger: exit %d", code)
	}
	if !regexp.MustCompile(`vm-taken +delete +skipped .*gce: instance vm-taken is not this run's \(labelled node-e2e-run-id=run-9, not node-e2e-run-id=run-1\): left alone`).MatchString(stdout) {
		t.Errorf("reap does not say why it left vm-taken alone")
	}
	if live := fake.Live(); !reflect.DeepEqual(live, []string{"vm-other-run", "vm-taken"}) {
		t.Errorf("left: %q", live)
	}
	d, _ := gce.ReadLedger(filepath.Join(results, gce.LedgerFile))
	if len(d.Live()) != 0 {
		t.Errorf("ledger still lists %q", d.Live())
	}

	// Without a ledger: by label alone.
	code, _, _ = runRunner(t, "reap", "--run-id", "run-2", "--project", "proj", "--zone", "z", "--gce-endpoint", fake.Endpoint())
	if live := fake.Live(); code != exitOK || !reflect.DeepEqual(live, []string{"vm-taken"}) {
		t.Errorf("reap by label: exit %d, left %q", code, live)
	}
	if d := fake.Deleted(); contains(d, "vm-taken") {
		t.Errorf("deleted %q", d)
	}
}
