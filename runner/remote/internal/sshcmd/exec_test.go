package sshcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunSuccessAndOutput(t *testing.T) {
	var out bytes.Buffer
	err := Run(context.Background(), Step{Name: "echo", Path: "sh", Args: []string{"-c", "cat; echo done"},
		Stdin: strings.NewReader("in\n"), Stdout: &out, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "in\ndone\n" {
		t.Errorf("stdout = %q", out.String())
	}
}

func TestRunExitCodeAndStderr(t *testing.T) {
	err := Run(context.Background(), Step{Name: "fail", Path: "sh", Args: []string{"-c", "echo 'Permission denied (publickey).' >&2; exit 255"}, Timeout: 10 * time.Second})
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *StepError", err)
	}
	if se.ExitCode != 255 || se.Timeout != 0 || se.Interrupted {
		t.Errorf("got %+v", se)
	}
	if !strings.Contains(err.Error(), "fail: exit status 255: Permission denied (publickey).") {
		t.Errorf("message = %q", err)
	}
}

// TestRunTimeoutKillsGroup checks that a step past its deadline is
// reported as timed out, promptly, and that its whole process group is
// gone, including a grandchild that holds the output pipe.
func TestRunTimeoutKillsGroup(t *testing.T) {
	pidFile := t.TempDir() + "/pid"
	start := time.Now()
	var out bytes.Buffer
	err := Run(context.Background(), Step{Name: "hang", Path: "sh",
		Args:    []string{"-c", "sleep 300 & echo $! > " + pidFile + "; wait"},
		Stdout:  &out,
		Timeout: 300 * time.Millisecond})
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Run took %s after a 300ms timeout", elapsed)
	}
	var se *StepError
	if !errors.As(err, &se) || se.Timeout != 300*time.Millisecond {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if !strings.HasPrefix(err.Error(), "hang: timed out after 300ms") {
		t.Errorf("message = %q", err)
	}
	b, rerr := os.ReadFile(pidFile)
	if rerr != nil {
		t.Fatal(rerr)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		// The killed grandchild is reparented and may linger as a zombie
		// until it is reaped; a zombie counts as gone.
		if !alive(pid) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still running after the step was killed", pid)
		}
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	err := Run(ctx, Step{Name: "suite", Path: "sleep", Args: []string{"30"}, Timeout: time.Minute})
	var se *StepError
	if !errors.As(err, &se) || !se.Interrupted || se.Timeout != 0 {
		t.Fatalf("err = %v, want interrupted", err)
	}
	if err := Run(ctx, Step{Name: "next", Path: "true", Timeout: time.Minute}); err == nil {
		t.Error("a step started after cancellation ran")
	}
}

func TestRunNeedsTimeout(t *testing.T) {
	if err := Run(context.Background(), Step{Name: "x", Path: "true"}); err == nil {
		t.Error("Run without a timeout succeeded")
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}
