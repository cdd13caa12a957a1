package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// sizeSuffixes are the multipliers parseSize accepts, as in Kubernetes
// quantities: decimal k, M, G, T and binary Ki, Mi, Gi, Ti.
var sizeSuffixes = map[string]int64{
	"":   1,
	"k":  1e3,
	"M":  1e6,
	"G":  1e9,
	"T":  1e12,
	"Ki": 1 << 10,
	"Mi": 1 << 20,
	"Gi": 1 << 30,
	"Ti": 1 << 40,
}

// parseSize reads a byte count: an integer with an optional suffix from
// sizeSuffixes ("64Mi", "100M", "4096").
func parseSize(s string) (int64, error) {
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(s)
	}
	digits, suffix := s[:end], s[end:]
	if digits == "" || strings.ContainsFunc(suffix, func(r rune) bool { return !unicode.IsLetter(r) }) {
		return 0, fmt.Errorf("invalid size %q: want a whole number of bytes with an optional suffix, e.g. 64Mi", s)
	}
	mult, ok := sizeSuffixes[suffix]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown suffix %q (want k, M, G, T, Ki, Mi, Gi or Ti)", s, suffix)
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt/mult {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return n * mult, nil
}

// sizeFlag is a flag.Value holding a parseSize byte count.
type sizeFlag int64

func (f *sizeFlag) String() string { return strconv.FormatInt(int64(*f), 10) }

func (f *sizeFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*f = sizeFlag(n)
	return nil
}

// allocOptions are the flags of alloc.
type allocOptions struct {
	bytes int64
	hold  waitFlag
}

func parseAllocArgs(args []string, stderr io.Writer) (allocOptions, error) {
	o := allocOptions{hold: waitFlag(forever)}
	var size sizeFlag
	fs := newFlagSet("alloc", "--bytes=SIZE [--hold=DURATION|infinity]", stderr)
	fs.Var(&size, "bytes", "how much memory to allocate: bytes, or with a suffix k, M, G, T, Ki, Mi, Gi, Ti (64Mi)")
	fs.Var(&o.hold, "hold", "how long to hold the memory before exiting 0")
	if err := parseFlags(fs, args); err != nil {
		return o, err
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "bytes" })
	if !set {
		return o, usageError(fs, "--bytes is required")
	}
	o.bytes = int64(size)
	return o, nil
}

func allocMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseAllocArgs(args, stderr)
	if err != nil {
		return usageStatus(err)
	}
	ctx, stop := signalContext()
	defer stop()
	return runAlloc(ctx, o, stdout)
}

// runAlloc allocates o.bytes, touching every page, and holds the memory for
// o.hold or until ctx ends.
func runAlloc(ctx context.Context, o allocOptions, stdout io.Writer) int {
	mem := allocate(int(o.bytes))
	fmt.Fprintf(stdout, "allocated %d bytes\n", len(mem))
	_ = wait(ctx, time.Duration(o.hold)) // a signal ends the hold early, and successfully
	runtime.KeepAlive(mem)
	return exitOK
}

// allocate returns n bytes with a write to every page, so that they are
// resident (count in RSS and the memory cgroup) and not just reserved.
func allocate(n int) []byte {
	mem := make([]byte, n)
	page := os.Getpagesize()
	for i := 0; i < n; i += page {
		mem[i] = 1
	}
	return mem
}
