package maketest

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/node-e2e/harness/internal/shell"
)

// testArgsWords is TEST_ARGS written as shell words, each with the word a
// shell-style split without expansion must give (the runners' --test-args
// grammar, internal/shell.Split). The substitutions would create files in
// canary.
func testArgsWords(canary string) (value string, words []string) {
	c := filepath.Join(canary, "TEST_ARGS")
	pairs := []struct{ raw, word string }{
		{`--kubelet-flags='--v=4 --max-pods=20'`, `--kubelet-flags=--v=4 --max-pods=20`},
		{`--x="a \"b\" \$c \\d \e"`, `--x=a "b" $c \d \e`},
		{`\'e\ f`, `'e f`},
		{`''`, ``},
		{`'; touch ` + c + `-quote '`, `; touch ` + c + `-quote `},
		{`"$(touch ` + c + `-subst)"`, `$(touch ` + c + `-subst)`},
		{"\"`touch " + c + "-backquote`\"", "`touch " + c + "-backquote`"},
		{`$(touch`, `$(touch`},
		{c + `-unquoted)`, c + `-unquoted)`},
		{`'$(shell touch ` + c + `-make)'`, `$(shell touch ` + c + `-make)`},
		{`$$RANDOM${HOME}`, `$$RANDOM${HOME}`},
	}
	var raw []string
	for _, p := range pairs {
		raw = append(raw, p.raw)
		words = append(words, p.word)
	}
	return strings.Join(raw, " \t"), words
}

// remoteFlags maps runner/remote's optional flags to their variables, in
// the order hack/test-e2e-node.sh passes them.
var remoteFlags = []struct{ variable, flag string }{
	{"HOSTS", "hosts"}, {"IMAGES", "images"}, {"IMAGE_PROJECT", "image-project"},
	{"IMAGE_CONFIG_FILE", "image-config-file"}, {"IMAGE_CONFIG_DIR", "image-config-dir"},
	{"PROJECT", "project"}, {"ZONE", "zone"}, {"GCE_ENDPOINT", "gce-endpoint"},
	{"INSTANCE_PREFIX", "instance-name-prefix"}, {"INSTANCE_TYPE", "instance-type"},
	{"INSTANCE_METADATA", "instance-metadata"}, {"SSH_USER", "ssh-user"}, {"SSH_KEY", "ssh-key"},
	{"SSH_OPTIONS", "ssh-options"}, {"KUBELET_CONFIG_FILE", "kubelet-config-file"},
}

// localArgs is what runner/local gets after --out-dir, from vars.
func localArgs(v map[string]string) []string {
	args := []string{
		"--build-dependencies=false",
		"--focus=" + v["FOCUS"], "--skip=" + v["SKIP"], "--label-filter=" + v["LABEL_FILTER"],
		"--parallelism=" + v["PARALLELISM"], "--ginkgo-flags=" + v["GINKGO_FLAGS"], "--test-args=" + v["TEST_ARGS"],
		"--", "--report-dir=" + v["ARTIFACTS"],
	}
	if v["KUBELET_CONFIG_FILE"] != "" {
		args = append(args, "--kubelet-config-file="+v["KUBELET_CONFIG_FILE"])
	}
	if v["CONTAINER_RUNTIME_ENDPOINT"] != "" {
		args = append(args, "--container-runtime-endpoint="+v["CONTAINER_RUNTIME_ENDPOINT"])
	}
	if v["START_SERVICES"] != "" {
		args = append(args, "--start-services="+v["START_SERVICES"])
	}
	if v["START_SERVICES"] == "false" && v["KUBECONFIG"] != "" {
		args = append(args, "--kubeconfig="+v["KUBECONFIG"])
	}
	return args
}

