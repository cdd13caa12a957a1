package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
)

// alive reports whether pid runs a process whose command line holds mark.
// A zombie (an exited process not yet reaped, as a killed harness is until
// PID 1 gets to it) has an empty command line and is not alive.
func alive(pid int, mark string) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && len(b) > 0 && strings.Contains(string(b), mark)
}

// StaleRuns returns the runs under runRoot whose harness process is gone
// although they were not left running on purpose (--stop-services=false):
// what a run killed with SIGKILL, or by a lost machine session, leaves.
func StaleRuns(runRoot string) ([]NodeState, error) {
	entries, err := os.ReadDir(runRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("look for stale runs in %s: %w", runRoot, err)
	}
	var out []NodeState
	for _, e := range entries {
		dir := filepath.Join(runRoot, e.Name())
		var st NodeState
		if !e.IsDir() || run.ReadJSON(filepath.Join(dir, "node.json"), &st) != nil {
			continue
		}
		if st.Kept || filepath.Clean(st.Layout.Dir) != dir || alive(st.HarnessPid, "") {
			continue
		}
		out = append(out, st)
	}
	return out, nil
}

// CleanStaleRuns tears down every stale run under runRoot, saying what it
// found through log, and returns the run directories it cleaned.
func CleanStaleRuns(log klog.Logger, runRoot string) ([]string, error) {
	stale, err := StaleRuns(runRoot)
	if err != nil {
		return nil, err
	}
	var cleaned []string
	var errs []error
	for _, st := range stale {
		log.Info("found a run whose harness is gone; cleaning it up", "runDir", st.Layout.Dir, "harnessPid", st.HarnessPid, "started", st.Started.Format(time.RFC3339))
		if err := TeardownFromState(st.Layout.Dir); err != nil {
			errs = append(errs, err)
			continue
		}
		cleaned = append(cleaned, st.Layout.Dir)
	}
	return cleaned, errors.Join(errs...)
}

// reviveContainerd starts the run's containerd again from its config when
// it is gone, so that the pods it left can be removed through CRI. It
// returns nil when there is nothing to revive.
func reviveContainerd(ctx context.Context, st NodeState) (*proc.Process, error) {
	if !st.OwnRuntime || alive(st.ContainerdPid, st.Layout.Dir) {
		return nil, nil
	}
	cfgPath := filepath.Join(st.Layout.ContainerdDir(), "config.toml")
	if _, err := os.Stat(cfgPath); err != nil {
		return nil, nil
	}
	p := &proc.Process{Name: "containerd (revived for cleanup)", Path: "containerd", Args: []string{"--config", cfgPath}, LogPath: filepath.Join(st.Layout.ContainerdDir(), "revived.log")}
	if err := p.Start(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := proc.Await(ctx, 100*time.Millisecond, func() (bool, error) {
		if p.Exited() {
			return false, p.ExitError(nil)
		}
		return CRIReady(ctx, st.RuntimeEndpoint) == nil, nil
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("revive containerd to clean up %s: %w", st.Layout.Dir, err), p.Stop())
	}
	return p, nil
}
