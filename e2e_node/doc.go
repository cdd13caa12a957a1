// Package e2e_node is the node end-to-end suite and its test binary,
// e2e_node.test. The binary picks its mode from flags:
//
//   - --run-services-mode serves etcd, kube-apiserver and the namespace
//     controller (services/controlplane) and the suite's image registry
//     (services/imageserver) in this process until signalled; without
//     --run-dir, for a kubelet the user runs (services/standalone);
//   - --run-kubelet-mode launches a kubelet (systemd-run or a supervised
//     child) until signalled (services/kubeletmode);
//   - --teardown=DIR removes a node left running by --stop-services=false;
//   - by default it brings up a whole node (services.Node) by re-executing
//     itself into the two modes above, starting containerd, waiting for the
//     Node to be Ready, then runs the Ginkgo specs and tears everything
//     down.
//
// This is the only package that imports Ginkgo and the only one that parses
// flags: they bind into Config in one place, AddFlags.
package e2e_node
