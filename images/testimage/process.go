package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// forever is the duration "infinity" stands for.
const forever = time.Duration(math.MaxInt64)

// parseWait reads a duration for sleep and alloc --hold: a Go duration
// ("1m30s"), a number of seconds ("5", "0.5", as sleep(1) takes), or
// "infinity" (forever). Negative durations are rejected.
func parseWait(s string) (time.Duration, error) {
	if s == "infinity" {
		return forever, nil
	}
	spec := s
	if spec != "" && strings.Trim(spec, "0123456789.") == "" {
		spec += "s"
	}
	d, err := time.ParseDuration(spec)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want e.g. 30s, 5 (seconds) or infinity", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: negative", s)
	}
	return d, nil
}

// waitFlag is a flag.Value holding a parseWait duration.
type waitFlag time.Duration

func (w *waitFlag) String() string {
	if time.Duration(*w) == forever {
		return "infinity"
	}
	return time.Duration(*w).String()
}

func (w *waitFlag) Set(s string) error {
	d, err := parseWait(s)
	if err != nil {
		return err
	}
	*w = waitFlag(d)
	return nil
}

// wait returns nil after d, or ctx's error if ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	if d == forever {
		<-ctx.Done()
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exitOptions are the flags of exit.
type exitOptions struct {
	code  int
	delay time.Duration
}

func parseExitArgs(args []string, stderr io.Writer) (exitOptions, error) {
	var o exitOptions
	fs := newFlagSet("exit", "[--code=N] [--delay=DURATION]", stderr)
	fs.IntVar(&o.code, "code", 0, "exit status, 0-255")
	fs.DurationVar(&o.delay, "delay", 0, "how long to sleep before exiting")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if err := checkCode(fs, o.code); err != nil {
		return o, err
	}
	if o.delay < 0 {
		return o, usageError(fs, "--delay %v is negative", o.delay)
	}
	return o, nil
}

// checkCode rejects an exit status the kernel would truncate.
func checkCode(fs *flag.FlagSet, code int) error {
	if code < 0 || code > 255 {
		return usageError(fs, "--code %d is not in 0-255", code)
	}
	return nil
}

// exitMain sleeps, then exits with the status asked for. It installs no
// signal handler: a signal during the delay acts as it would on any Go
// program.
func exitMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseExitArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	return runExit(context.Background(), o, stdout)
}

func runExit(ctx context.Context, o exitOptions, stdout io.Writer) int {
	if err := wait(ctx, o.delay); err != nil {
		return exitFailure
	}
	fmt.Fprintf(stdout, "exit: exiting with code %d\n", o.code)
	return o.code
}

// terminationMessageOptions are the flags of termination-message.
type terminationMessageOptions struct {
	path    string
	message string
	code    int
}

func parseTerminationMessageArgs(args []string, stderr io.Writer) (terminationMessageOptions, error) {
	var o terminationMessageOptions
	fs := newFlagSet("termination-message", "[--path=FILE] --message=TEXT [--code=N]", stderr)
	fs.StringVar(&o.path, "path", "/dev/termination-log", "file to write the message to (the container's terminationMessagePath)")
	fs.StringVar(&o.message, "message", "", "the termination message")
	fs.IntVar(&o.code, "code", 0, "exit status, 0-255")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	if o.path == "" {
		return o, usageError(fs, "--path is empty")
	}
	return o, checkCode(fs, o.code)
}

func terminationMessageMain(args []string, _, stderr io.Writer) int {
	o, err := parseTerminationMessageArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	return runTerminationMessage(o, stderr)
}

// runTerminationMessage writes the message and returns the status asked
// for, or exitFailure if the message could not be written.
func runTerminationMessage(o terminationMessageOptions, stderr io.Writer) int {
	if err := os.WriteFile(o.path, []byte(o.message), 0o644); err != nil {
		fmt.Fprintf(stderr, "testimage termination-message: %v\n", err)
		return exitFailure
	}
	return o.code
}

// parseSleepArgs reads sleep's one positional argument.
func parseSleepArgs(args []string, stderr io.Writer) (time.Duration, error) {
	fs := newFlagSet("sleep", "DURATION|infinity", stderr)
	if err := fs.Parse(args); err != nil {
		return 0, err
	}
	if fs.NArg() != 1 {
		return 0, usageError(fs, "want one DURATION, got %d arguments", fs.NArg())
	}
	d, err := parseWait(fs.Arg(0))
	if err != nil {
		return 0, usageError(fs, "%v", err)
	}
	return d, nil
}

func sleepMain(args []string, _, stderr io.Writer) int {
	d, err := parseSleepArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	ctx, stop := signalContext()
	defer stop()
	_ = wait(ctx, d) // a signal ends the sleep early, and successfully
	return exitOK
}

func pauseMain(args []string, _, stderr io.Writer) int {
	fs := newFlagSet("pause", "", stderr)
	if err := parseFlags(fs, args); err != nil {
		return usageStatus(err)
	}
	ctx, stop := signalContext()
	defer stop()
	<-ctx.Done()
	fmt.Fprintf(stderr, "pause: %v, exiting\n", context.Cause(ctx))
	return exitOK
}
