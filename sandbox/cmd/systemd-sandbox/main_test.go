package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/node-e2e/harness/sandbox"
)

// asMainEnv makes the test binary behave as systemd-sandbox itself.
const asMainEnv = "SYSTEMD_SANDBOX_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if sandbox.IsReexec(os.Args) || os.Getenv(asMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantCmd   []string
		wantBinds []sandbox.Bind
		wantEnv   []string
		noScope   bool
		help      bool
		wantErr   string
	}{
		{name: "run", args: []string{"run", "--", "true"}, wantCmd: []string{"true"}},
		{name: "run without --", args: []string{"run", "echo", "-n", "x"}, wantCmd: []string{"echo", "-n", "x"}},
		{
			name:    "binds and env",
			args:    []string{"run", "--bind", "/work/main:/work/main", "--bind=/tmp/r:/r:ro", "--env", "A=1", "--no-scope", "--", "sh", "-c", "x"},
			wantCmd: []string{"sh", "-c", "x"}, noScope: true, wantEnv: []string{"A=1"},
			wantBinds: []sandbox.Bind{{Source: "/work/main", Target: "/work/main"}, {Source: "/tmp/r", Target: "/r", ReadOnly: true}},
		},
		{name: "shell", args: []string{"shell"}, wantCmd: []string{"/bin/bash", "-l"}},
		{name: "help", args: []string{"--help"}, help: true},
		{name: "subcommand help", args: []string{"run", "-h"}, help: true},
		{name: "no subcommand", args: nil, wantErr: "missing subcommand"},
		{name: "unknown subcommand", args: []string{"boot"}, wantErr: `unknown subcommand "boot"`},
		{name: "run without command", args: []string{"run", "--"}, wantErr: "missing command"},
		{name: "shell with arguments", args: []string{"shell", "x"}, wantErr: "unexpected arguments"},
		{name: "bad bind", args: []string{"run", "--bind", "rel:/x", "--", "true"}, wantErr: "want an absolute path"},
		{name: "bind mode", args: []string{"run", "--bind", "/a:/b:rx", "--", "true"}, wantErr: `mode "rx"`},
		{name: "bad env", args: []string{"run", "--env", "NOVALUE", "--", "true"}, wantErr: "KEY=VALUE"},
		{name: "bad name", args: []string{"run", "--name", "Bad/Name", "--", "true"}, wantErr: "name"},
		{name: "unknown flag", args: []string{"run", "--frobnicate", "--", "true"}, wantErr: "frobnicate"},
	}
	for _, tt := range tests {
		inv, err := parseArgs(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if inv.help != tt.help || !reflect.DeepEqual(inv.command, tt.wantCmd) || inv.scope == tt.noScope && !tt.help ||
			!reflect.DeepEqual(inv.cfg.Binds, tt.wantBinds) || !reflect.DeepEqual(inv.env, tt.wantEnv) {
			t.Errorf("%s: got %+v", tt.name, inv)
		}
	}
}

func TestCommandLine(t *testing.T) {
	if got := commandLine([]string{"true"}, false); !reflect.DeepEqual(got, []string{"true"}) {
		t.Errorf("without scope: %q", got)
	}
	want := []string{"systemd-run", "--scope", "--quiet", "--collect", "--", "sh", "-c", "x"}
	if got := commandLine([]string{"sh", "-c", "x"}, true); !reflect.DeepEqual(got, want) {
		t.Errorf("with scope: %q, want %q", got, want)
	}
}

