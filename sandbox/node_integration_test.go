package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIntegrationNodeUnderSystemd runs the real harness inside a booted
// systemd, once per cgroup driver: e2e_node.test must detect systemd,
// launch the kubelet with systemd-run in a transient unit, pass its specs
// and leave no unit behind.
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
			// Under the repository, which the sandbox shares with the host.
			report, err := os.MkdirTemp(filepath.Join(repo, "_output"), "sandbox-report-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(report) })
			cfg := NewConfig()
			cfg.Binds = []Bind{{Source: repo}} // Target defaults to Source
			sb := MustBoot(t, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			start := time.Now()
			out, err := sb.Command(ctx, suite, "--ginkgo.focus=is Ready and reports|runs a pod to completion", "--ginkgo.no-color",
				"--cgroup-driver="+driver, "--report-dir="+report).CombinedOutput()
			t.Logf("suite inside systemd (%s driver) took %s", driver, time.Since(start).Round(time.Millisecond))
			if err != nil {
				t.Fatalf("suite inside the sandbox: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "2 Passed") {
				t.Errorf("want 2 specs passed:\n%s", out)
			}
			mode, err := os.ReadFile(filepath.Join(report, "kubelet-mode.log"))
			if err != nil || !strings.Contains(string(mode), "systemd unit node-e2e-kubelet-") {
				t.Errorf("the kubelet was not launched through systemd-run (kubelet-mode.log: %v)\n%s", err, mode)
			}
			if journal, err := os.ReadFile(filepath.Join(report, "kubelet.log")); err != nil || len(journal) == 0 {
				t.Errorf("the kubelet's journal was not copied into the report: %v", err)
			}
			for _, pattern := range []string{"node-e2e-kubelet-*", "kubepods*"} {
				units := MustRun(t, sb, "systemctl", "list-units", "--all", "--no-legend", "--plain", pattern)
				if strings.TrimSpace(units) != "" {
					t.Errorf("units left after teardown: %s", units)
				}
			}
		})
	}
}
