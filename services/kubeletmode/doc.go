// Package kubeletmode is the kubelet-mode process (e2e_node.test
// --run-kubelet-mode), which the harness starts once the control plane and
// the container runtime are up: it reads what the node recorded in the
// run's node.json (the kubelet's places, the launcher, the runtime
// endpoint, the system cgroups), writes the kubelet's configuration, and
// launches the kubelet, through systemd-run (a transient unit) or as a
// supervised child in its system cgroup, keeping it up (or restarting it,
// with --restart-kubelet or on SIGUSR1) until signalled.
package kubeletmode
