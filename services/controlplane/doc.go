// Package controlplane runs, inside one process, what a node needs from a
// control plane: an embedded etcd, kube-apiserver, the namespace
// controller and a node taint controller (the condition taints a node
// lifecycle controller keeps). It is what e2e_node.test --run-services-mode
// serves.
//
// It is the only package of the harness that links the API server and etcd;
// keep everything that does not need them elsewhere, so that the rest of the
// harness's tests build quickly.
package controlplane
