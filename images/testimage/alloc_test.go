package main

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	cases := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"0", 0, ""},
		{"4096", 4096, ""},
		{"1k", 1000, ""},
		{"100M", 100_000_000, ""},
		{"2G", 2_000_000_000, ""},
		{"1T", 1_000_000_000_000, ""},
		{"1Ki", 1024, ""},
		{"64Mi", 64 << 20, ""},
		{"3Gi", 3 << 30, ""},
		{"1Ti", 1 << 40, ""},
		{strconv.FormatInt(math.MaxInt64, 10), math.MaxInt64, ""},
		{"", 0, "whole number"},
		{"Mi", 0, "whole number"},
		{"-1Mi", 0, "whole number"},
		{"1.5Gi", 0, "whole number"},
		{" 1Mi", 0, "whole number"},
		{"64MB", 0, `unknown suffix "MB"`},
		{"64m", 0, `unknown suffix "m"`},
		{"1K", 0, `unknown suffix "K"`},
		{"1iM", 0, `unknown suffix "iM"`},
		{"8388608Ti", 0, "too large"},
		{"99999999999999999999", 0, "too large"},
	}
	for _, c := range cases {
		got, err := parseSize(c.in)
		switch {
		case c.wantErr == "" && (err != nil || got != c.want):
			t.Errorf("parseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("parseSize(%q) = %d, %v; want an error with %q", c.in, got, err, c.wantErr)
		}
	}
}

// rss returns this process's resident set size from /proc/self/status.
func rss(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func TestAllocateIsResident(t *testing.T) {
	const n = 64 << 20
	// Hand freed heap memory (an earlier run's allocation) back to the
	// kernel, so that reusing it shows in RSS only if it is touched.
	debug.FreeOSMemory()
	before := rss(t)
	mem := allocate(n)
	after := rss(t)
	runtime.KeepAlive(mem)
	if len(mem) != n {
		t.Fatalf("allocate(%d) returned %d bytes", n, len(mem))
	}
	if grew := after - before; grew < n*7/8 {
		t.Errorf("RSS grew by %d bytes after allocating %d: pages were not touched", grew, n)
	}
}

func TestRunAlloc(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	if got := runAlloc(context.Background(), allocOptions{bytes: 1 << 20, hold: waitFlag(20 * time.Millisecond)}, &out); got != exitOK {
		t.Errorf("runAlloc = %d, want 0", got)
	}
	if out.String() != "allocated 1048576 bytes\n" {
		t.Errorf("output %q, want %q", out.String(), "allocated 1048576 bytes\n")
	}
	if held := time.Since(start); held < 20*time.Millisecond {
		t.Errorf("held for %v, want at least 20ms", held)
	}

	// Held for ever, it returns 0 when the context (SIGTERM) ends.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if got := runAlloc(ctx, allocOptions{bytes: 4096, hold: waitFlag(forever)}, &out); got != exitOK {
		t.Errorf("runAlloc after SIGTERM = %d, want 0", got)
	}
}
