// Command pause is the sandbox process of the harness's pod sandbox image
// (images.PauseName). It holds a pod's namespaces open by doing nothing:
// it blocks until SIGINT or SIGTERM and then exits 0.
//
// When the pod shares its PID namespace, pause is PID 1 of that namespace, so
// orphaned processes are re-parented to it; it reaps them on SIGCHLD so that
// no zombies pile up.
//
// Build it statically:
//
//	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o pause ./images/pause
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pause: not running as PID 1; zombies of other processes are not reaped here")
	}
	// A child may have exited before Notify was installed.
	reap()
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintf(os.Stderr, "pause: got %v, exiting\n", sig)
		os.Exit(0)
	}
}

// reap collects every child that has exited. SIGCHLD signals coalesce, so
// one signal may stand for several dead children: loop until none is left.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
