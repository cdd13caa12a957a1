package hostrun

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/node-e2e/harness/internal/shell"
	"github.com/node-e2e/harness/runner/remote/internal/archive"
)

// The remote command lines. Each is a POSIX shell command line that sshd
// hands to the login user's shell; every path and argument in it is
// quoted with shell.Quote.

// workspacePrefix starts the name of every workspace the runner creates.
const workspacePrefix = "node-e2e."

// workspaceCommand creates the workspace and prints its path and the
// login user's uid (to know whether commands need sudo).
func workspaceCommand() string {
	return "mktemp -d -t " + workspacePrefix + "XXXXXXXXXX && id -u"
}

// parseWorkspace reads workspaceCommand's output. The path must look like
// what mktemp made, since cleanup will remove it recursively.
func parseWorkspace(out string) (ws string, root bool, err error) {
	lines := strings.Fields(out)
	if len(lines) != 2 {
		return "", false, fmt.Errorf("unexpected output %q", out)
	}
	ws, uid := lines[0], lines[1]
	if !path.IsAbs(ws) || path.Clean(ws) != ws || !strings.HasPrefix(path.Base(ws), workspacePrefix) || path.Dir(ws) == "/" {
		return "", false, fmt.Errorf("unexpected workspace path %q", ws)
	}
	if _, err := strconv.Atoi(uid); err != nil {
		return "", false, fmt.Errorf("unexpected uid %q", uid)
	}
	return ws, uid == "0", nil
}

// asRoot prefixes a command with sudo when the login user is not root.
// sudo -n fails at once instead of prompting for a password.
func asRoot(root bool, args ...string) string {
	if root {
		return shell.Join(args...)
	}
	return "sudo -n " + shell.Join(args...)
}

func uploadCommand(ws string) string {
	return "cat > " + shell.Quote(path.Join(ws, archive.FileName))
}

func unpackCommand(ws string) string {
	a := path.Join(ws, archive.FileName)
	return shell.Join("tar", "-xzf", a, "-C", ws) + " && " + shell.Join("rm", "-f", a)
}

func installCommand(ws string, root bool) string {
	return asRoot(root, path.Join(ws, archive.InstallDeps))
}

// SuiteDeadlines splits the suite step's bound, test, into the deadlines
// that let the suite end by itself and report before the runner gives up
// on it. The host's clock starts later than the runner's (by the time ssh
// takes to connect), so the last margin also covers that. With margin =
// test/10, between 3s and 2m:
//
//	ginkgo's own --timeout      test - 3*margin  (Ginkgo stops, tears down, reports)
//	SIGINT to the suite         test - 2*margin  (from run-suite.sh's watchdog on the host)
//	SIGKILL to the suite        test - margin
//	the runner kills ssh        test
func SuiteDeadlines(test time.Duration) (ginkgo, interrupt, kill time.Duration) {
	margin := min(max(test/10, 3*time.Second), 2*time.Minute)
	return test - 3*margin, test - 2*margin, margin
}

// seconds renders d as whole seconds, at least 1, for shell scripts.
func seconds(d time.Duration) string {
	return strconv.Itoa(max(1, int(d/time.Second)))
}

// GinkgoArgs returns ginkgo's arguments for a suite in workspace ws.
func (c Config) GinkgoArgs(ws string) []string {
	s := c.Suite
	if !s.SetsTimeout() {
		s.Timeout, _, _ = SuiteDeadlines(c.Timeouts.Test)
	}
	runner := []string{"--report-dir=" + path.Join(ws, "results")}
	if c.KubeletConfig {
		runner = append(runner, "--kubelet-config-file="+path.Join(ws, archive.KubeletConfig))
	}
	return s.GinkgoArgs(path.Join(ws, "e2e_node.test"), runner...)
}

// suiteCommand runs the suite through the archive's run-suite.sh.
func (c Config) suiteCommand(ws string, root bool) string {
	_, interrupt, kill := SuiteDeadlines(c.Timeouts.Test)
	args := []string{path.Join(ws, archive.RunScript), "run", seconds(interrupt), seconds(kill)}
	return asRoot(root, append(args, c.GinkgoArgs(ws)...)...)
}

// stopCommand interrupts a running suite and waits up to grace for it.
func stopCommand(ws string, root bool, grace time.Duration) string {
	return asRoot(root, path.Join(ws, archive.RunScript), "stop", seconds(grace))
}

// collectCommand writes the report directory to stdout as a tar.gz.
func collectCommand(ws string, root bool) string {
	results := path.Join(ws, "results")
	return "if [ -d " + shell.Quote(results) + " ]; then " +
		asRoot(root, "tar", "-czf", "-", "-C", results, ".") +
		"; else echo 'no results directory on the host' >&2; exit 3; fi"
}

// cleanupCommand removes the workspace, including root-owned files the
// suite left in it.
func cleanupCommand(ws string, root bool) string {
	return asRoot(root, "rm", "-rf", "--", ws)
}
