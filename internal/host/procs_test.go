package host

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestProcessesMentioning(t *testing.T) {
	mark := filepath.Join(t.TempDir(), "run-mark")
	var cmds []*exec.Cmd
	for range 2 {
		// A shell waiting in its read builtin, the mark its $0: it never
		// forks (a forked child would hold the mark in its command line
		// until it execs, and be found too).
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		c := exec.Command("/bin/sh", "-c", "read -r line", mark)
		c.Stdin = r
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait(); w.Close() })
		cmds = append(cmds, c)
	}
	spared := cmds[1].Process.Pid
	if !CmdlineHolds(cmds[0].Process.Pid, mark) || CmdlineHolds(cmds[0].Process.Pid, mark+"-other") || CmdlineHolds(0, "") {
		t.Fatal("CmdlineHolds does not match the command line")
	}
	got := ProcessesMentioning(mark, spared)
	if !slices.Equal(got, []int{cmds[0].Process.Pid}) {
		t.Fatalf("ProcessesMentioning = %v, want [%d] (not the excluded %d, nor this test)", got, cmds[0].Process.Pid, spared)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The killed shell stays a zombie until Wait: its empty command line
	// no longer mentions the mark.
	killed, err := KillProcessesMentioning(ctx, mark, spared)
	if err != nil || !slices.Equal(killed, []int{cmds[0].Process.Pid}) {
		t.Fatalf("KillProcessesMentioning = %v, %v", killed, err)
	}
	if err := cmds[0].Wait(); err == nil {
		t.Error("the killed process exited cleanly")
	}
	if !CmdlineHolds(spared, mark) {
		t.Error("the excluded process was killed")
	}
	if CmdlineHolds(os.Getpid(), mark) {
		t.Error("this test's own command line holds the mark")
	}
}

func TestCmdline(t *testing.T) {
	if got := Cmdline("/proc", os.Getpid()); !slices.Equal(got, os.Args) {
		t.Errorf("Cmdline(self) = %q, want %q", got, os.Args)
	}
	if got := Cmdline("/proc", 0); got != nil {
		t.Errorf("Cmdline(0) = %q, want nil", got)
	}
	if got := Cmdline(t.TempDir(), 1); got != nil {
		t.Errorf("Cmdline of a missing process = %q, want nil", got)
	}
}

func TestProcessesNamed(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	got := ProcessesNamed("/proc", "sleep")
	if args := got[cmd.Process.Pid]; !slices.Equal(args, []string{"sleep", "30"}) {
		t.Errorf("ProcessesNamed(sleep)[%d] = %q, want [sleep 30]", cmd.Process.Pid, args)
	}
	if _, ok := ProcessesNamed("/proc", "no-such-program")[cmd.Process.Pid]; ok {
		t.Error("a process found under another program's name")
	}
}
