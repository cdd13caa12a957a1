// Package sandbox boots Debian's real systemd as PID 1 inside private
// namespaces on a host whose own PID 1 is not systemd, so that the systemd
// code paths of the harness (systemd-run, systemctl, journalctl, transient
// units with Delegate=yes) can be exercised against the real thing.
//
// A sandbox has private pid, mount, uts, ipc, cgroup and network namespaces;
// a throw-away overlay root (the host's / as the lower layer, a tmpfs as the
// upper one); the host's hybrid cgroup layout, rooted at a child cgroup of
// the caller's own cgroup in every host hierarchy; a fresh /proc, a read-only
// /sys, a minimal /dev, tmpfs /run and /tmp; and the host directories the
// caller binds in. It boots a minimal target (sysinit.target, journald, dbus)
// with the units that would touch kernel state shared with the host masked.
//
// Boot starts it and returns once `systemctl is-system-running` inside says
// running or degraded; Command runs a program inside (nsenter); Stop powers
// it off and removes everything it created. The namespaces are set up by a
// second stage that runs inside them before systemd is executed: the
// program that calls Boot re-executes itself with Stage2Arg as its first
// argument, and must hand that over to RunReexec (see IsReexec).
package sandbox
