package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/host"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
)

// alive reports whether pid runs a process whose command line holds mark.
// A zombie (an exited process not yet reaped, as a killed harness is until
// PID 1 gets to it) has an empty command line and is not alive.
func alive(pid int, mark string) bool {
	return host.CmdlineHolds(pid, mark)
}

// StaleRuns returns the runs under runRoot whose harness process is gone
// although they were not left running on purpose (--stop-services=false):
// what a run killed with SIGKILL, or by a lost machine session, leaves.
// It refuses a run root that is not the user's own, and ignores, saying
// why in ignored, a run directory or node.json that another user could
// have written: stale cleanup acts as root on what it finds there.
func StaleRuns(runRoot string) (stale []NodeState, ignored []string, err error) {
	if _, err := os.Lstat(runRoot); errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err := run.CheckOwnDir(runRoot); err != nil {
		return nil, nil, run.RunRootError(runRoot, err)
	}
	entries, err := os.ReadDir(runRoot)
	if err != nil {
		return nil, nil, fmt.Errorf("look for stale runs in %s: %w", runRoot, err)
	}
	for _, e := range entries {
		dir := filepath.Join(runRoot, e.Name())
		stateFile := run.Layout{Dir: dir}.NodeState()
		if _, err := os.Lstat(stateFile); err != nil {
			continue // not a run directory
		}
		if err := errors.Join(run.CheckPrivatePath(dir, true), run.CheckPrivatePath(stateFile, false)); err != nil {
			ignored = append(ignored, fmt.Sprintf("%s: %v", dir, err))
			continue
		}
		var st NodeState
		if err := run.ReadJSON(stateFile, &st); err != nil {
			ignored = append(ignored, fmt.Sprintf("%s: %v", dir, err))
			continue
		}
		if st.Kept || filepath.Clean(st.Layout.Dir) != dir || alive(st.HarnessPid, "") {
			continue
		}
		stale = append(stale, st)
	}
	return stale, ignored, nil
}

// CleanStaleRuns tears down every stale run under runRoot, saying what it
// found, and what it would not touch and why, through log. It returns the
// run directories it cleaned.
func CleanStaleRuns(log klog.Logger, runRoot string) ([]string, error) {
	stale, ignored, err := StaleRuns(runRoot)
	for _, why := range ignored {
		log.Info("WARNING: not cleaning up a run directory that is not the harness's own; remove it by hand if it is yours", "why", why)
	}
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

// revivedBinary is the containerd that reviveContainerd runs: the one the
// run recorded, or "containerd" on $PATH for a state written before the
// binary was recorded.
func revivedBinary(st NodeState) string {
	if st.ContainerdBinary != "" {
		return st.ContainerdBinary
	}
	return "containerd"
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
	p := &proc.Process{Name: "containerd (revived for cleanup)", Path: revivedBinary(st), Args: []string{"--config", cfgPath}, LogPath: filepath.Join(st.Layout.ContainerdDir(), "revived.log")}
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
