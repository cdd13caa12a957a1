package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	msgFile := filepath.Join(t.TempDir(), "termination-log")
	cases := []struct {
		desc       string
		args       []string
		wantStatus int
		wantStdout string // substring, checked when not empty
		wantStderr string // substring, checked when not empty
	}{
		{"no subcommand", nil, exitUsage, "", "usage: testimage COMMAND"},
		{"help", []string{"help"}, exitOK, "", "grpc-health"},
		{"unknown subcommand", []string{"frobnicate"}, exitUsage, "", `unknown subcommand "frobnicate"`},
		{"bad flag", []string{"serve", "--no-such-flag"}, exitUsage, "", "usage: testimage serve"},
		{"bad flag value", []string{"exit", "--code=x"}, exitUsage, "", "usage: testimage exit"},
		{"stray argument", []string{"pause", "now"}, exitUsage, "", `unexpected argument "now"`},
		{"subcommand help", []string{"log", "-h"}, exitOK, "", "-stream"},
		{"exit", []string{"exit", "--code=3"}, 3, "exiting with code 3", ""},
		{"termination message", []string{"termination-message", "--path=" + msgFile, "--message=bye", "--code=4"}, 4, "", ""},
		{"log", []string{"log", "--count=2", "--interval=1ms", "--message=hi"}, exitOK, "hi 1\nhi 2\n", ""},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(c.args, &stdout, &stderr); got != c.wantStatus {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", c.args, got, c.wantStatus, stderr.String())
			}
			if !strings.Contains(stdout.String(), c.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), c.wantStdout)
			}
			if !strings.Contains(stderr.String(), c.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), c.wantStderr)
			}
		})
	}
	if b, err := os.ReadFile(msgFile); err != nil || string(b) != "bye" {
		t.Errorf("termination message file: %q, %v; want bye", b, err)
	}
}
