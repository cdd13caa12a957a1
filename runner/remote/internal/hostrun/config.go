package hostrun

import (
	"errors"
	"fmt"
	"time"

	"github.com/node-e2e/harness/runner/internal/suite"
	"github.com/node-e2e/harness/runner/remote/internal/sshcmd"
)

// Timeouts bound the steps. Every remote step has one.
type Timeouts struct {
	// Command bounds the short steps: workspace, unpack, stop and cleanup.
	// Default 5m.
	Command time.Duration
	// Copy bounds copying the archive to the host. Default 15m.
	Copy time.Duration
	// Install bounds install-deps.sh. Default 20m.
	Install time.Duration
	// Test bounds the suite step, from its start to the last byte of its
	// output. Default 45m; at least MinTestTimeout.
	Test time.Duration
	// Collect bounds fetching the report directory. Default 10m.
	Collect time.Duration
}

// Config says how to run the suite on a host.
type Config struct {
	// SSH says how to invoke ssh.
	SSH sshcmd.Client
	// Archive is the local test archive (see package archive). Required.
	Archive string
	// ResultsDir receives each host's artifacts in <ResultsDir>/<host>.
	// Required.
	ResultsDir string
	// Suite selects the specs; its TestArgs go after the flags the runner
	// sets (--report-dir, --kubelet-config-file), and without a timeout of
	// the user's, ginkgo's --timeout is carved out of Timeouts.Test (see
	// SuiteDeadlines). Default: parallelism 1, nothing else.
	Suite suite.Selection
	// KubeletConfig says the archive holds a kubelet configuration file,
	// to pass as --kubelet-config-file. Default false.
	KubeletConfig bool
	// InstallDeps runs the archive's install-deps.sh before the suite.
	// Default false.
	InstallDeps bool
	// Cleanup removes the workspace at the end. Default true.
	Cleanup bool
	// Timeouts bound the steps.
	Timeouts Timeouts
	// Limits bound the results fetched from the host. Default
	// DefaultLimits(): 2 GiB in all, 1 GiB per file, 20,000 entries.
	Limits Limits
}

// NewConfig returns a Config with the defaults filled in.
func NewConfig() Config {
	return Config{
		Suite:   suite.Selection{Parallelism: 1},
		Cleanup: true,
		Timeouts: Timeouts{
			Command: 5 * time.Minute,
			Copy:    15 * time.Minute,
			Install: 20 * time.Minute,
			Test:    45 * time.Minute,
			Collect: 10 * time.Minute,
		},
		Limits: DefaultLimits(),
	}
}

// MinTestTimeout is the shortest Timeouts.Test accepted: the suite's own
// deadlines are carved out of it (see SuiteDeadlines).
const MinTestTimeout = 20 * time.Second

// Validate checks c without touching anything.
func (c Config) Validate() error {
	var errs []error
	if c.Archive == "" {
		errs = append(errs, errors.New("no archive"))
	}
	if c.ResultsDir == "" {
		errs = append(errs, errors.New("no results directory"))
	}
	if c.Suite.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("parallelism %d: want 1 or more", c.Suite.Parallelism))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"command", c.Timeouts.Command}, {"copy", c.Timeouts.Copy}, {"install", c.Timeouts.Install},
		{"test", c.Timeouts.Test}, {"collect", c.Timeouts.Collect},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s timeout %s: want more than 0", d.name, d.v))
		}
	}
	if c.Timeouts.Test > 0 && c.Timeouts.Test < MinTestTimeout {
		errs = append(errs, fmt.Errorf("test timeout %s: want at least %s", c.Timeouts.Test, MinTestTimeout))
	}
	if c.Limits.Bytes <= 0 || c.Limits.FileBytes <= 0 || c.Limits.Entries <= 0 {
		errs = append(errs, fmt.Errorf("results limits %+v: want each more than 0", c.Limits))
	}
	return errors.Join(errs...)
}
