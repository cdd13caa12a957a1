package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/cluster"
	"github.com/node-e2e/harness/runner/remote/internal/fakesuite"
	"github.com/node-e2e/harness/runner/remote/internal/hostrun"
)

// clusterInputs writes a bin dir, a busybox stand-in, a kubeconfig and a
// credentials file, and returns the flags that point at them.
func clusterInputs(t *testing.T) (dir string, flags []string) {
	t.Helper()
	dir = t.TempDir()
	if err := fakesuite.WriteBinDir(filepath.Join(dir, "bin")); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"busybox": "", "kubeconfig": "apiVersion: v1\nkind: Config\n", "creds": "u:p\n", "creds-open": "u:p\n", "creds-bad": "nocolon\n"} {
		mode := os.FileMode(0o600)
		if name == "creds-open" {
			mode = 0o644
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, name), mode)
	}
	return dir, []string{"--bin-dir=" + filepath.Join(dir, "bin"), "--busybox=" + filepath.Join(dir, "busybox"), "--kubeconfig=" + filepath.Join(dir, "kubeconfig")}
}

// with is a copy of args with more appended.
func with(args []string, more ...string) []string {
	return append(append([]string(nil), args...), more...)
}

func parseCluster(t *testing.T, argv []string, env map[string]string) (clusterPlan, error) {
	t.Helper()
	c := newClusterConfig()
	var m mixed
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c.addFlags(fs, &m)
	flags, testArgs := suite.SplitArgs(argv)
	if err := fs.Parse(flags); err != nil {
		return clusterPlan{}, err
	}
	return c.validate(testArgs, func(k string) string { return env[k] }, m)
}

