package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunExit(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	if got := runExit(context.Background(), exitOptions{code: 7, delay: 20 * time.Millisecond}, &out); got != 7 {
		t.Errorf("runExit = %d, want 7", got)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("exited after %v, want the 20ms delay first", d)
	}
	if out.String() != "exit: exiting with code 7\n" {
		t.Errorf("output %q", out.String())
	}
}

func TestRunTerminationMessage(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		desc       string
		opts       terminationMessageOptions
		wantStatus int
		wantStderr string
	}{
		{"written", terminationMessageOptions{path: filepath.Join(dir, "log"), message: "done: 42", code: 3}, 3, ""},
		{"empty message", terminationMessageOptions{path: filepath.Join(dir, "empty")}, 0, ""},
		{"unwritable", terminationMessageOptions{path: filepath.Join(dir, "no", "dir"), message: "x", code: 3}, exitFailure, "no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := runTerminationMessage(c.opts, &stderr); got != c.wantStatus {
				t.Errorf("status %d, want %d", got, c.wantStatus)
			}
			if !strings.Contains(stderr.String(), c.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), c.wantStderr)
			}
			if c.wantStderr != "" {
				return
			}
			if b, err := os.ReadFile(c.opts.path); err != nil || string(b) != c.opts.message {
				t.Errorf("%s holds %q, %v; want %q", c.opts.path, b, err, c.opts.message)
			}
		})
	}
}

func TestWait(t *testing.T) {
	if err := wait(context.Background(), time.Millisecond); err != nil {
		t.Errorf("wait 1ms = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	for _, d := range []time.Duration{time.Hour, forever} {
		if err := wait(ctx, d); err == nil {
			t.Errorf("wait(%v) with an ending context = nil, want its error", d)
		}
	}
}
