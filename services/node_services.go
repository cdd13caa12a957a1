package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/node-e2e/harness/internal/proc"
	"github.com/node-e2e/harness/internal/run"
)

// servicesResult is what awaitServices found, and how long the services
// process took to serve everything from its start.
type servicesResult struct {
	st   run.ServicesState
	err  error
	took time.Duration
}

// servicesPoll is how often the harness looks for the services process's
// state files.
const servicesPoll = 20 * time.Millisecond

// startServices starts the services process and returns once its image
// registry serves (Layout.RegistryState), with n.state.Registry set; the
// control plane is still starting (awaitServices waits for it).
func (n *Node) startServices(ctx context.Context) error {
	l := n.cfg.Layout
	cmd := n.cfg.ServicesCommand
	n.services = &proc.Process{Name: "services", Path: cmd[0], Args: cmd[1:], LogPath: l.ServicesLog(), Detach: n.cfg.Keep, StopTimeout: 30 * time.Second}
	if err := n.services.Start(); err != nil {
		return err
	}
	n.state.ServicesPid = n.services.Pid()
	if err := n.saveState(); err != nil {
		return err
	}
	var reg run.RegistryState
	if err := n.awaitServicesFile(ctx, l.RegistryState(), &reg); err != nil {
		return err
	}
	n.state.Registry = &reg
	return n.saveState()
}

// awaitServices waits for the services process to serve everything
// (Layout.ServicesState). It reads n's configuration and process only, so
// it may run beside the runtime's start.
func (n *Node) awaitServices(ctx context.Context) (run.ServicesState, error) {
	var st run.ServicesState
	if err := n.awaitServicesFile(ctx, n.cfg.Layout.ServicesState(), &st); err != nil {
		return st, err
	}
	if st.Registry == nil {
		return st, fmt.Errorf("%s has no image registry", n.cfg.Layout.ServicesState())
	}
	return st, nil
}

// awaitServicesFile waits until the services process has written path and
// reads it into v; it fails if the process exits first or within the
// configured start timeout of the call.
func (n *Node) awaitServicesFile(ctx context.Context, path string, v any) error {
	l := n.cfg.Layout
	ctx, cancel := context.WithTimeoutCause(ctx, n.cfg.StartTimeout, fmt.Errorf("services not ready after %s (--server-start-timeout)", n.cfg.StartTimeout))
	defer cancel()
	err := proc.Await(ctx, servicesPoll, func() (bool, error) {
		select {
		case err := <-n.services.Err():
			return false, err
		default:
		}
		if err := run.ReadJSON(path, v); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return false, nil
			}
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return proc.WithLogTail(err, "log", l.ServicesLog(), 20)
	}
	return nil
}