func TestClusterValidateErrors(t *testing.T) {
	dir, base := clusterInputs(t)
	ok := with(base, "--nodes=a", "--registry=reg.example:5000")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"hosts mixed in", with(ok, "--hosts=a=10.0.0.5"), "--hosts: SSH and GCE targets cannot be mixed with cluster mode"},
		{"images mixed in", with(ok, "--images=debian"), "--images: SSH and GCE targets cannot be mixed"},
		{"image config mixed in", with(ok, "--image-config-file=x.yaml"), "--image-config-file: SSH and GCE targets"},
		{"no nodes", with(base, "--registry=r"), "--nodes: which nodes?"},
		{"nodes and selector", with(ok, "--node-selector=a=b"), "--nodes: give --nodes or --node-selector, not both"},
		{"empty nodes", with(base, "--nodes=,", "--registry=r"), `--nodes: "," names no node`},
		{"no registry", with(base, "--nodes=a"), "--registry: required"},
		{"registry with scheme", with(base, "--nodes=a", "--registry=http://r:5000"), "--registry: \"http://r:5000\": want HOST[:PORT][/PREFIX]"},
		{"credentials readable by others", with(ok, "--registry-credentials-file="+filepath.Join(dir, "creds-open")), "lets others read the password (chmod 600 it)"},
		{"credentials malformed", with(ok, "--registry-credentials-file="+filepath.Join(dir, "creds-bad")), "want one line user:password"},
		{"credentials missing", with(ok, "--registry-credentials-file="+filepath.Join(dir, "none")), "--registry-credentials-file: stat"},
		{"replicas", with(ok, "--replicas-per-node=0"), "--replicas-per-node: 0: want 1 or more"},
		{"sync timeout", with(ok, "--sync-timeout=0s"), "--sync-timeout: 0s: want more than 0"},
		{"ttl", with(ok, "--ttl=-1h"), "--ttl: -1h0m0s: want 0 or more"},
		{"workload", with(ok, "--workload=daemonset"), `--workload: "daemonset": want job or pod`},
		{"run id", with(ok, "--run-id=Bad_Id"), `--run-id: "Bad_Id": want a DNS label`},
		{"test timeout", with(ok, "--test-timeout=1s"), "--test-timeout: 1s: want at least"},
		{"kubeconfig missing", with(ok, "--kubeconfig="+filepath.Join(dir, "none")), "--kubeconfig: stat"},
		{"bin dir", with(ok, "--bin-dir="+dir), "--bin-dir: " + dir + " lacks e2e_node.test, ginkgo, pause, testimage"},
		{"busybox", with(ok, "--busybox=/nonexistent"), "--busybox: stat /nonexistent"},
		{"selection", with(ok, "--parallelism=0"), "--parallelism=0: want 1 or more"},
		{"succinct", with(ok, "--ginkgo-flags=--succinct"), "--ginkgo-flags: --succinct: cluster mode verifies each suite pod from the counts of Ginkgo's summary"},
		{"succinct single dash", with(ok, "--ginkgo-flags=-v -succinct"), "--ginkgo-flags: -succinct: "},
		{"succinct true", with(ok, "--ginkgo-flags=--succinct=true"), "--ginkgo-flags: --succinct=true: "},
		{"suite cpu request", with(ok, "--suite-cpu-request=lots"), `--suite-cpu-request: "lots": want a positive Kubernetes quantity`},
		{"suite cpu request zero", with(ok, "--suite-cpu-request=0"), `--suite-cpu-request: "0": want a positive`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCluster(t, tc.args, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("validate(%q) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestClusterValidatePlan(t *testing.T) {
	dir, base := clusterInputs(t)
	args := with(base, "--nodes=a, b", "--registry=reg.example:5000/team/e2e", "--registry-credentials-file="+filepath.Join(dir, "creds"),
		"--replicas-per-node=3", "--workload=pod", "--ttl=2h", "--test-timeout=30m", "--detach", "--run-id=r1",
		"--suite-cpu-request=1500m", "--focus=Pods", "--parallelism=2", "--", "--prepull-images=false")
	p, err := parseCluster(t, args, map[string]string{"ARTIFACTS": "/art"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.nodes, []string{"a", "b"}) || !p.detach || p.resultsDir != "/art" {
		t.Errorf("plan: nodes %v detach %v results %s", p.nodes, p.detach, p.resultsDir)
	}
	if p.registry.Host != "reg.example:5000" || p.registry.Prefix != "team/e2e" || p.registry.Username != "u" || p.registry.Password != "p" {
		t.Errorf("registry %+v", p.registry)
	}
	r := p.run
	if r.ID != "r1" || r.ImageRegistry != "reg.example:5000/team/e2e" || r.RegistryCredentials != "u:p" || r.Replicas != 3 ||
		r.Workload != cluster.WorkloadPod || r.TTL != 2*time.Hour || r.Timeout != 30*time.Minute || r.SuiteCPU != "1500m" {
		t.Errorf("run %+v", r)
	}
	// The specs' bound is --test-timeout less the margins, as on SSH hosts.
	g, _, _ := hostrun.SuiteDeadlines(30 * time.Minute)
	if want := []string{"--no-color", "-v", "--procs=2", "--focus=Pods", "--timeout=" + g.String()}; !reflect.DeepEqual(r.GinkgoArgs, want) {
		t.Errorf("ginkgo args %q, want %q", r.GinkgoArgs, want)
	}
	if !reflect.DeepEqual(r.TestArgs, []string{"--prepull-images=false"}) {
		t.Errorf("test args %q", r.TestArgs)
	}
	if r.Selection != `{"focus":"Pods","labelFilter":"","skip":""}` {
		t.Errorf("selection %s", r.Selection)
	}
	// Defaults: a fresh run id, job, 1 replica, 5m barrier, 1h TTL.
	p, err = parseCluster(t, with(base, "--nodes=all", "--registry=r:5000"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.run; r.Workload != cluster.WorkloadJob || r.Replicas != 1 || r.TTL != time.Hour || r.RegistryCredentials != "" || r.SuiteCPU != "100m" ||
		p.syncTimeout != 5*time.Minute || p.resultsDir != "/tmp/_artifacts/"+r.ID || r.Validate() == nil && r.ID == "" {
		t.Errorf("defaults: %+v sync %v results %s", r, p.syncTimeout, p.resultsDir)
	}
}

// TestMainClusterDispatch checks which command line reaches which mode,
// and that bad input exits 2 before any cluster is contacted.
func TestMainClusterDispatch(t *testing.T) {
	dir, base := clusterInputs(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"hosts with nodes", []string{"--hosts=a=10.0.0.5", "--nodes=a", "--registry=r", "--kubeconfig=" + filepath.Join(dir, "kubeconfig")}, exitUsage, "--hosts: SSH and GCE targets cannot be mixed"},
		{"images with kubeconfig", []string{"--images=x", "--kubeconfig=" + filepath.Join(dir, "kubeconfig")}, exitUsage, "--images: SSH and GCE targets"},
		{"ssh-only flag in cluster mode", with(base, "--nodes=a", "--registry=r", "--ssh-key=k"), exitUsage, "flag provided but not defined: -ssh-key"},
		{"attach without run id", []string{"attach", "--kubeconfig=" + filepath.Join(dir, "kubeconfig")}, exitUsage, "attach: --run-id is required"},
		{"cancel without run id", []string{"cancel"}, exitUsage, "cancel: --run-id is required"},
		{"collect with an argument", []string{"collect", "--run-id=x", "extra"}, exitUsage, `collect: unexpected argument "extra"`},
		{"status with a kubeconfig naming no cluster", []string{"status", "--kubeconfig=" + filepath.Join(dir, "kubeconfig")}, exitUsage, "status: --kubeconfig:"},
		{"cluster reap with a kubeconfig naming no cluster", []string{"reap", "--expired", "--kubeconfig=" + filepath.Join(dir, "kubeconfig")}, exitUsage, "reap: --kubeconfig:"},
		{"GCE reap keeps its meaning", []string{"reap", "--run-id=x"}, exitUsage, "reap: give --project and --zone"},
		{"SSH run keeps its meaning", []string{"--bin-dir=" + dir}, exitUsage, "lacks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			start := time.Now()
			code := Main(tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("Main(%q) = %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v, want under 3 s", d)
			}
		})
	}
}

func TestIsClusterRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--hosts=a=b"}, false},
		{[]string{"--focus=x", "--hosts", "a=b"}, false},
		{[]string{"--nodes=all"}, true},
		{[]string{"-kubeconfig", "k"}, true},
		{[]string{"--detach"}, true},
		{[]string{"--node-selector=x=y"}, true},
	} {
		if got := isClusterRun(tc.args); got != tc.want {
			t.Errorf("isClusterRun(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
	if isClusterReap([]string{"--run-id=x", "--results-dir=d"}) || !isClusterReap([]string{"--run-id=x", "--kubeconfig=k"}) || !isClusterReap([]string{"--expired"}) {
		t.Error("isClusterReap: --kubeconfig, --context, --older-than and --expired select the cluster reap, nothing else")
	}
}

func TestPrintCommands(t *testing.T) {
	var b bytes.Buffer
	printCommands(&b, kubeFlags{Kubeconfig: "/k/my config", Context: "c"}, "r1", "/art")
	want := `run r1: detached; the run lives in the cluster:
  go run ./runner/remote attach --kubeconfig='/k/my config' --context=c --run-id=r1 --results-dir=/art
  go run ./runner/remote collect --kubeconfig='/k/my config' --context=c --run-id=r1 --results-dir=/art
  go run ./runner/remote status --kubeconfig='/k/my config' --context=c --run-id=r1
  go run ./runner/remote cancel --kubeconfig='/k/my config' --context=c --run-id=r1
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestSuccinctFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--procs=2", "-v"}, ""},
		{[]string{"--succinct"}, "--succinct"},
		{[]string{"-succinct"}, "-succinct"},
		{[]string{"--succinct=1"}, "--succinct=1"},
		{[]string{"--succinct=false"}, ""},
		{[]string{"--succinct", "--succinct=false"}, ""},
		{[]string{"--succinct=false", "-succinct=T"}, "-succinct=T"},
		{[]string{"--focus=succinct"}, ""},
		{[]string{"--succinctness"}, ""},
	} {
		if got := succinctFlag(tc.args); got != tc.want {
			t.Errorf("succinctFlag(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestSuccinctExitsUsage: the run command refuses --succinct with exit 2
// naming it, before touching any cluster.
func TestSuccinctExitsUsage(t *testing.T) {
	_, base := clusterInputs(t)
	var out, errb bytes.Buffer
	code := clusterRunMain(with(base, "--nodes=a", "--registry=reg.example:5000", "--ginkgo-flags=--succinct"), &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--ginkgo-flags: --succinct:") {
		t.Errorf("exit %d, stderr %q: want %d naming --ginkgo-flags --succinct", code, errb.String(), exitUsage)
	}
}