// remoteArgs is `go run ./runner/remote ...`'s arguments, from vars.
func remoteArgs(v map[string]string) []string {
	if v["NODES"] != "" || v["NODE_SELECTOR"] != "" {
		return clusterArgs(v)
	}
	args := []string{
		"run", "./runner/remote", "--bin-dir=" + v["OUT_DIR"], "--results-dir=" + v["ARTIFACTS"],
		"--focus=" + v["FOCUS"], "--skip=" + v["SKIP"], "--label-filter=" + v["LABEL_FILTER"],
		"--parallelism=" + v["PARALLELISM"], "--ginkgo-flags=" + v["GINKGO_FLAGS"], "--test-args=" + v["TEST_ARGS"],
		"--test-timeout=" + v["TIMEOUT"], "--install-deps=" + v["INSTALL_DEPS"], "--cleanup=" + v["CLEANUP"],
		"--delete-instances=" + v["DELETE_INSTANCES"],
	}
	for _, f := range remoteFlags {
		if v[f.variable] != "" {
			args = append(args, "--"+f.flag+"="+v[f.variable])
		}
	}
	if v["CONTAINER_RUNTIME_ENDPOINT"] != "" {
		args = append(args, "--", "--container-runtime-endpoint="+v["CONTAINER_RUNTIME_ENDPOINT"])
	}
	return args
}

// clusterFlags maps runner/remote's cluster-mode flags to their
// variables, in the order hack/test-e2e-node.sh passes them (HOSTS,
// IMAGES and IMAGE_CONFIG_FILE too, for the runner to refuse the mix).
var clusterFlags = []struct{ variable, flag string }{
	{"KUBECONFIG", "kubeconfig"}, {"CONTEXT", "context"}, {"NODES", "nodes"}, {"NODE_SELECTOR", "node-selector"},
	{"REGISTRY", "registry"}, {"REGISTRY_CREDENTIALS_FILE", "registry-credentials-file"}, {"API_SERVER", "api-server"},
	{"REPLICAS_PER_NODE", "replicas-per-node"}, {"SYNC_TIMEOUT", "sync-timeout"}, {"WORKLOAD", "workload"}, {"TTL", "ttl"},
	{"DETACH", "detach"}, {"HOSTS", "hosts"}, {"IMAGES", "images"}, {"IMAGE_CONFIG_FILE", "image-config-file"},
}

// clusterArgs is what runner/remote gets in cluster mode (REMOTE=true
// with NODES or NODE_SELECTOR).
func clusterArgs(v map[string]string) []string {
	args := []string{
		"run", "./runner/remote", "--bin-dir=" + v["OUT_DIR"], "--results-dir=" + v["ARTIFACTS"],
		"--focus=" + v["FOCUS"], "--skip=" + v["SKIP"], "--label-filter=" + v["LABEL_FILTER"],
		"--parallelism=" + v["PARALLELISM"], "--ginkgo-flags=" + v["GINKGO_FLAGS"], "--test-args=" + v["TEST_ARGS"],
		"--test-timeout=" + v["TIMEOUT"],
	}
	for _, f := range clusterFlags {
		if v[f.variable] != "" {
			args = append(args, "--"+f.flag+"="+v[f.variable])
		}
	}
	if v["CONTAINER_RUNTIME_ENDPOINT"] != "" {
		args = append(args, "--", "--container-runtime-endpoint="+v["CONTAINER_RUNTIME_ENDPOINT"])
	}
	return args
}

