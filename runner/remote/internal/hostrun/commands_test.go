package hostrun

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSuiteDeadlines(t *testing.T) {
	for _, tc := range []struct {
		test, ginkgo, interrupt, kill time.Duration
	}{
		{45 * time.Minute, 39 * time.Minute, 41 * time.Minute, 2 * time.Minute},
		{10 * time.Minute, 7 * time.Minute, 8 * time.Minute, time.Minute},
		{20 * time.Second, 11 * time.Second, 14 * time.Second, 3 * time.Second},
		{10 * time.Second, time.Second, 4 * time.Second, 3 * time.Second},
		{5 * time.Hour, 4*time.Hour + 54*time.Minute, 4*time.Hour + 56*time.Minute, 2 * time.Minute},
	} {
		g, i, k := SuiteDeadlines(tc.test)
		if g != tc.ginkgo || i != tc.interrupt || k != tc.kill {
			t.Errorf("SuiteDeadlines(%s) = %s, %s, %s; want %s, %s, %s", tc.test, g, i, k, tc.ginkgo, tc.interrupt, tc.kill)
		}
		if !(g < i && i+k < tc.test) {
			t.Errorf("SuiteDeadlines(%s): deadlines out of order", tc.test)
		}
	}
}

// TestGinkgoArgs checks what runner/remote adds to the selection's command
// line (runner/internal/suite's TestSuite covers the rest).
func TestGinkgoArgs(t *testing.T) {
	base := NewConfig()
	base.Timeouts.Test = 10 * time.Minute
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want []string
	}{{
		name: "defaults",
		mod:  func(*Config) {},
		want: []string{"--no-color", "-v", "--timeout=7m0s", "/tmp/node-e2e.X/e2e_node.test", "--", "--report-dir=/tmp/node-e2e.X/results"},
	}, {
		name: "kubelet config before the user's test flags",
		mod: func(c *Config) {
			c.Suite.TestArgs = []string{"--kubelet-flags=--v=4 --max-pods=20"}
			c.KubeletConfig = true
		},
		want: []string{"--no-color", "-v", "--timeout=7m0s", "/tmp/node-e2e.X/e2e_node.test", "--", "--report-dir=/tmp/node-e2e.X/results",
			"--kubelet-config-file=/tmp/node-e2e.X/kubelet-config.yaml", "--kubelet-flags=--v=4 --max-pods=20"},
	}, {
		name: "user's --timeout",
		mod:  func(c *Config) { c.Suite.Timeout = 5 * time.Minute },
		want: []string{"--no-color", "-v", "--timeout=5m0s", "/tmp/node-e2e.X/e2e_node.test", "--", "--report-dir=/tmp/node-e2e.X/results"},
	}, {
		name: "user's own ginkgo timeout",
		mod:  func(c *Config) { c.Suite.GinkgoFlags = []string{"--timeout", "5m"} },
		want: []string{"--no-color", "-v", "--timeout", "5m", "/tmp/node-e2e.X/e2e_node.test", "--", "--report-dir=/tmp/node-e2e.X/results"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			if got := c.GinkgoArgs("/tmp/node-e2e.X"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("GinkgoArgs =\n %q\nwant\n %q", got, tc.want)
			}
		})
	}
}

