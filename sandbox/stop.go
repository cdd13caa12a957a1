package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"
)

// Stop powers the sandbox off (`systemctl poweroff` inside; SIGKILL of PID
// 1, which takes every process of the sandbox with it, if that fails or
// takes longer than Config.StopTimeout), waits for PID 1 to be reaped, and
// removes the sandbox's cgroups, deepest first. Its mounts live only in its
// mount namespace and go with it. Stop is idempotent, safe on a nil
// Sandbox, and returns an error only if something could not be removed.
func (s *Sandbox) Stop() error {
	if s == nil {
		return nil
	}
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Sandbox) stop() error {
	start := time.Now()
	s.mu.Lock()
	s.stopping = true
	s.mu.Unlock()
	var errs []error
	if s.cmd != nil {
		if err := s.powerOff(); err != nil {
			errs = append(errs, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), cgroupTimeout)
	defer cancel()
	if err := removeCgroups(ctx, s.cgroups); err != nil {
		errs = append(errs, err)
	}
	if s.con != nil {
		s.con.close(consoleDrain)
	}
	s.mu.Lock()
	s.shutdownTime = time.Since(start)
	s.mu.Unlock()
	s.log.V(1).Info("sandbox stopped", "shutdownTime", s.shutdownTime)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sandbox %s: stop: %w", s.cfg.Name, err)
	}
	return nil
}

// powerOff ends PID 1 and waits until it has been reaped.
func (s *Sandbox) powerOff() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.StopTimeout)
	defer cancel()
	out, err := s.Command(ctx, "systemctl", "poweroff", "--no-block").CombinedOutput()
	if err != nil {
		s.log.V(1).Info("systemctl poweroff failed; killing PID 1", "err", err, "output", strings.TrimSpace(string(out)))
	} else {
		select {
		case <-s.done:
			return nil
		case <-ctx.Done():
			s.log.Info("PID 1 did not power off in time; killing it", "timeout", s.cfg.StopTimeout)
		}
	}
	_ = syscall.Kill(s.pid, syscall.SIGKILL)
	select {
	case <-s.done:
		return nil
	case <-time.After(killTimeout):
		return fmt.Errorf("PID 1 (host pid %d) still alive %s after SIGKILL", s.pid, killTimeout)
	}
}
