package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRunLog(t *testing.T) {
	cases := []struct {
		stream     string
		wantStdout string
		wantStderr string
	}{
		{"stdout", "tick 1\ntick 2\ntick 3\n", ""},
		{"stderr", "", "tick 1\ntick 2\ntick 3\n"},
		{"both", "tick 1\ntick 2\ntick 3\n", "tick 1\ntick 2\ntick 3\n"},
	}
	for _, c := range cases {
		t.Run(c.stream, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			start := time.Now()
			o := logOptions{interval: 10 * time.Millisecond, count: 3, stream: c.stream, message: "tick"}
			if got := runLog(context.Background(), o, &stdout, &stderr); got != exitOK {
				t.Errorf("runLog = %d, want 0", got)
			}
			if stdout.String() != c.wantStdout || stderr.String() != c.wantStderr {
				t.Errorf("stdout %q stderr %q, want %q and %q", stdout.String(), stderr.String(), c.wantStdout, c.wantStderr)
			}
			if d := time.Since(start); d < 20*time.Millisecond {
				t.Errorf("3 lines 10ms apart took %v, want at least 20ms", d)
			}
		})
	}
}

func TestRunLogForever(t *testing.T) {
	var stdout bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if got := runLog(ctx, logOptions{interval: time.Millisecond, stream: "stdout", message: "n"}, &stdout, nil); got != exitOK {
		t.Errorf("runLog = %d, want 0", got)
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) < 3 {
		t.Fatalf("only %d lines in 50ms at 1ms intervals", len(lines))
	}
	for i, l := range lines {
		if want := fmt.Sprintf("n %d", i+1); l != want {
			t.Fatalf("line %d = %q, want %q", i+1, l, want)
		}
	}
}