// TestMakeTestE2ENodeCluster checks cluster mode's command line as the
// issue writes it: REMOTE=true NODES=... REGISTRY=... DETACH=true
// KUBECONFIG=..., the selection variables keeping their meaning.
func TestMakeTestE2ENodeCluster(t *testing.T) {
	s := newStubbedMake(t)
	given := map[string]string{"REMOTE": "true", "NODES": "node-a,node-b", "REGISTRY": "reg.example:5000/e2e", "DETACH": "true",
		"KUBECONFIG": "/k/config", "FOCUS": "Pods", "PARALLELISM": "2", "TIMEOUT": "30m", "REPLICAS_PER_NODE": "3", "ARTIFACTS": "/r"}
	invs, out, err := s.run(t, given, false)
	s.MustHaveRunNothing(t)
	if err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	if len(invs) != 1 || invs[0].Prog != "go" {
		t.Fatalf("ran %+v, want one go run", invs)
	}
	mustEqualArgs(t, "go run ./runner/remote", invs[0].Args, []string{
		"run", "./runner/remote", "--bin-dir=_output/bin", "--results-dir=/r", "--focus=Pods", "--skip=", "--label-filter=",
		"--parallelism=2", "--ginkgo-flags=", "--test-args=", "--test-timeout=30m",
		"--kubeconfig=/k/config", "--nodes=node-a,node-b", "--registry=reg.example:5000/e2e", "--replicas-per-node=3", "--detach=true",
	})
	// Without NODES or NODE_SELECTOR, KUBECONFIG does not make a remote
	// run a cluster run.
	invs, out, err = s.run(t, map[string]string{"REMOTE": "true", "HOSTS": "a=10.0.0.5", "KUBECONFIG": "/k/config", "ARTIFACTS": "/r"}, false)
	if err != nil || len(invs) != 1 || slices.Contains(invs[0].Args, "--kubeconfig=/k/config") || !slices.Contains(invs[0].Args, "--hosts=a=10.0.0.5") {
		t.Errorf("REMOTE=true HOSTS=... KUBECONFIG=...: ran %+v (%v)\n%s", invs, err, out)
	}
}

func mustEqualArgs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("%s received %d arguments, want %d", what, len(got), len(want))
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w || i >= len(got) || i >= len(want) {
			t.Errorf("argument %d:\n got  %q\n want %q", i, g, w)
		}
	}
}

// modes are the ways `make test-e2e-node` runs the suite, as the
// variable that selects each ("" for the local default).
var modes = []struct{ name, variable, value string }{
	{"local", "", ""},
	{"SYSTEMD=sandbox", "SYSTEMD", "sandbox"},
	{"REMOTE=true", "REMOTE", "true"},
}

// defaults are the Makefile's non-empty defaults, but for OUT_DIR and
// ARTIFACTS, which every test sets.
var defaults = map[string]string{"PARALLELISM": "8", "TIMEOUT": "45m", "INSTALL_DEPS": "false", "CLEANUP": "true", "DELETE_INSTANCES": "true"}

// runMode runs make in mode with vars and checks that nothing in them ran
// and that the runner received exactly the arguments they make: each
// value verbatim, as (part of) one argument; and that the runners' split
// of TEST_ARGS (internal/shell.Split) gives testArgs. OUT_DIR and
// ARTIFACTS must be set and absolute.
func runMode(t *testing.T, s *stubbedMake, mode string, given map[string]string, testArgs []string, inEnv bool) {
	t.Helper()
	v := maps.Clone(defaults)
	maps.Copy(v, given)
	if mode == "SYSTEMD=sandbox" {
		s.mustStubIn(t, v["OUT_DIR"], "systemd-sandbox")
	}
	invs, out, err := s.run(t, given, inEnv)
	s.MustHaveRunNothing(t)
	if err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	if len(invs) == 0 {
		t.Fatalf("no runner was run; make's output:\n%s", out)
	}
	if words, err := shell.Split(v["TEST_ARGS"]); err != nil || !slices.Equal(words, testArgs) {
		t.Errorf("the runners split TEST_ARGS into %q (%v), want %q", words, err, testArgs)
	}
	last := invs[len(invs)-1]
	switch mode {
	case "local":
		if len(invs) != 1 || last.Prog != "go" {
			t.Fatalf("ran %+v, want one go run", invs)
		}
		want := append([]string{"run", "./runner/local", "--out-dir=" + v["OUT_DIR"]}, localArgs(v)...)
		mustEqualArgs(t, "go run ./runner/local", last.Args, want)
	case "SYSTEMD=sandbox":
		build := []string{"build", "-trimpath", "-o", filepath.Join(v["OUT_DIR"], "runner-local"), "./runner/local"}
		if !slices.ContainsFunc(invs, func(i invocation) bool { return i.Prog == "go" && slices.Equal(i.Args, build) }) {
			t.Errorf("runner-local was not built with go %q; ran %+v", build, invs)
		}
		if last.Prog != "systemd-sandbox" {
			t.Fatalf("last ran %+v, want systemd-sandbox", last)
		}
		if fi, err := os.Stat(v["ARTIFACTS"]); err != nil || !fi.IsDir() {
			t.Errorf("the report directory to bind was not created: %v", err)
		}
		want := []string{"run", "--bind", s.repo, "--bind", v["ARTIFACTS"], "--",
			filepath.Join(v["OUT_DIR"], "runner-local"), "--out-dir=" + v["OUT_DIR"]}
		mustEqualArgs(t, "systemd-sandbox", last.Args, append(want, localArgs(v)...))
	case "REMOTE=true":
		if len(invs) != 1 || last.Prog != "go" {
			t.Fatalf("ran %+v, want one go run", invs)
		}
		mustEqualArgs(t, "go run ./runner/remote", last.Args, remoteArgs(v))
	}
}

