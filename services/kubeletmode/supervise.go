package services

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/proc"
)

// KubeletSupervision says what the kubelet-mode process does when the
// kubelet stops while the run still needs it.
type KubeletSupervision struct {
	// Restart relaunches a kubelet that died (--restart-kubelet). Default
	// false: its death ends kubelet mode with an error naming it.
	Restart bool
	// RestartRequests asks for a controlled restart: stop the kubelet,
	// then launch it again (kubelet mode sends SIGUSR1 here). Honoured
	// whatever Restart says.
	RestartRequests <-chan struct{}
	// MaxCrashes is how many deaths within CrashWindow make a restarting
	// kubelet give up. Default 5 in 1 minute.
	MaxCrashes  int
	CrashWindow time.Duration
	// Backoff is the pause before relaunching a dead kubelet. Default 1s.
	Backoff time.Duration
	// Launched is told about every kubelet launched (to record its pid).
	Launched func(KubeletHandle)
}

func (s KubeletSupervision) withDefaults() KubeletSupervision {
	if s.MaxCrashes == 0 {
		s.MaxCrashes = 5
	}
	if s.CrashWindow == 0 {
		s.CrashWindow = time.Minute
	}
	if s.Backoff == 0 {
		s.Backoff = time.Second
	}
	return s
}

// SuperviseKubelet launches the kubelet and keeps it up until ctx ends, then
// stops it and returns nil. A kubelet that dies is relaunched when
// s.Restart is set (until it crash-loops); otherwise its death is returned.
// A kubelet whose output shows a panic, a fatal runtime error or a data
// race (a *proc.Alarm on its Err) is stopped and the alarm returned,
// whatever s.Restart says.
func SuperviseKubelet(ctx context.Context, launch func() (KubeletHandle, error), s KubeletSupervision) error {
	s = s.withDefaults()
	log := klog.FromContext(ctx)
	var crashes []time.Time
	for launches := 0; ; launches++ {
		h, err := launch()
		if err != nil {
			return err
		}
		if s.Launched != nil {
			s.Launched(h)
		}
		log.Info("kubelet launched", "how", h.Describe(), "launch", launches+1)
		select {
		case <-ctx.Done():
			log.Info("stopping kubelet", "cause", context.Cause(ctx))
			return h.Stop()
		case <-s.RestartRequests:
			log.Info("restart requested: stopping the kubelet, then launching it again")
			if err := h.Stop(); err != nil {
				return fmt.Errorf("kubelet: stop for a requested restart: %w", err)
			}
			continue
		case exit := <-h.Err():
			if proc.IsAlarm(exit) {
				// A panic, a fatal error or a race ends the run,
				// --restart-kubelet or not: a restart would hide it.
				return joinStop(exit, h.Stop())
			}
			exit = exitSummary(exit)
			stopErr := h.Stop()
			if !s.Restart {
				return fmt.Errorf("the kubelet died during the run (pass --restart-kubelet to have it restarted): %w", joinStop(exit, stopErr))
			}
			now := time.Now()
			crashes = append(recent(crashes, now.Add(-s.CrashWindow)), now)
			if len(crashes) >= s.MaxCrashes {
				return fmt.Errorf("the kubelet died %d times within %s, giving up (--restart-kubelet): last exit: %w", len(crashes), s.CrashWindow, joinStop(exit, stopErr))
			}
			log.Info("kubelet died; restarting it (--restart-kubelet)", "exit", exit, "backoff", s.Backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(s.Backoff):
			}
		}
	}
}

// recent returns the times in ts at or after since.
func recent(ts []time.Time, since time.Time) []time.Time {
	out := ts[:0]
	for _, t := range ts {
		if !t.Before(since) {
			out = append(out, t)
		}
	}
	return out
}

// exitSummary shortens a kubelet exit to one line: its log tail is in the
// kubelet log, which the harness shows next to kubelet mode's own.
func exitSummary(err error) error {
	var ee *proc.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s %s (log %s)", ee.Name, ee.State, ee.LogPath)
	}
	return err
}

func joinStop(exit, stop error) error {
	if stop == nil {
		return exit
	}
	return fmt.Errorf("%w (and stopping it: %v)", exit, stop)
}
