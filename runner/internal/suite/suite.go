package suite

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/shell"
)

// Config is the selection as the user typed it.
type Config struct {
	// Focus, Skip and LabelFilter select specs (ginkgo --focus, --skip,
	// --label-filter), passed through unchanged. Default none.
	Focus, Skip, LabelFilter string
	// Parallelism is ginkgo's --procs; 1 runs serially. Default 8: most
	// specs wait on the kubelet, not on a CPU, and the full suite is
	// fastest at 8 processes even on 2 cores (bench/RESULTS.md).
	Parallelism int
	// GinkgoFlags are extra ginkgo flags, split shell-style without
	// expansion (internal/shell.Split). Default none.
	GinkgoFlags string
	// TestArgs are extra e2e_node.test flags, split like GinkgoFlags and
	// put after the ones given after "--". Default none.
	TestArgs string
	// Timeout is ginkgo's --timeout, the bound on the specs. Default 0:
	// the runner's choice (ginkgo's own 1h for runner/local; for
	// runner/remote, --test-timeout less margins).
	Timeout time.Duration
}

// NewConfig returns a Config with the defaults filled in.
func NewConfig() Config {
	return Config{Parallelism: 8}
}

// AddFlags binds c's fields to flags in fs, with c's values as defaults.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Focus, "focus", c.Focus, "run only specs matching this regular expression")
	fs.StringVar(&c.Skip, "skip", c.Skip, "skip specs matching this regular expression")
	fs.StringVar(&c.LabelFilter, "label-filter", c.LabelFilter, "ginkgo label filter, e.g. 'NodeConformance && !Slow'")
	fs.IntVar(&c.Parallelism, "parallelism", c.Parallelism, "number of parallel ginkgo processes (per host for runner/remote)")
	fs.StringVar(&c.GinkgoFlags, "ginkgo-flags", c.GinkgoFlags, "extra ginkgo flags (shell-style quoting, nothing expanded)")
	fs.StringVar(&c.TestArgs, "test-args", c.TestArgs, "extra e2e_node.test flags (shell-style quoting, nothing expanded), after those given after --")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "bound on the specs (ginkgo --timeout); 0: ginkgo's 1h here, --test-timeout less margins on remote hosts")
}

// Selection is a validated Config, ready for the command line.
type Selection struct {
	Focus, Skip, LabelFilter string
	Parallelism              int
	// GinkgoFlags are the extra ginkgo flags, one per element.
	GinkgoFlags []string
	// TestArgs are the e2e_node.test flags given after "--", then the
	// words of Config.TestArgs.
	TestArgs []string
	// Timeout is ginkgo's --timeout; 0 sets none.
	Timeout time.Duration
}

// Selection checks c and returns the selection; testArgs are the
// e2e_node.test flags given after "--". Each error names its flag.
func (c Config) Selection(testArgs []string) (Selection, error) {
	var errs []error
	s := Selection{Focus: c.Focus, Skip: c.Skip, LabelFilter: c.LabelFilter, Parallelism: c.Parallelism, Timeout: c.Timeout}
	if c.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("--parallelism=%d: want 1 or more", c.Parallelism))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("--timeout=%s: want 0 (the default) or more", c.Timeout))
	}
	var err error
	if s.GinkgoFlags, err = shell.Split(c.GinkgoFlags); err != nil {
		errs = append(errs, fmt.Errorf("--ginkgo-flags: %w (quote it as a POSIX shell would)", err))
	}
	extra, err := shell.Split(c.TestArgs)
	if err != nil {
		errs = append(errs, fmt.Errorf("--test-args: %w (quote it as a POSIX shell would)", err))
	}
	if c.Timeout > 0 && HasFlag(s.GinkgoFlags, "timeout") {
		errs = append(errs, fmt.Errorf("--timeout=%s and a --timeout in --ginkgo-flags: give one", c.Timeout))
	}
	s.TestArgs = append(append([]string(nil), testArgs...), extra...)
	if len(errs) > 0 {
		return Selection{}, errors.Join(errs...)
	}
	return s, nil
}

// SetsTimeout reports whether the user bounded the specs, with --timeout
// or in --ginkgo-flags.
func (s Selection) SetsTimeout() bool {
	return s.Timeout > 0 || HasFlag(s.GinkgoFlags, "timeout")
}

// GinkgoArgs returns ginkgo's command line (without the ginkgo binary) to
// run testBinary; runnerArgs are e2e_node.test flags the runner sets,
// put before the user's.
func (s Selection) GinkgoArgs(testBinary string, runnerArgs ...string) []string {
	args := []string{"--no-color", "-v"}
	if s.Parallelism > 1 {
		args = append(args, "--procs="+strconv.Itoa(s.Parallelism))
	}
	if s.Focus != "" {
		args = append(args, "--focus="+s.Focus)
	}
	if s.Skip != "" {
		args = append(args, "--skip="+s.Skip)
	}
	if s.LabelFilter != "" {
		args = append(args, "--label-filter="+s.LabelFilter)
	}
	if s.Timeout > 0 {
		args = append(args, "--timeout="+s.Timeout.String())
	}
	args = append(args, s.GinkgoFlags...)
	args = append(args, testBinary, "--")
	args = append(args, runnerArgs...)
	return append(args, s.TestArgs...)
}

// HasFlag reports whether args set the flag name (-name or --name, with or
// without =value).
func HasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// SplitArgs separates a runner's own flags from the e2e_node.test flags
// after the first "--".
func SplitArgs(argv []string) (flags, testArgs []string) {
	for i, a := range argv {
		if a == "--" {
			return argv[:i], argv[i+1:]
		}
	}
	return argv, nil
}