// TestMakeTestE2ENodeValuesAreData gives every variable of `make
// test-e2e-node` at once a value that runs `touch` if a shell or make
// evaluates it (quotes, $(...), backquotes, $(shell ...)), on make's
// command line and in its environment, in each mode, and checks that the
// runner received each value verbatim and that nothing ran.
func TestMakeTestE2ENodeValuesAreData(t *testing.T) {
	for _, mode := range modes {
		for _, inEnv := range []bool{false, true} {
			name := mode.name + "/command-line"
			if inEnv {
				name = mode.name + "/environment"
			}
			t.Run(name, func(t *testing.T) {
				s := newStubbedMake(t)
				vars := map[string]string{}
				for _, v := range makefileVariables(t, s.repo) {
					switch v {
					case "SYSTEMD", "REMOTE": // the mode; bad values: TestMakeTestE2ENodeBadValues
					case "OUT_DIR", "ARTIFACTS": // paths, made absolute by the script: give them absolute
						vars[v] = filepath.Join(s.dir, "dir "+payload(s.canary, v))
					default:
						vars[v] = payload(s.canary, v)
					}
				}
				var testArgs []string
				vars["TEST_ARGS"], testArgs = testArgsWords(s.canary)
				if mode.variable != "" {
					vars[mode.variable] = mode.value
				}
				// Make exports a variable given on its command line, even
				// one it does not know, expanding it.
				vars["NOT_A_MAKEFILE_VARIABLE"] = payload(s.canary, "NOT_A_MAKEFILE_VARIABLE")
				runMode(t, s, mode.name, vars, testArgs, inEnv)
			})
		}
	}
}

// TestMakeTestE2ENodeEachValueAlone does the same with one variable at a
// time, so that one value's quotes cannot hide another's.
func TestMakeTestE2ENodeEachValueAlone(t *testing.T) {
	s := newStubbedMake(t)
	for _, mode := range modes {
		for _, v := range makefileVariables(t, s.repo) {
			if v == "SYSTEMD" || v == "REMOTE" {
				continue
			}
			t.Run(mode.name+"/"+v, func(t *testing.T) {
				s := newStubbedMake(t)
				vars := map[string]string{"OUT_DIR": filepath.Join(s.dir, "out"), "ARTIFACTS": filepath.Join(s.dir, "artifacts")}
				var testArgs []string
				switch v {
				case "OUT_DIR", "ARTIFACTS":
					vars[v] = filepath.Join(s.dir, "dir "+payload(s.canary, v))
				case "TEST_ARGS":
					vars[v], testArgs = testArgsWords(s.canary)
				default:
					vars[v] = payload(s.canary, v)
				}
				if mode.variable != "" {
					vars[mode.variable] = mode.value
				}
				runMode(t, s, mode.name, vars, testArgs, false)
			})
		}
	}
}

