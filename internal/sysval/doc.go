// Package sysval checks the host the way a node's operator would, with the
// Kubernetes project's own system validators (k8s.io/system-validators):
// the operating system, the kernel version and configuration, and the
// cgroup controllers. It turns their findings into report lines and one
// error naming every required item that failed.
//
// The harness's hand-written preflight (e2e_node/options) keeps only what
// these validators do not cover: root, binaries, ports, flags and files.
package sysval