// shellWords runs a command line through sh with every command replaced
// by printf, returning the words the shell passed.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `printargs() { printf '%s\0' "$@"; }; set -- `+line+`; printargs "$@"`).Output()
	if err != nil {
		t.Fatalf("sh: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

func TestSuiteCommandQuoting(t *testing.T) {
	c := NewConfig()
	c.Timeouts.Test = 20 * time.Second
	c.Suite.Focus = `it's "quoted" $(touch /tmp/pwned) and ;|&`
	c.Suite.Skip = `\[Serial\]|Disruptive`
	c.Suite.LabelFilter = "NodeConformance && !(Slow || Flaky)"
	c.Suite.TestArgs = []string{"--kubelet-flags=--v=4 --node-labels=a=b"}
	ws := "/tmp/node-e2e.AbC123"
	for _, root := range []bool{true, false} {
		got := shellWords(t, c.suiteCommand(ws, root))
		want := append([]string{ws + "/run-suite.sh", "run", "14", "3"}, c.GinkgoArgs(ws)...)
		if !root {
			want = append([]string{"sudo", "-n"}, want...)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("root=%v: the shell split the suite command into\n %q\nwant\n %q", root, got, want)
		}
	}
}

func TestCommands(t *testing.T) {
	ws := "/tmp/node-e2e.AbC123"
	for _, tc := range []struct{ got, want string }{
		{workspaceCommand(), "mktemp -d -t node-e2e.XXXXXXXXXX && id -u"},
		{uploadCommand(ws), "cat > /tmp/node-e2e.AbC123/node-e2e.tar.gz"},
		{unpackCommand(ws), "tar -xzf /tmp/node-e2e.AbC123/node-e2e.tar.gz -C /tmp/node-e2e.AbC123 && rm -f /tmp/node-e2e.AbC123/node-e2e.tar.gz"},
		{installCommand(ws, true), "/tmp/node-e2e.AbC123/install-deps.sh"},
		{installCommand(ws, false), "sudo -n /tmp/node-e2e.AbC123/install-deps.sh"},
		{stopCommand(ws, false, 150*time.Second), "sudo -n /tmp/node-e2e.AbC123/run-suite.sh stop 150"},
		{collectCommand(ws, true), "if [ -d /tmp/node-e2e.AbC123/results ]; then tar -czf - -C /tmp/node-e2e.AbC123/results .; else echo 'no results directory on the host' >&2; exit 3; fi"},
		{cleanupCommand(ws, false), "sudo -n rm -rf -- /tmp/node-e2e.AbC123"},
		{cleanupCommand("/tmp/node-e2e.a b", true), "rm -rf -- '/tmp/node-e2e.a b'"},
	} {
		if tc.got != tc.want {
			t.Errorf("got  %s\nwant %s", tc.got, tc.want)
		}
	}
}

func TestParseWorkspace(t *testing.T) {
	for _, tc := range []struct {
		out     string
		ws      string
		root    bool
		wantErr bool
	}{
		{out: "/tmp/node-e2e.AbC123\n0\n", ws: "/tmp/node-e2e.AbC123", root: true},
		{out: "/var/tmp/node-e2e.x\n1000\n", ws: "/var/tmp/node-e2e.x", root: false},
		{out: "/tmp/node-e2e.x\n", wantErr: true},
		{out: "/\n0\n", wantErr: true},
		{out: "/node-e2e.x\n0\n", wantErr: true},
		{out: "/tmp/other\n0\n", wantErr: true},
		{out: "tmp/node-e2e.x\n0\n", wantErr: true},
		{out: "/tmp/../node-e2e.x\n0\n", wantErr: true},
		{out: "/tmp/node-e2e.x\nroot\n", wantErr: true},
		{out: "Welcome!\n/tmp/node-e2e.x\n0\n", wantErr: true},
	} {
		ws, root, err := parseWorkspace(tc.out)
		if (err != nil) != tc.wantErr || ws != tc.ws || root != tc.root {
			t.Errorf("parseWorkspace(%q) = %q, %v, %v", tc.out, ws, root, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := NewConfig()
	good.Archive, good.ResultsDir = "a.tar.gz", "/tmp/r"
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no archive", func(c *Config) { c.Archive = "" }, "no archive"},
		{"no results dir", func(c *Config) { c.ResultsDir = "" }, "no results directory"},
		{"parallelism", func(c *Config) { c.Suite.Parallelism = 0 }, "parallelism 0"},
		{"copy timeout", func(c *Config) { c.Timeouts.Copy = 0 }, "copy timeout 0s"},
		{"short test timeout", func(c *Config) { c.Timeouts.Test = 15 * time.Second }, "test timeout 15s: want at least 20s"},
	} {
		c := good
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want %q", tc.name, err, tc.want)
		}
	}
}
