package e2e_node

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/node-e2e/harness/internal/run"
)

// privateDirPrefix names the directory that holds the shared suite info
// when the run has no run directory.
const privateDirPrefix = "node-e2e-suite-"

// shareSuiteInfo writes info, which may hold the registry's password and a
// bearer token, to a new 0600 file for the other Ginkgo processes, and
// returns its path: inside the run directory (0700) when there is one,
// else in a new private directory.
func shareSuiteInfo(info suiteInfo) (string, error) {
	dir := info.RunDir
	if dir == "" {
		d, err := os.MkdirTemp("", privateDirPrefix)
		if err != nil {
			return "", fmt.Errorf("share suite info: %w", err)
		}
		dir = d
	}
	f, err := os.CreateTemp(dir, "suite-*.json")
	if err != nil {
		return "", fmt.Errorf("share suite info: %w", err)
	}
	f.Close()
	if err := run.WriteJSON(f.Name(), info); err != nil {
		return "", fmt.Errorf("share suite info: %w", err)
	}
	return f.Name(), nil
}

// readSuiteInfo reads what shareSuiteInfo wrote, refusing a file another
// user could have written.
func readSuiteInfo(path string) (suiteInfo, error) {
	var info suiteInfo
	if err := run.CheckPrivatePath(path, false); err != nil {
		return info, fmt.Errorf("suite info from process 1: %w", err)
	}
	if err := run.ReadJSON(path, &info); err != nil {
		return info, fmt.Errorf("suite info from process 1: %w", err)
	}
	return info, nil
}

// removeSuiteInfo removes the shared file, and the private directory
// shareSuiteInfo made for it.
func removeSuiteInfo(path string) {
	if path == "" {
		return
	}
	_ = os.Remove(path)
	if dir := filepath.Dir(path); strings.HasPrefix(filepath.Base(dir), privateDirPrefix) {
		_ = os.Remove(dir)
	}
}

var warnUnverifiedOnce sync.Once

// hostTLS is how the suite checks the API server of --host: against
// --host-ca-file when given, otherwise not at all, which it says once.
func hostTLS(info suiteInfo) rest.TLSClientConfig {
	if info.HostCAFile != "" {
		return rest.TLSClientConfig{CAFile: info.HostCAFile}
	}
	warnUnverifiedOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "WARNING: the API server at --host=%s is not verified: give --host-ca-file to verify it\n", info.Host)
	})
	return rest.TLSClientConfig{Insecure: true}
}