// TestMakeTestE2ENodeVariablesCovered checks that the Makefile hands the
// script the variables upstream's `make test-e2e-node` has, so that
// TestMakeTestE2ENodeValuesAreData covers each.
func TestMakeTestE2ENodeVariablesCovered(t *testing.T) {
	s := newStubbedMake(t)
	got := makefileVariables(t, s.repo)
	for _, v := range []string{
		"FOCUS", "SKIP", "LABEL_FILTER", "PARALLELISM", "GINKGO_FLAGS", "TEST_ARGS", "ARTIFACTS",
		"KUBELET_CONFIG_FILE", "CONTAINER_RUNTIME_ENDPOINT", "START_SERVICES", "KUBECONFIG", "OUT_DIR", "SYSTEMD", "REMOTE",
		"HOSTS", "IMAGES", "SSH_OPTIONS", "SSH_USER", "SSH_KEY", "TIMEOUT",
	} {
		if !slices.Contains(got, v) {
			t.Errorf("VARIABLES in the Makefile lacks %s (has %q)", v, got)
		}
	}
}

// TestMakeTestE2ENodeDefaults checks what the runners get when no
// variable is set: upstream's defaults, ARTIFACTS a dated directory
// (expanded by make), and runner/remote's own defaults for the rest.
func TestMakeTestE2ENodeDefaults(t *testing.T) {
	s := newStubbedMake(t)
	invs, out, err := s.run(t, nil, false)
	if err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	if len(invs) != 1 {
		t.Fatalf("ran %+v, want one go run", invs)
	}
	args := invs[0].Args
	var report string
	if i := slices.Index(args, "--"); i >= 0 && i+1 < len(args) {
		report = strings.TrimPrefix(args[i+1], "--report-dir=")
	}
	if !regexp.MustCompile(`^/tmp/_artifacts/\d{6}T\d{6}$`).MatchString(report) {
		t.Fatalf("--report-dir=%q, want /tmp/_artifacts/<yymmddThhmmss>; args %q", report, args)
	}
	want := append([]string{"run", "./runner/local", "--out-dir=_output/bin"},
		localArgs(map[string]string{"PARALLELISM": "8", "ARTIFACTS": report})...)
	mustEqualArgs(t, "go run ./runner/local", args, want)

	invs, out, err = s.run(t, map[string]string{"REMOTE": "true", "HOSTS": "a=10.0.0.5", "ARTIFACTS": "/r"}, false)
	if err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	if len(invs) != 1 {
		t.Fatalf("ran %+v, want one go run", invs)
	}
	mustEqualArgs(t, "go run ./runner/remote", invs[0].Args, remoteArgs(map[string]string{
		"OUT_DIR": "_output/bin", "ARTIFACTS": "/r", "PARALLELISM": "8", "TIMEOUT": "45m",
		"INSTALL_DEPS": "false", "CLEANUP": "true", "DELETE_INSTANCES": "true", "HOSTS": "a=10.0.0.5",
	}))
}

// TestMakeTestE2ENodeBadValues checks that values the script cannot take
// stop make with an error naming the variable, before any runner runs,
// and that nothing in them ran. (Bad quoting in TEST_ARGS and
// GINKGO_FLAGS reaches the runners, which refuse it naming the flag:
// runner/internal/suite's TestSuite, runner/local's TestRunRejectsBadInput,
// runner/remote's TestValidateErrors.)
func TestMakeTestE2ENodeBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars func(canary string) map[string]string
		want string
	}{
		{"SYSTEMD", func(c string) map[string]string {
			return map[string]string{"SYSTEMD": payload(c, "SYSTEMD")}
		}, `want SYSTEMD=sandbox`},
		{"SYSTEMD twice", func(c string) map[string]string {
			return map[string]string{"SYSTEMD": "sandbox sandbox"}
		}, `want SYSTEMD=sandbox`},
		{"REMOTE", func(c string) map[string]string {
			return map[string]string{"REMOTE": payload(c, "REMOTE")}
		}, `want REMOTE=true`},
		{"REMOTE yes", func(c string) map[string]string {
			return map[string]string{"REMOTE": "yes"}
		}, `REMOTE=yes: want REMOTE=true`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStubbedMake(t)
			invs, out, err := s.run(t, tc.vars(s.canary), false)
			if err == nil {
				t.Errorf("make succeeded, want an error")
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("make's output lacks %q:\n%s", tc.want, out)
			}
			for _, inv := range invs {
				if inv.Prog != "go" || (len(inv.Args) > 0 && inv.Args[0] == "run") {
					t.Errorf("a runner ran: %s %q", inv.Prog, inv.Args)
				}
			}
			s.MustHaveRunNothing(t)
		})
	}
}

