package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses shared by the subcommands.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// errUsage reports a bad command line whose message and usage have been
// printed already.
var errUsage = errors.New("usage")

// command is one subcommand.
type command struct {
	name    string
	summary string
	// main parses args (the words after the name), runs the subcommand
	// and returns the exit status.
	main func(args []string, stdout, stderr io.Writer) int
}

// commands returns the subcommands in the order usage lists them.
func commands() []command {
	return []command{
		{"serve", "HTTP server with health, readiness, exec and file endpoints", serveMain},
		{"grpc-health", "gRPC server implementing grpc.health.v1.Health", grpcHealthMain},
		{"tcp", "TCP echo server", tcpMain},
		{"exit", "sleep, then exit with a given status", exitMain},
		{"termination-message", "write a termination message, then exit", terminationMessageMain},
		{"alloc", "allocate and touch memory, then hold it", allocMain},
		{"sleep", "sleep for DURATION (or infinity); exit 0 on SIGTERM", sleepMain},
		{"log", "print numbered lines on a schedule", logMain},
		{"pause", "block until SIGTERM or SIGINT, then exit 0", pauseMain},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args to a subcommand and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stderr)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.main(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "testimage: unknown subcommand %q\n", args[0])
	usage(stderr)
	return exitUsage
}

// usage prints the list of subcommands.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: testimage COMMAND [FLAGS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'testimage COMMAND -h' for a command's flags.")
}

// newFlagSet returns the flag set of subcommand name. Its errors and usage
// (synopsis, then the flags) go to stderr.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: testimage %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs, which takes no positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err // flag printed the error and the usage
	}
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// usageError prints a message about a bad command line and fs's usage, and
// returns errUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "testimage %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

// usageStatus is the exit status for a parse error: 0 when help was asked
// for, exitUsage otherwise.
func usageStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// checkPort rejects a port number outside 0-65535 (0: any free port).
func checkPort(fs *flag.FlagSet, port int) error {
	if port < 0 || port > 65535 {
		return usageError(fs, "--port %d is not in 0-65535", port)
	}
	return nil
}

// signalContext returns a context that ends on SIGTERM or SIGINT.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}
