package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLastLines(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, "(log is empty)"},
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb", 5, "a\nb"},
		{"only\n\n\n", 1, "only"},
	}
	for _, c := range cases {
		if got := LastLines([]byte(c.in), c.n); got != c.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestTailMissingFile(t *testing.T) {
	got := Tail(filepath.Join(t.TempDir(), "nope.log"), 5)
	if !strings.HasPrefix(got, "(no log:") {
		t.Fatalf("Tail of missing file = %q", got)
	}
}

func TestStopKillsGroupAndWaits(t *testing.T) {
	dir := t.TempDir()
	// The shell ignores SIGTERM and leaves a grandchild in its group: Stop
	// must still end both, and only return when they are gone.
	p := &Process{
		Name:        "sleeper",
		Path:        "/bin/sh",
		Args:        []string{"-c", "trap '' TERM; sleep 300 & echo started; wait"},
		LogPath:     filepath.Join(dir, "sleeper.log"),
		StopTimeout: 200 * time.Millisecond,
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Await(ctx, 10*time.Millisecond, func() (bool, error) {
		b, _ := os.ReadFile(p.LogPath)
		return strings.Contains(string(b), "started"), nil
	}); err != nil {
		t.Fatalf("child never started: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process group %d still exists after Stop: %v", pid, err)
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case err, ok := <-p.Err():
		if ok {
			t.Fatalf("Err delivered %v after a requested Stop", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Err not closed after Stop")
	}
}

func TestUnexpectedExitReportsTail(t *testing.T) {
	dir := t.TempDir()
	p := &Process{
		Name:    "crasher",
		Path:    "/bin/sh",
		Args:    []string{"-c", "echo first; echo 'fatal: bad config'; exit 3"},
		LogPath: filepath.Join(dir, "crasher.log"),
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.Err():
		var ee *ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("got %T %v, want *ExitError", err, err)
		}
		msg := err.Error()
		for _, want := range []string{"crasher exited unexpectedly", "exit status 3", "fatal: bad config", p.LogPath} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no error after the child exited")
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestStopBeforeStart(t *testing.T) {
	var p Process
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop before Start: %v", err)
	}
}

func TestStartMissingBinary(t *testing.T) {
	p := &Process{Name: "ghost", Path: "/nonexistent/ghost", LogPath: filepath.Join(t.TempDir(), "g.log")}
	err := p.Start()
	if err == nil || !strings.Contains(err.Error(), "ghost: start /nonexistent/ghost") {
		t.Fatalf("Start = %v", err)
	}
}

func TestWithLogTail(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "c.log")
	if err := os.WriteFile(log, []byte("one\ntwo\nlast words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := WithLogTail(errors.New("not ready"), "kubelet log", log, 2).Error()
	for _, want := range []string{"not ready", "kubelet log: " + log, "  | two", "  | last words"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "one") {
		t.Errorf("%q has more than 2 lines of tail", got)
	}
	// An exit error already carries the tail of its own log.
	ee := &ExitError{Name: "c", LogPath: log, Tail: "last words"}
	if err := WithLogTail(ee, "log", log, 2); err != ee {
		t.Errorf("WithLogTail wrapped an ExitError of the same log: %v", err)
	}
	if err := WithLogTail(ee, "other log", log+".other", 2); err == error(ee) {
		t.Error("WithLogTail did not add another log's tail")
	}
}

func TestAwait(t *testing.T) {
	fatal := errors.New("fatal")
	transient := errors.New("connection refused")
	cause := errors.New("not ready after 50ms")
	for _, tc := range []struct {
		name    string
		cond    func(n int) (bool, error) // n counts calls from 1
		wantErr []error                   // each must be found with errors.Is
		wantMsg string
	}{
		{"met at the third call", func(n int) (bool, error) { return n == 3, nil }, nil, ""},
		{"met after transient errors", func(n int) (bool, error) {
			if n < 3 {
				return false, NotYet(transient)
			}
			return true, nil
		}, nil, ""},
		{"a plain error stops at once", func(n int) (bool, error) { return false, fatal }, []error{fatal}, "fatal"},
		{"never met: ctx's cause", func(n int) (bool, error) { return false, nil }, []error{cause}, "not ready after 50ms"},
		{"never met: the cause wraps the last transient error", func(n int) (bool, error) {
			if n == 1 {
				return false, NotYet(errors.New("first"))
			}
			return false, NotYet(transient)
		}, []error{cause, transient}, "not ready after 50ms (last: connection refused)"},
		{"NotYet(nil) is polling again", func(n int) (bool, error) { return n == 2, NotYet(nil) }, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeoutCause(context.Background(), 50*time.Millisecond, cause)
			defer cancel()
			n := 0
			err := Await(ctx, time.Millisecond, func() (bool, error) { n++; return tc.cond(n) })
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Await = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantMsg {
				t.Fatalf("Await = %v, want %q", err, tc.wantMsg)
			}
			for _, w := range tc.wantErr {
				if !errors.Is(err, w) {
					t.Errorf("Await = %v: errors.Is(%v) is false", err, w)
				}
			}
		})
	}
}

func TestExitSummary(t *testing.T) {
	ee := &ExitError{Name: "kubelet", Command: "/bin/kubelet --v=2", State: "exit status 1", LogPath: "/r/kubelet.log", Tail: "line 1\nline 2"}
	if got, want := ExitSummary(fmt.Errorf("wrapped: %w", ee)).Error(), "kubelet exit status 1 (log /r/kubelet.log)"; got != want {
		t.Errorf("ExitSummary(ExitError) = %q, want %q", got, want)
	}
	other := errors.New("not an exit")
	if got := ExitSummary(other); got != other {
		t.Errorf("ExitSummary(other) = %v, want it unchanged", got)
	}
}
