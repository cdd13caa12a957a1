// Package services brings up and tears down the parts of a real node that
// live outside the control plane: the container runtime (containerd with a
// CNI bridge), the kubelet (launched directly or through systemd-run), the
// locally built images, and the whole-node stack that the default mode of
// e2e_node.test drives.
//
// Command lines and configuration files are built by pure functions so they
// can be table-tested; processes are supervised through internal/proc.
package services
