package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// logOptions are the flags of log.
type logOptions struct {
	interval time.Duration
	count    int
	stream   string
	message  string
}

func parseLogArgs(args []string, stderr io.Writer) (logOptions, error) {
	var o logOptions
	fs := newFlagSet("log", "[--interval=DURATION] [--count=N] [--stream=stdout|stderr|both] [--message=PREFIX]", stderr)
	fs.DurationVar(&o.interval, "interval", time.Second, "time between lines")
	fs.IntVar(&o.count, "count", 0, "number of lines, then exit 0 (0: for ever)")
	fs.StringVar(&o.stream, "stream", "stdout", "where lines go: stdout, stderr or both (each line to each)")
	fs.StringVar(&o.message, "message", "line", "text before each line's number")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	switch {
	case o.interval < 0:
		return o, usageError(fs, "--interval %v is negative", o.interval)
	case o.count < 0:
		return o, usageError(fs, "--count %d is negative", o.count)
	case o.stream != "stdout" && o.stream != "stderr" && o.stream != "both":
		return o, usageError(fs, "--stream %q: want stdout, stderr or both", o.stream)
	}
	return o, nil
}

func logMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseLogArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	ctx, stop := signalContext()
	defer stop()
	return runLog(ctx, o, stdout, stderr)
}

// runLog prints "PREFIX 1", "PREFIX 2", ... to the streams o names, the
// first at once and the next after each interval, until o.count lines are
// out or ctx ends.
func runLog(ctx context.Context, o logOptions, stdout, stderr io.Writer) int {
	var outs []io.Writer
	if o.stream != "stderr" {
		outs = append(outs, stdout)
	}
	if o.stream != "stdout" {
		outs = append(outs, stderr)
	}
	for i := 1; o.count == 0 || i <= o.count; i++ {
		if i > 1 && wait(ctx, o.interval) != nil {
			break
		}
		for _, w := range outs {
			fmt.Fprintf(w, "%s %d\n", o.message, i)
		}
	}
	return exitOK
}
