package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/node-e2e/harness/internal/proc"
)

// CmdlineHolds reports whether process pid runs with a command line
// holding s. A process that is gone, or a zombie (an exited process not
// yet reaped, whose command line is empty), holds nothing.
func CmdlineHolds(pid int, s string) bool {
	args := Cmdline("/proc", pid)
	return len(args) > 0 && strings.Contains(strings.Join(args, "\x00"), s)
}

// Cmdline returns the arguments of process pid under procRoot ("/proc"):
// nil for a process that is gone or a zombie (its command line is empty).
func Cmdline(procRoot string, pid int) []string {
	if pid <= 0 {
		return nil
	}
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// ProcessesNamed returns the arguments, by pid, of the live processes
// under procRoot ("/proc") whose program (the base name of the first
// argument) is name. Zombies, whose command line is empty, are left out.
func ProcessesNamed(procRoot, name string) map[int][]string {
	entries, _ := os.ReadDir(procRoot)
	out := map[int][]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if args := Cmdline(procRoot, pid); len(args) > 0 && filepath.Base(args[0]) == name {
			out[pid] = args
		}
	}
	return out
}

// ProcessesMentioning returns the pids (other than this process and
// exclude) whose command line holds s: containerd shims and other strays
// of a run are found by the run directory in their arguments.
func ProcessesMentioning(s string, exclude ...int) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || slices.Contains(exclude, pid) {
			continue
		}
		if CmdlineHolds(pid, s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// KillProcessesMentioning SIGKILLs every process but exclude whose command
// line holds s, and waits until they are gone or ctx ends. It returns the
// pids it killed.
func KillProcessesMentioning(ctx context.Context, s string, exclude ...int) ([]int, error) {
	pids := ProcessesMentioning(s, exclude...)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	err := proc.Await(ctx, 50*time.Millisecond, func() (bool, error) {
		left := ProcessesMentioning(s, exclude...)
		if len(left) == 0 {
			return true, nil
		}
		return false, proc.NotYet(fmt.Errorf("processes %v survive SIGKILL", left))
	})
	if err != nil {
		return pids, fmt.Errorf("kill processes mentioning %s: %w", s, err)
	}
	return pids, nil
}
