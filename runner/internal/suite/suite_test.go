package suite

import (
	"flag"
	"reflect"
	"strings"
	"testing"
)

// TestSuite parses each case's flags as both runners do, then checks the
// selection's ginkgo command line, or the error naming the flag.
func TestSuite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		argv   []string // the runner's argv: its flags, then "--" and test flags
		runner []string // e2e_node.test flags the runner sets
		want   []string
		err    string
	}{{
		name: "defaults",
		want: []string{"--no-color", "-v", "--procs=8", "out/e2e_node.test", "--"},
	}, {
		name: "everything, quoting kept",
		argv: []string{"--parallelism=2", "--focus=Pods runs", `--skip=\[Slow\]`, "--label-filter=NodeConformance && !Serial",
			"--ginkgo-flags=--flake-attempts=2 --poll-progress-after='1m'", "--test-args=--node-name=n1 --kubelet-flags='--v=4 --max-pods=20'",
			"--timeout=90m", "--", "--restart-kubelet", "--kubelet-flags=--v=2"},
		runner: []string{"--report-dir=/r"},
		want: []string{"--no-color", "-v", "--procs=2", "--focus=Pods runs", `--skip=\[Slow\]`, "--label-filter=NodeConformance && !Serial",
			"--timeout=1h30m0s", "--flake-attempts=2", "--poll-progress-after=1m", "out/e2e_node.test", "--",
			"--report-dir=/r", "--restart-kubelet", "--kubelet-flags=--v=2", "--node-name=n1", "--kubelet-flags=--v=4 --max-pods=20"},
	}, {
		name: "the user's own timeout in ginkgo flags",
		argv: []string{"--ginkgo-flags=-timeout 5m"},
		want: []string{"--no-color", "-v", "--procs=8", "-timeout", "5m", "out/e2e_node.test", "--"},
	}, {
		name: "nothing in the values is expanded",
		argv: []string{"--ginkgo-flags=\"$(touch x)\" `y` $HOME", "--test-args=--a=\\$b"},
		want: []string{"--no-color", "-v", "--procs=8", "$(touch x)", "`y`", "$HOME", "out/e2e_node.test", "--", "--a=$b"},
	}, {
		name: "parallelism 0",
		argv: []string{"--parallelism=0"},
		err:  "--parallelism=0: want 1 or more",
	}, {
		name: "negative timeout",
		argv: []string{"--timeout=-1s"},
		err:  "--timeout=-1s: want 0",
	}, {
		name: "two timeouts",
		argv: []string{"--timeout=1h", "--ginkgo-flags=--timeout=2h"},
		err:  "--timeout=1h0m0s and a --timeout in --ginkgo-flags: give one",
	}, {
		name: "unterminated quote in ginkgo flags",
		argv: []string{"--ginkgo-flags=--focus='x"},
		err:  "--ginkgo-flags: unterminated ' quote",
	}, {
		name: "trailing backslash in test args",
		argv: []string{`--test-args=--a=x \`},
		err:  "--test-args: trailing backslash",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewConfig()
			fs := flag.NewFlagSet("runner", flag.ContinueOnError)
			c.AddFlags(fs)
			flags, testArgs := SplitArgs(tc.argv)
			if err := fs.Parse(flags); err != nil {
				t.Fatal(err)
			}
			s, err := c.Selection(testArgs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Selection() error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Selection(): %v", err)
			}
			if got := s.GinkgoArgs("out/e2e_node.test", tc.runner...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("GinkgoArgs() =\n  %q\nwant\n  %q", got, tc.want)
			}
			if got, want := s.SetsTimeout(), c.Timeout > 0 || strings.Contains(strings.Join(tc.argv, " "), "timeout"); got != want {
				t.Errorf("SetsTimeout() = %v, want %v", got, want)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	f, a := SplitArgs([]string{"--focus=x", "--", "--a", "--", "b"})
	if !reflect.DeepEqual(f, []string{"--focus=x"}) || !reflect.DeepEqual(a, []string{"--a", "--", "b"}) {
		t.Errorf("SplitArgs = %q, %q", f, a)
	}
	if f, a := SplitArgs([]string{"--focus=x"}); len(f) != 1 || a != nil {
		t.Errorf("SplitArgs without -- = %q, %q", f, a)
	}
}
