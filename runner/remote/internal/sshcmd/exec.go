package sshcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/node-e2e/harness/internal/shell"
)

// waitDelay bounds how long Run waits for a killed step's output pipes to
// close (a grandchild may still hold them).
const waitDelay = 5 * time.Second

// Step is one bounded child process, typically an ssh invocation.
type Step struct {
	// Name names the step in errors and progress lines, e.g. "copy".
	Name string
	// Path and Args are the executable and its arguments.
	Path string
	Args []string
	// Stdin, Stdout: the child's input and output; nil means none/discarded.
	Stdin  io.Reader
	Stdout io.Writer
	// Stderr, when set, also receives the child's standard error (which is
	// kept in any case for the error message).
	Stderr io.Writer
	// Timeout bounds the whole step. Required (> 0).
	Timeout time.Duration
}

// StepError reports a step that failed, timed out or was interrupted.
type StepError struct {
	// Step is the step's name.
	Step string
	// Command is the command line that was run.
	Command string
	// Timeout is set when the step ran out of time.
	Timeout time.Duration
	// Interrupted is set when the run was interrupted (its context was
	// cancelled) before the step finished.
	Interrupted bool
	// ExitCode is the child's exit status, or -1 if it did not exit
	// normally.
	ExitCode int
	// Stderr is the tail of the child's standard error.
	Stderr string
	// Err is the underlying error.
	Err error
}

func (e *StepError) Error() string {
	var what string
	switch {
	case e.Timeout > 0:
		what = fmt.Sprintf("timed out after %s", e.Timeout)
	case e.Interrupted:
		what = "interrupted"
	default:
		what = e.Err.Error()
	}
	msg := fmt.Sprintf("%s: %s", e.Step, what)
	if tail := lastLines(e.Stderr, 3); tail != "" {
		msg += ": " + tail
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

// Run runs s as a child process in a process group of its own, with a
// parent-death signal, and waits for it. When s.Timeout passes or ctx is
// cancelled, it kills the whole process group and returns a *StepError
// saying which. A non-zero exit is also a *StepError.
func Run(ctx context.Context, s Step) error {
	if s.Timeout <= 0 {
		return fmt.Errorf("%s: no timeout set", s.Name)
	}
	if err := ctx.Err(); err != nil {
		return &StepError{Step: s.Name, Command: commandLine(s), Interrupted: true, ExitCode: -1, Err: err}
	}
	stepCtx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	cmd := exec.CommandContext(stepCtx, s.Path, s.Args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	cmd.Stdin = s.Stdin
	cmd.Stdout = s.Stdout
	tail := &tailBuffer{max: 4096}
	cmd.Stderr = tail
	if s.Stderr != nil {
		cmd.Stderr = io.MultiWriter(tail, s.Stderr)
	}
	err := cmd.Run()
	if err == nil {
		return nil
	}
	se := &StepError{Step: s.Name, Command: commandLine(s), ExitCode: -1, Stderr: tail.String(), Err: err}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		se.ExitCode = ee.ExitCode()
	}
	switch {
	case ctx.Err() != nil:
		se.Interrupted = true
	case errors.Is(stepCtx.Err(), context.DeadlineExceeded):
		se.Timeout = s.Timeout
	}
	return se
}

func commandLine(s Step) string {
	return shell.Join(append([]string{s.Path}, s.Args...)...)
}

// lastLines returns the last n non-empty lines of s, joined with " | ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
