package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/node-e2e/harness/sandbox"
)

func main() {
	if sandbox.IsReexec(os.Args) {
		// Only reached on failure: RunReexec executes systemd or nsenter.
		fmt.Fprintln(os.Stderr, sandbox.RunReexec(os.Args))
		os.Exit(exitSandbox)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	cancel()
	os.Exit(code)
}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	inv, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "systemd-sandbox: %v\n\n%s", err, usage)
		return exitUsage
	}
	if inv.help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	return runInSandbox(ctx, inv, stdin, stdout, stderr)
}
