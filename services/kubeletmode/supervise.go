package kubeletmode

import (
	"context"
	"fmt"
	"time"

	"k8s.io/klog/v2"

	"github.com/node-e2e/harness/internal/proc"
)

// Supervision says what the kubelet-mode process does when the
// kubelet stops while the run still needs it.
type Supervision struct {
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
	Launched func(Handle)
}

func (s Supervision) withDefaults() Supervision {
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

// Supervise launches the kubelet and keeps it up until ctx ends, then
// stops it and returns nil. A kubelet that dies is relaunched when
// s.Restart is set (until it crash-loops); otherwise its death is returned.
// A kubelet whose output shows a panic, a fatal runtime error or a data
// race (a *proc.Alarm on its Err) is stopped and the alarm returned,
// whatever s.Restart says.
func Supervise(ctx context.Context, launch func() (Handle, error), s Supervision) error {
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
			exit = proc.ExitSummary(exit)
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

func joinStop(exit, stop error) error {
	if stop == nil {
		return exit
	}
	return fmt.Errorf("%w (and stopping it: %v)", exit, stop)
}

// Handle is a running kubelet, however it was launched.
type Handle interface {
	// Err delivers one error if the kubelet stops by itself.
	Err() <-chan error
	// Stop stops the kubelet and waits until it has exited.
	Stop() error
	// Describe says how to inspect and stop it by hand.
	Describe() string
	// Pid is the kubelet's process id, or 0 when it is not known.
	Pid() int
}