func TestExitCode(t *testing.T) {
	run := func(script string) error { return exec.Command("sh", "-c", script).Run() }
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"exit 7", run("exit 7"), 7},
		{"killed", run("kill -KILL $$"), 128 + 9},
		{"not started", errors.New("exec: no such file"), exitSandbox},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err, io.Discard); got != tt.want {
			t.Errorf("%s: exit code %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"run", "--bind", "x"}, nil, io.Discard, &stderr); code != exitUsage {
		t.Errorf("bad --bind: exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr.String(), "want an absolute path") || !strings.Contains(stderr.String(), "Usage:") {
		t.Errorf("bad --bind: stderr %q", stderr.String())
	}
}

// command runs the test binary as systemd-sandbox.
func command(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	return cmd
}

func skipUnlessIntegration(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Geteuid() != 0 {
		t.Skip("integration test: needs root, not -short")
	}
	if _, err := os.Stat(sandbox.DefaultSystemd); err != nil {
		t.Skip("integration test: needs systemd installed")
	}
}

func TestIntegrationRun(t *testing.T) {
	skipUnlessIntegration(t)
	dir := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "exit code", args: []string{"run", "--", "sh", "-c", "exit 7"}, wantCode: 7},
		{name: "stdin and stdout", args: []string{"run", "--", "tr", "a-z", "A-Z"}, stdin: "hello\n", wantStdout: "HELLO\n"},
		{name: "stderr", args: []string{"run", "--", "sh", "-c", "echo oops >&2"}, wantStderr: "oops"},
		{name: "env and hostname", args: []string{"run", "--name", fmt.Sprintf("envtest-%d", os.Getpid()), "--env", "GREETING=hi", "--", "sh", "-c", "echo $GREETING $(hostname)"}, wantStdout: "hi envtest-"},
		{name: "bind, write through", args: []string{"run", "--bind", dir + ":/report", "--", "sh", "-c", "echo out > /report/f && cat /report/f"}, wantStdout: "out\n"},
		{name: "in a scope unit", args: []string{"run", "--", "sh", "-c", "grep name=systemd /proc/self/cgroup"}, wantStdout: ".scope"},
		{name: "timings", args: []string{"run", "-v", "--", "true"}, wantStderr: "booted in"},
		{name: "missing command inside", args: []string{"run", "--no-scope", "--", "/nonexistent"}, wantCode: 127, wantStderr: "nonexistent"},
		{name: "missing bind source", args: []string{"run", "--bind", "/nonexistent/x", "--", "true"}, wantCode: exitSandbox, wantStderr: "/nonexistent/x"},
		{name: "no systemd", args: []string{"run", "--systemd", "/nonexistent/systemd", "--", "true"}, wantCode: exitSandbox, wantStderr: "systemd binary"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("cmdtest-%d-%d", os.Getpid(), i)
			args := tt.args
			if !slices.Contains(args, "--name") {
				args = append([]string{args[0], "--name", name}, args[1:]...)
			} else {
				name = args[slices.Index(args, "--name")+1]
			}
			cmd := command(t, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(tt.stdin), &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantStdout) || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("exit %d (want %d)\nstdout: %q (want %q)\nstderr: %q (want %q)", code, tt.wantCode, stdout.String(), tt.wantStdout, stderr.String(), tt.wantStderr)
			}
			if left := cgroupsNamed(t, name); len(left) > 0 {
				t.Errorf("cgroups left behind: %q", left)
			}
		})
	}
}

// TestIntegrationNotRoot runs the command as nobody: it must refuse, name
// the problem, and exit 125.
func TestIntegrationNotRoot(t *testing.T) {
	skipUnlessIntegration(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A copy nobody can execute (the test binary's directory and t.TempDir
	// are private).
	dir, err := os.MkdirTemp("", "systemd-sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "systemd-sandbox")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--", "true")
	cmd.Env = []string{asMainEnv + "=1"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitSandbox || !strings.Contains(string(out), "must run as root") {
		t.Errorf("as nobody: %v, output %q; want exit %d saying it must run as root", err, out, exitSandbox)
	}
}

// cgroupsNamed returns the cgroup directories named name in the host's
// hierarchies, down to three levels below /sys/fs/cgroup/<hierarchy>.
func cgroupsNamed(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	hs, _ := filepath.Glob("/sys/fs/cgroup/*")
	for _, h := range hs {
		filepath.WalkDir(h, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if d.Name() == name {
				out = append(out, p)
			}
			if strings.Count(strings.TrimPrefix(p, h), "/") >= 3 {
				return filepath.SkipDir
			}
			return nil
		})
	}
	return out
}
