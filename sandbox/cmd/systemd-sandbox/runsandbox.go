package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/node-e2e/harness/sandbox"
)

// waitDelay bounds how long CMD may take to exit after SIGTERM when the
// command is interrupted.
const waitDelay = 10 * time.Second

// runInSandbox boots the sandbox, runs the command inside and stops it.
func runInSandbox(ctx context.Context, inv invocation, stdin io.Reader, stdout, stderr io.Writer) int {
	if inv.verbose {
		ctx = logr.NewContext(ctx, funcr.New(func(prefix, args string) {
			fmt.Fprintf(stderr, "systemd-sandbox: %s %s\n", prefix, args)
		}, funcr.Options{Verbosity: 1}))
	}
	sb, err := sandbox.Boot(ctx, inv.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "systemd-sandbox: %v\n", err)
		return exitSandbox
	}
	if inv.verbose {
		fmt.Fprintf(stderr, "systemd-sandbox: %s booted in %s (PID 1 is host pid %d)\n", sb.Name(), sb.BootTime().Round(time.Millisecond), sb.PID())
	}
	cmd := sb.Command(ctx, commandLine(inv.command, inv.scope)...)
	cmd.Env = append(cmd.Env, inv.env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.Cancel = func() error { return sandbox.Signal(cmd, syscall.SIGTERM) }
	cmd.WaitDelay = waitDelay
	code := exitCode(cmd.Run(), stderr)
	if err := sb.Stop(); err != nil {
		fmt.Fprintf(stderr, "systemd-sandbox: %v\n", err)
		if code == 0 {
			code = exitSandbox
		}
	}
	if inv.verbose {
		fmt.Fprintf(stderr, "systemd-sandbox: %s stopped in %s\n", sb.Name(), sb.ShutdownTime().Round(time.Millisecond))
	}
	return code
}

// exitCode maps the command's result to an exit code: its own, 128+N
// after signal N, 125 if it could not be run at all.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	fmt.Fprintf(stderr, "systemd-sandbox: run command: %v\n", err)
	return exitSandbox
}
