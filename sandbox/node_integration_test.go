package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestIntegrationNodeUnderSystemd runs the real harness inside a booted
// systemd, once per cgroup driver. e2e_node.test must detect systemd and
// launch the kubelet with systemd-run in a transient unit of its own. Each
// driver gets runs back to back in one sandbox:
//
//  1. --stop-services=false: the first five specs pass, the unit (and, under the
//     systemd driver, the kubepods slices) stay up, the instructions name
//     the unit and how to inspect and stop it; then --teardown removes it
//     all and copies the kubelet's journal into the report;
//  2. a plain run: another unit name, the specs pass (under the systemd
//     driver, those reading pod cgroups too), nothing is left;
//  3. (once) a node that never gets Ready: the error quotes the journal.
func TestIntegrationNodeUnderSystemd(t *testing.T) {
	skipUnlessIntegration(t)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	suite := filepath.Join(repo, "_output", "bin", "e2e_node.test")
	if _, err := os.Stat(suite); err != nil {
		t.Skipf("integration test: needs the built suite (hack/build.sh): %v", err)
	}
	for _, driver := range []string{"cgroupfs", "systemd"} {
		t.Run(driver, func(t *testing.T) {
			cfg := NewConfig()
			cfg.Binds = []Bind{{Source: repo}} // Target defaults to Source
			sb := MustBoot(t, cfg)
			n := nodeRunner{t: t, sb: sb, suite: suite, repo: repo, driver: driver}

			// 1. Left running, then torn down.
			kept := n.run(foundationSpecs, "--stop-services=false")
			kept.mustPass(5)
			for _, want := range []string{
				"systemd unit " + kept.unit,
				"journalctl -u " + kept.unit,
				"systemctl stop " + kept.unit,
				"--teardown=" + kept.runDir,
			} {
				if !strings.Contains(kept.out, want) {
					t.Errorf("the --stop-services=false instructions lack %q:\n%s", want, kept.out)
				}
			}
			if st := strings.TrimSpace(MustRunAllowFail(t, sb, "systemctl", "is-active", kept.unit)); st != "active" {
				t.Errorf("after a --stop-services=false run, unit %s is %q, want active", kept.unit, st)
			}
			units := n.units()
			if driver == "systemd" {
				if !strings.Contains(units, "kubepods.slice") || !strings.Contains(units, "kubepods-besteffort.slice") {
					t.Errorf("under the systemd driver, the kubelet's kubepods slices are missing:\n%s", units)
				}
				if !strings.Contains(kept.out, "cgroups:     slice ") {
					t.Errorf("the instructions do not name the cgroup root's slice:\n%s", kept.out)
				}
			}
			t.Logf("units while the node is kept:\n%s", units)
			start := time.Now()
			out := MustRun(t, sb, suite, "--teardown="+kept.runDir)
			t.Logf("--teardown took %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
			n.mustBeClean(kept)
			if journal, err := os.ReadFile(filepath.Join(kept.report, "kubelet.log")); err != nil || !strings.Contains(string(journal), "node e2e kubelet") {
				t.Errorf("the kubelet's journal was not copied into the report at teardown (%v):\n%.2000s", err, journal)
			}

			// 2. A plain run right after: its own unit, nothing left. Under
			// the systemd driver, with the specs that read pod cgroups,
			// which must find them in the kubepods slices.
			focus, specs := "is Ready and reports", 1
			if driver == "systemd" {
				focus, specs = focus+"|"+cgroupSpecs, 7
			}
			plain := n.run(focus)
			plain.mustPass(specs)
			if plain.unit == kept.unit {
				t.Errorf("two runs used the same unit name %s", plain.unit)
			}
			n.mustBeClean(plain)
			if journal, err := os.ReadFile(filepath.Join(plain.report, "kubelet.log")); err != nil || len(journal) == 0 {
				t.Errorf("the kubelet's journal was not copied into the report: %v", err)
			}

			// 3. A node that never gets Ready: the error quotes the
			// kubelet's journal, read while the unit still runs.
			if driver != "cgroupfs" {
				return // once is enough
			}
			failed, err := n.tryRun("is Ready and reports", "--kubelet-flags=--register-node=false", "--server-start-timeout=8s")
			if err == nil {
				t.Fatalf("a node that never registers: the run succeeded:\n%s", failed.out)
			}
			for _, want := range []string{"not Ready after 8s", "kubelet journal: journalctl -u " + failed.unit, "kubelet.go"} {
				if !strings.Contains(failed.out, want) {
					t.Errorf("a node that never registers: the error lacks %q:\n%s", want, failed.out)
				}
			}
			n.mustBeClean(failed)
		})
	}
}

// nodeRunner runs e2e_node.test inside a sandbox.
type nodeRunner struct {
	t      *testing.T
	sb     *Sandbox
	suite  string
	repo   string
	driver string
}

// nodeRun is one run of the suite and what it said about itself.
type nodeRun struct {
	t      *testing.T
	out    string
	report string // on the host and inside (under the shared repository)
	runDir string // inside the sandbox
	unit   string // the kubelet's unit
}

// foundationSpecs focuses the first five specs: Node Ready, a pod to
// completion with its logs, exec in a running pod, a deleted pod's
// containers gone from the runtime, a static pod's mirror.
const foundationSpecs = "is Ready and reports|runs a pod to completion|executes commands in it|removes the pod's containers and sandbox|get a mirror pod"

// cgroupSpecs focuses the six specs that read pod cgroup files.
const cgroupSpecs = "QoS classes and pod cgroups|PID limits|In-place resource resize"

var (
	runDirRE = regexp.MustCompile(`bringing up node \S+ in (\S+) `)
	unitRE   = regexp.MustCompile(`systemd unit (node-e2e-kubelet-[0-9a-f]+)`)
)

// run runs the specs matching focus with extra flags and fails the test
// unless the run succeeds and its kubelet ran in a systemd unit.
func (n nodeRunner) run(focus string, extra ...string) nodeRun {
	n.t.Helper()
	r, err := n.tryRun(focus, extra...)
	if err != nil {
		n.t.Fatalf("e2e_node.test inside the sandbox: %v\n%s", err, r.out)
	}
	return r
}

// tryRun is run for a run that may fail: it returns the suite's error.
func (n nodeRunner) tryRun(focus string, extra ...string) (nodeRun, error) {
	t := n.t
	t.Helper()
	report, err := os.MkdirTemp(filepath.Join(n.repo, "_output"), "sandbox-report-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(report) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"--ginkgo.focus=" + focus, "--ginkgo.no-color", "--cgroup-driver=" + n.driver, "--report-dir=" + report}, extra...)
	start := time.Now()
	out, runErr := n.sb.Command(ctx, append([]string{n.suite}, args...)...).CombinedOutput()
	t.Logf("e2e_node.test %s inside systemd took %s", strings.Join(extra, " "), time.Since(start).Round(time.Millisecond))
	r := nodeRun{t: t, out: string(out), report: report}
	if m := runDirRE.FindStringSubmatch(r.out); m != nil {
		r.runDir = m[1]
	} else {
		t.Fatalf("the run did not say where its run directory is:\n%s", out)
	}
	mode, err := os.ReadFile(filepath.Join(report, "kubelet-mode.log"))
	m := unitRE.FindSubmatch(mode)
	if err != nil || m == nil {
		t.Fatalf("the kubelet was not launched through systemd-run (kubelet-mode.log: %v)\n%s", err, mode)
	}
	r.unit = string(m[1])
	return r, runErr
}

func (r nodeRun) mustPass(specs int) {
	r.t.Helper()
	if !strings.Contains(r.out, fmt.Sprintf("SUCCESS! -- %d Passed", specs)) {
		r.t.Errorf("want %d specs passed:\n%s", specs, r.out)
	}
}

// units lists the units a run may create: the kubelet's, the slice of its
// cgroup root and the kubepods slices under it.
func (n nodeRunner) units() string {
	return MustRun(n.t, n.sb, "systemctl", "list-units", "--all", "--no-legend", "--plain", "node-e2e-*", "node_e2e_*", "*kubepods*")
}

// mustBeClean checks that nothing of run r is left inside the sandbox: no
// unit, no slice, no run directory, no cgroup.
func (n nodeRunner) mustBeClean(r nodeRun) {
	t := n.t
	t.Helper()
	if units := strings.TrimSpace(n.units()); units != "" {
		t.Errorf("units left after the run:\n%s", units)
	}
	if out := MustRunAllowFail(t, n.sb, "ls", "-d", r.runDir); !strings.Contains(out, "No such file") {
		t.Errorf("run directory left: %s", out)
	}
	if out := strings.TrimSpace(MustRunAllowFail(t, n.sb, "sh", "-c", "ls -d /sys/fs/cgroup/*/node[-_]e2e* 2>/dev/null; true")); out != "" {
		t.Errorf("cgroups left after the run:\n%s", out)
	}
}

// TestIntegrationMakeSystemdSandbox runs the README's command for the
// systemd path on a host without systemd: make test-e2e-node
// SYSTEMD=sandbox. The report lands in ARTIFACTS on the host and names the
// kubelet's unit; a SYSTEMD value the Makefile does not know is refused.
func TestIntegrationMakeSystemdSandbox(t *testing.T) {
	skipUnlessIntegration(t)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skipf("integration test: needs make: %v", err)
	}
	artifacts := filepath.Join(t.TempDir(), "artifacts") // make creates it
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "make", "-C", repo, "test-e2e-node", "SYSTEMD=sandbox",
		"FOCUS=is Ready and reports", "PARALLELISM=1", "ARTIFACTS="+artifacts).CombinedOutput()
	t.Logf("make test-e2e-node SYSTEMD=sandbox took %s", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("make test-e2e-node SYSTEMD=sandbox: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS! -- 1 Passed") {
		t.Errorf("want 1 spec passed:\n%s", out)
	}
	mode, err := os.ReadFile(filepath.Join(artifacts, "kubelet-mode.log"))
	if err != nil || !unitRE.Match(mode) {
		t.Errorf("the kubelet was not launched through systemd-run (kubelet-mode.log in ARTIFACTS: %v)\n%s", err, mode)
	}
	if _, err := os.Stat(filepath.Join(artifacts, "junit_01.xml")); err != nil {
		t.Errorf("no JUnit report in ARTIFACTS: %v", err)
	}

	out, err = exec.CommandContext(ctx, "make", "-C", repo, "test-e2e-node", "SYSTEMD=vm").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "SYSTEMD=vm: want SYSTEMD=sandbox") {
		t.Errorf("make test-e2e-node SYSTEMD=vm: want a refusal naming the variable, got %v:\n%s", err, out)
	}
}
