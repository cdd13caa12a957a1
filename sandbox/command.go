package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// nsenterArgs returns the nsenter arguments that run args in every
// namespace and the root of process pid, in its working directory.
// (Not --wd=/: nsenter would resolve / in the caller's mount namespace.)
func nsenterArgs(pid int, args []string) []string {
	return append([]string{"--target", strconv.Itoa(pid), "--all", "--root", "--wd", "--"}, args...)
}

// commandArgs returns the command line of Sandbox.Command: the enter stage
// (reexec) joins the cgroup directories, then executes nsenter with args.
func commandArgs(reexec string, cgroupDirs []string, nsenter string, pid int, args []string) (path string, argv []string) {
	return reexec, enterArgs(cgroupDirs, append([]string{nsenter}, nsenterArgs(pid, args)...))
}

// pid1Args returns PID 1's command line. --show-status puts the boot's
// progress on the console, which Boot quotes when it fails.
func pid1Args(systemd string) []string {
	return []string{systemd, "--unit=" + TargetUnit, "--show-status=yes"}
}

// defaultPath is the PATH of PID 1 and, by default, of commands inside.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// pid1Env returns PID 1's environment. container= tells systemd it runs in
// a container; TERM=dumb keeps the console output free of cursor movement.
func pid1Env() []string {
	return []string{"container=other", "TERM=dumb", defaultPath}
}

// stage2Args is the second stage's command line (argv[0] names it in ps).
func stage2Args() []string {
	return []string{"systemd-sandbox", Stage2Arg}
}

// parseChildren parses /proc/PID/task/PID/children: pids separated by
// spaces.
func parseChildren(s string) []int {
	var out []int
	for _, f := range strings.Fields(s) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

// signalInside sends sig to the process that nsenter (pid) runs inside the
// sandbox, or to nsenter itself while it has not forked yet. nsenter then
// exits with its child's status. Killing nsenter first would orphan its
// child, which the kernel would hand to the host's init rather than the
// sandbox's (the reaper is chosen in nsenter's pid namespace), and
// systemd-shutdown would later wait for it.
func signalInside(pid int, sig syscall.Signal) error {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	children := parseChildren(string(b))
	if err != nil || len(children) == 0 {
		return ignoreESRCH(syscall.Kill(pid, sig))
	}
	for _, c := range children {
		if err := syscall.Kill(c, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return err
		}
	}
	return nil
}

func ignoreESRCH(err error) error {
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
