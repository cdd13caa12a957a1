package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/fakesuite"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

// TestMain lets a test run the runner as a child process (to signal it):
// with RUNNER_REMOTE_MAIN=1 the test binary is the runner.
func TestMain(m *testing.M) {
	if os.Getenv("RUNNER_REMOTE_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// inputs writes a bin dir of stand-ins, an install-deps.sh and an image
// config, and returns the flags that point at them.
func inputs(t *testing.T) (dir string, flags []string) {
	t.Helper()
	dir = t.TempDir()
	if err := fakesuite.WriteBinDir(filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "install-deps.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "images.yaml"), []byte("images:\n  debian:\n    image_family: debian-12\n    project: debian-cloud\n"), 0o644)
	return dir, []string{"--bin-dir", filepath.Join(dir, "bin"), "--install-deps-script", filepath.Join(dir, "install-deps.sh")}
}

func parse(t *testing.T, argv []string, env map[string]string) (plan, error) {
	t.Helper()
	c := newConfig()
	fs := flagSet(&c)
	flags, testArgs := suite.SplitArgs(argv)
	if err := fs.Parse(flags); err != nil {
		return plan{}, err
	}
	return c.validate(testArgs, func(k string) string { return env[k] })
}

func TestValidateErrors(t *testing.T) {
	dir, base := inputs(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"nothing to run on", nil, []string{"nothing to run on: give --hosts, --images or --image-config-file"}},
		{"bad hosts syntax", []string{"--hosts", "a=b=c"}, []string{`--hosts: entry "a=b=c": more than one '='`}},
		{"bad port", []string{"--hosts", "a=10.0.0.1:99999"}, []string{`--hosts: entry "a=10.0.0.1:99999": bad port "99999"`}},
		{"duplicate host", []string{"--hosts", "a=x,a=y"}, []string{`--hosts: entry "a=y": host name "a" given twice`}},
		{"missing binaries", []string{"--hosts", "a", "--bin-dir", "/nonexistent"}, []string{"--bin-dir: /nonexistent lacks e2e_node.test, kubelet, ginkgo, pause, testimage (build the binaries with make build)"}},
		{"missing kubelet config", []string{"--hosts", "a", "--kubelet-config-file", "/nonexistent.yaml"}, []string{"--kubelet-config-file: stat /nonexistent.yaml"}},
		{"missing ssh key", []string{"--hosts", "a", "--ssh-key", "/nonexistent/id"}, []string{"--ssh-key: stat /nonexistent/id"}},
		{"quotes", []string{"--hosts", "a", "--ginkgo-flags", "'x", "--test-args", `"y`, "--ssh-options", `-o "z`},
			[]string{"--ginkgo-flags: unterminated ' quote", "--test-args: unterminated \" quote", "--ssh-options: unterminated \" quote"}},
		{"numbers", []string{"--hosts", "a", "--parallelism", "0", "--test-timeout", "5s", "--copy-timeout", "0", "--max-results-mb", "0", "--max-results-files", "-1"},
			[]string{"--parallelism=0: want 1 or more", "--test-timeout: 5s: want at least 20s", "--copy-timeout: 0s: want more than 0",
				"--max-results-mb: 0: want 1 to 1099511627776", "--max-results-files: -1: want 1 to"}},
		{"timeout beyond the suite step", []string{"--hosts", "a", "--timeout", "45m", "--test-timeout", "45m"},
			[]string{"--timeout: 45m0s: want at most 39m0s, what --test-timeout=45m0s leaves the specs (raise --test-timeout)"}},
		{"two timeouts", []string{"--hosts", "a", "--timeout", "5m", "--ginkgo-flags", "--timeout=6m"},
			[]string{"--timeout=5m0s and a --timeout in --ginkgo-flags: give one"}},
		{"run id", []string{"--hosts", "a", "--run-id", "Bad ID"}, []string{`--run-id: "Bad ID": want 1 to 63 lowercase letters`}},
		{"images without project, zone, image project", []string{"--images", "debian-12"},
			[]string{"--image-project: required with --images", "--project: required to create VMs", "--zone: required to create VMs"}},
		{"image config missing", []string{"--image-config-file", "/nonexistent.yaml", "--project", "p", "--zone", "z"}, []string{"--image-config-file: open /nonexistent.yaml"}},
		{"image config bad", []string{"--image-config-file", "images.yaml", "--image-config-dir", dir, "--instance-metadata", "novalue", "--project", "p", "--zone", "z"},
			[]string{`--image-config-file: ` + filepath.Join(dir, "images.yaml") + `: image "debian": metadata: item "novalue"`}},
		{"prefix", []string{"--images", "x", "--image-project", "p", "--project", "p", "--zone", "z", "--instance-name-prefix", "Bad_"}, []string{`--instance-name-prefix: "Bad_"`}},
		{"name clash", []string{"--hosts", "node-e2e-x-debian=h", "--image-config-file", filepath.Join(dir, "images.yaml"), "--project", "p", "--zone", "z", "--instance-name-prefix", "node-e2e-x"},
			[]string{"--images: VM name node-e2e-x-debian is also a host name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, append(append([]string(nil), base...), tc.args...), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestValidatePlan(t *testing.T) {
	dir, base := inputs(t)
	key := filepath.Join(dir, "id")
	os.WriteFile(key, []byte("private"), 0o600)
	os.WriteFile(key+".pub", []byte("ssh-ed25519 AAAA test@x\n"), 0o644)
	args := append(base,
		"--hosts", "a=10.0.0.1,b=[::1]:2222",
		"--image-config-file", filepath.Join(dir, "images.yaml"), "--images", "ubuntu-2404", "--image-project", "ubuntu-os-cloud",
		"--project", "proj", "--zone", "us-central1-b", "--run-id", "20261125-180102-a1b2c3",
		"--focus", "is Ready and reports", "--label-filter", "NodeConformance && !Slow", "--parallelism", "2",
		"--ginkgo-flags", "--flake-attempts=2 --poll-progress-after='1m'",
		"--test-args", "--kubelet-flags='--v=4 --max-pods=20'",
		"--ssh-user", "prow", "--ssh-key", key, "--ssh-options", "-o StrictHostKeyChecking=no -p 2222",
		"--test-timeout", "20m", "--install-deps",
		"--", "--restart-kubelet")
	p, err := parse(t, args, map[string]string{"ARTIFACTS": "/tmp/artifacts"})
	if err != nil {
		t.Fatal(err)
	}
	if p.resultsDir != "/tmp/artifacts" || p.runID != "20261125-180102-a1b2c3" || p.prefix != "node-e2e-a1b2c3" {
		t.Errorf("results %s, run id %s, prefix %s", p.resultsDir, p.runID, p.prefix)
	}
	if want := []sshcmd.Target{{Name: "a", Address: "10.0.0.1"}, {Name: "b", Address: "::1", Port: 2222}}; !reflect.DeepEqual(p.targets, want) {
		t.Errorf("targets %+v", p.targets)
	}
	var names []string
	for _, s := range p.images {
		names = append(names, s.ShortName+"@"+s.Project)
	}
	if !reflect.DeepEqual(names, []string{"debian@debian-cloud", "ubuntu-2404@ubuntu-os-cloud"}) {
		t.Errorf("images %q", names)
	}
	h := p.host
	if h.Suite.Focus != "is Ready and reports" || h.Suite.LabelFilter != "NodeConformance && !Slow" || h.Suite.Parallelism != 2 || !h.InstallDeps || !h.Cleanup ||
		h.Timeouts.Test != 20*time.Minute || h.Timeouts.Command != 5*time.Minute {
		t.Errorf("host config %+v", h)
	}
	if !reflect.DeepEqual(h.Suite.GinkgoFlags, []string{"--flake-attempts=2", "--poll-progress-after=1m"}) {
		t.Errorf("ginkgo flags %q", h.Suite.GinkgoFlags)
	}
	if !reflect.DeepEqual(h.Suite.TestArgs, []string{"--restart-kubelet", "--kubelet-flags=--v=4 --max-pods=20"}) {
		t.Errorf("test args %q", h.Suite.TestArgs)
	}
	if h.SSH.User != "prow" || h.SSH.Key != key || !reflect.DeepEqual(h.SSH.Options, []string{"-o", "StrictHostKeyChecking=no", "-p", "2222"}) || h.SSH.ConnectTimeout != 30*time.Second {
		t.Errorf("ssh %+v", h.SSH)
	}
	if p.sshPubKey != "ssh-ed25519 AAAA test@x" || p.sshKeysUser != "prow" {
		t.Errorf("ssh-keys metadata %q for %q", p.sshPubKey, p.sshKeysUser)
	}
	if p.gce.Project != "proj" || p.gce.Zone != "us-central1-b" || p.gce.MachineType != "e2-standard-2" || p.gce.RunID != p.runID || !p.deleteVMs {
		t.Errorf("gce %+v", p.gce)
	}
}

func TestValidateDefaults(t *testing.T) {
	_, base := inputs(t)
	p, err := parse(t, append(base, "--hosts", "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{8}-\d{6}-[0-9a-f]{6}$`).MatchString(p.runID) {
		t.Errorf("run id %q", p.runID)
	}
	if p.resultsDir != "/tmp/_artifacts/"+p.runID {
		t.Errorf("results dir %q", p.resultsDir)
	}
	if p.keepArch || p.archive.Path != "" {
		t.Errorf("archive %q kept %v", p.archive.Path, p.keepArch)
	}
	if p.host.Limits != hostrun.DefaultLimits() {
		t.Errorf("results limits %+v, want %+v", p.host.Limits, hostrun.DefaultLimits())
	}
	p, err = parse(t, append(base, "--hosts", "a", "--max-results-mb", "100", "--max-result-file-mb", "10", "--max-results-files", "50"), nil)
	if err != nil || p.host.Limits != (hostrun.Limits{Bytes: 100 << 20, FileBytes: 10 << 20, Entries: 50}) {
		t.Errorf("results limits %+v, %v", p.host.Limits, err)
	}
	p, err = parse(t, append(base, "--build-only"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.keepArch || p.archive.Path != "_output/node-e2e.tar.gz" {
		t.Errorf("build-only archive %q", p.archive.Path)
	}
}

func TestMainUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--hosts", "a=b=c"}, exitUsage, `runner/remote: --hosts: entry "a=b=c"`},
		{[]string{"--no-such-flag"}, exitUsage, "flag provided but not defined: -no-such-flag"},
		{[]string{"--hosts", "a", "stray"}, exitUsage, `unexpected argument "stray" (e2e_node.test flags go after --)`},
		{[]string{"reap"}, exitUsage, "reap: give --run-id or --results-dir"},
		{[]string{"reap", "--run-id", "x"}, exitUsage, "reap: give --project and --zone"},
		{[]string{"reap", "--results-dir", "/nonexistent"}, exitUsage, "reap: --results-dir: open /nonexistent/instances.json"},
	} {
		var stdout, stderr bytes.Buffer
		if code := Main(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("Main(%q) = %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
}

func TestBuildOnly(t *testing.T) {
	_, base := inputs(t)
	out := filepath.Join(t.TempDir(), "a.tar.gz")
	var stdout, stderr bytes.Buffer
	if code := Main(append(base, "--build-only", "--archive", out), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), out+"\t"+strconv.FormatInt(fi.Size(), 10)+" bytes") {
		t.Errorf("stdout %q does not give the path and size", stdout.String())
	}
}
