package kubeletmode

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/node-e2e/harness/internal/host"
	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
	"github.com/node-e2e/harness/internal/systemd"
	"github.com/node-e2e/harness/services"
)

// StartDirect runs the kubelet as a child in its own process group,
// with a parent-death signal and its output in logPath.
func StartDirect(cfg services.KubeletConfig, logPath string) (Handle, error) {
	p := &proc.Process{Name: "kubelet", Path: cfg.Binary, Args: cfg.Args(), LogPath: logPath, StopTimeout: 20 * time.Second}
	if err := p.Start(); err != nil {
		return nil, err
	}
	if cfg.Cgroup != "" {
		points, err := host.CgroupMountPoints()
		if err == nil {
			_, err = services.JoinCgroup(points, cfg.Cgroup, p.Pid())
		}
		if err != nil {
			_ = p.Stop()
			return nil, fmt.Errorf("kubelet: run in its system cgroup: %w", err)
		}
	}
	return &directKubelet{p: p}, nil
}

type directKubelet struct{ p *proc.Process }

func (d *directKubelet) Err() <-chan error { return d.p.Err() }
func (d *directKubelet) Stop() error       { return d.p.Stop() }
func (d *directKubelet) Pid() int          { return d.p.Pid() }
func (d *directKubelet) Describe() string {
	return fmt.Sprintf("kubelet: pid %d, log %s", d.p.Pid(), d.p.LogPath)
}

// systemdKubelet is a kubelet in a transient systemd unit.
type systemdKubelet struct {
	unit    string
	logPath string
	errCh   chan error
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once
	stopErr error
}

// StartSystemd starts the kubelet with systemd-run in a transient
// unit named unit. Its journal is copied to logPath when it stops.
func StartSystemd(ctx context.Context, cfg services.KubeletConfig, unit, logPath string) (Handle, error) {
	args := SystemdRunArgs(unit, append([]string{cfg.Binary}, cfg.Args()...))
	if out, err := exec.CommandContext(ctx, "systemd-run", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("kubelet: systemd-run %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	k := &systemdKubelet{unit: unit, logPath: logPath, errCh: make(chan error, 1)}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	k.cancel = cancel
	k.wg.Add(1)
	go k.watch(wctx)
	return k, nil
}

func (k *systemdKubelet) watch(ctx context.Context) {
	defer k.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		switch st := systemd.UnitState(ctx, k.unit); st {
		case "failed", "inactive":
			if ctx.Err() != nil {
				return
			}
			k.copyJournal()
			k.errCh <- proc.WithLogTail(fmt.Errorf("kubelet unit %s is %s (journalctl -u %s)", k.unit, st, k.unit), "journal", k.logPath, 20)
			return
		}
	}
}

func (k *systemdKubelet) copyJournal() {
	_ = run.WriteFile(k.logPath, systemd.Journal(k.unit, 0), 0o600)
}

func (k *systemdKubelet) Err() <-chan error { return k.errCh }

// Pid is the unit's main process, as systemd reports it.
func (k *systemdKubelet) Pid() int {
	out, _ := exec.Command("systemctl", "show", "--property=MainPID", "--value", k.unit).Output()
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return pid
}

func (k *systemdKubelet) Describe() string {
	return fmt.Sprintf("kubelet: systemd unit %s (systemctl status %s; journalctl -u %s; systemctl stop %s)", k.unit, k.unit, k.unit, k.unit)
}

// Stop stops the unit with systemctl stop, waits, and copies its journal.
func (k *systemdKubelet) Stop() error {
	k.once.Do(func() {
		k.cancel()
		k.wg.Wait()
		if err := systemd.Stop(k.unit); err != nil {
			k.stopErr = fmt.Errorf("kubelet: %w", err)
		}
		k.copyJournal()
	})
	return k.stopErr
}

// SystemdRunArgs returns the systemd-run arguments that start command in a
// transient service unit named unit, with delegated cgroups, that systemd
// forgets once it has stopped.
func SystemdRunArgs(unit string, command []string) []string {
	args := []string{
		"--unit=" + unit,
		"--description=node e2e kubelet (" + unit + ")",
		"--collect",
		"--property=Delegate=yes",
		// The unit's own cgroup is the kubelet's system cgroup
		// (kubeletCgroups): account its CPU and memory there, as a
		// production kubelet.service is.
		"--property=CPUAccounting=yes",
		"--property=MemoryAccounting=yes",
		"--property=Restart=no",
		"--property=KillMode=control-group",
		"--property=TimeoutStopSec=30",
		"--",
	}
	return append(args, command...)
}
