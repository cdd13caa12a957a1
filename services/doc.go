// Package services is the node that the default mode of e2e_node.test
// (the harness process) brings up and tears down: the control-plane
// process it starts, the container runtime (containerd with a CNI bridge)
// it runs or the one it was given, the kubelet-mode process, the wait for
// Node Ready, and the teardown (also for --teardown and stale runs).
// NodeState, written to the run's node.json, records what it resolved and
// created, and every other process reads it from there.
//
// It also holds what the node's processes share: the kubelet's command
// line and configuration (kubelet.go, kubeletconfig.go), the node layout,
// the system cgroups, and the CRI client.
//
// Each other process has its own package:
//
//   - services/controlplane and services/imageserver: the services process
//     (--run-services-mode): etcd, kube-apiserver and the controllers, and
//     the suite's image registry beside them; services/standalone adds
//     what that process does alone, for a kubelet the user runs;
//   - services/kubeletmode: the kubelet-mode process (--run-kubelet-mode);
//   - services/registry: the in-process OCI registry imageserver serves.
//
// Command lines and configuration files are built by pure functions so they
// can be table-tested; processes are supervised through internal/proc.
package services