// TestMakeTestE2ENodeSandboxReportDir checks that SYSTEMD=sandbox, which
// creates ARTIFACTS and binds it into the sandbox read-write, refuses a
// report directory another user could have planted or can change (the
// suite inside would write into it as root), before anything runs.
func TestMakeTestE2ENodeSandboxReportDir(t *testing.T) {
	const nobody = 65534
	for _, tc := range []struct {
		name     string
		needRoot bool
		// plant prepares the report directory in dir and returns it, and a
		// directory that must stay empty.
		plant func(t *testing.T, dir string) (artifacts, victim string)
		want  string
	}{
		{"parent writable by others", false, func(t *testing.T, dir string) (string, string) {
			open := filepath.Join(dir, "open")
			mustMkdir(t, open, 0o777)
			return filepath.Join(open, "artifacts"), open
		}, "is writable by others"},
		{"symlink planted by another user", true, func(t *testing.T, dir string) (string, string) {
			victim := filepath.Join(dir, "victim")
			mustMkdir(t, victim, 0o755)
			link := filepath.Join(dir, "artifacts")
			if err := os.Symlink(victim, link); err != nil {
				t.Fatal(err)
			}
			if err := os.Lchown(link, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return link, victim
		}, "belongs to uid 65534"},
		{"directory of another user", true, func(t *testing.T, dir string) (string, string) {
			planted := filepath.Join(dir, "artifacts")
			mustMkdir(t, planted, 0o755)
			if err := os.Chown(planted, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return planted, planted
		}, "belongs to uid 65534"},
		{"parent of another user", true, func(t *testing.T, dir string) (string, string) {
			theirs := filepath.Join(dir, "theirs")
			mustMkdir(t, theirs, 0o755)
			if err := os.Chown(theirs, nobody, nobody); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(theirs, "artifacts"), theirs
		}, "belongs to uid 65534"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needRoot && os.Geteuid() != 0 {
				t.Skip("needs root to make files of another user")
			}
			s := newStubbedMake(t)
			artifacts, victim := tc.plant(t, s.dir)
			outDir := filepath.Join(s.dir, "out")
			s.mustStubIn(t, outDir, "systemd-sandbox")
			invs, out, err := s.run(t, map[string]string{"SYSTEMD": "sandbox", "OUT_DIR": outDir, "ARTIFACTS": artifacts}, false)
			if err == nil {
				t.Errorf("make succeeded, want a refusal")
			}
			if !strings.Contains(out, "ARTIFACTS="+artifacts) || !strings.Contains(out, tc.want) {
				t.Errorf("make's output lacks ARTIFACTS=%s and %q:\n%s", artifacts, tc.want, out)
			}
			if len(invs) > 0 {
				t.Errorf("ran %+v before refusing", invs)
			}
			if ents, err := os.ReadDir(victim); err != nil || len(ents) > 0 {
				t.Errorf("%s was changed: %v, %v", victim, ents, err)
			}
		})
	}
}

func mustMkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

// TestMakeTestE2ENodeExistingNode checks START_SERVICES=false with
// KUBECONFIG (a node the harness did not start): the kubeconfig reaches
// the suite verbatim, and a KUBECONFIG exported for kubectl reaches it
// only then.
func TestMakeTestE2ENodeExistingNode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start string
		inEnv bool
	}{
		{"START_SERVICES=false, command line", "false", false},
		{"START_SERVICES=false, environment", "false", true},
		{"KUBECONFIG alone is ignored", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStubbedMake(t)
			vars := map[string]string{
				"OUT_DIR":    filepath.Join(s.dir, "out"),
				"ARTIFACTS":  filepath.Join(s.dir, "artifacts"),
				"KUBECONFIG": filepath.Join(s.dir, "kc "+payload(s.canary, "KUBECONFIG")),
			}
			if tc.start != "" {
				vars["START_SERVICES"] = tc.start
			}
			runMode(t, s, "local", vars, nil, tc.inEnv)
		})
	}
}
