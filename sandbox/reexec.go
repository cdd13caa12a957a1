package sandbox

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The hidden first arguments with which the package re-executes
// Config.Reexec (by default the running program, /proc/self/exe).
const (
	// Stage2Arg starts the second stage: PID 1 of the new namespaces, which
	// builds the root file system and executes systemd.
	Stage2Arg = "__systemd-sandbox-stage2"
	// EnterArg starts a command of Sandbox.Command: it joins the sandbox's
	// cgroups, then executes nsenter.
	EnterArg = "__systemd-sandbox-enter"
)

// IsReexec reports whether args (os.Args) is a re-execution by this
// package. A program that calls Boot must check it first thing in main (or
// TestMain) and then hand over to RunReexec:
//
//	if sandbox.IsReexec(os.Args) {
//		fmt.Fprintln(os.Stderr, sandbox.RunReexec(os.Args))
//		os.Exit(125)
//	}
func IsReexec(args []string) bool {
	return len(args) > 1 && (args[1] == Stage2Arg || args[1] == EnterArg)
}

// RunReexec runs the stage that args asks for. It returns only on failure:
// on success it has executed systemd or nsenter.
func RunReexec(args []string) error {
	if !IsReexec(args) {
		return fmt.Errorf("sandbox: %v is not a re-execution", args)
	}
	if args[1] == Stage2Arg {
		return runStage2()
	}
	return runEnter(args[2:])
}

// enterArgs returns the command line of the enter stage: the number of
// cgroup directories, the directories, then the nsenter command line.
func enterArgs(cgroupDirs []string, nsenter []string) []string {
	out := []string{"systemd-sandbox", EnterArg, strconv.Itoa(len(cgroupDirs))}
	out = append(out, cgroupDirs...)
	return append(out, nsenter...)
}

// runEnter moves this process into the sandbox's cgroups (so that the
// command lands in the sandbox's root cgroup in every hierarchy, not in the
// caller's), drops the capabilities PID 1 lacks from its bounding set (the
// command descends from the caller, not from PID 1) and executes nsenter,
// which inherits both.
func runEnter(args []string) error {
	// The bounding set is per thread until execve.
	runtime.LockOSThread()
	if len(args) == 0 {
		return fmt.Errorf("sandbox enter: missing arguments")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 || len(args) < n+2 {
		return fmt.Errorf("sandbox enter: malformed arguments %q", args)
	}
	dirs, argv := args[1:1+n], args[1+n:]
	if err := joinCgroups(dirs, os.Getpid()); err != nil {
		return fmt.Errorf("sandbox enter: %w", err)
	}
	for _, c := range capsDropped {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil {
			return fmt.Errorf("sandbox enter: drop capability %d: %w", c, err)
		}
	}
	if err := syscall.Exec(argv[0], argv, os.Environ()); err != nil {
		return fmt.Errorf("sandbox enter: exec %s: %w", argv[0], err)
	}
	return nil
}
