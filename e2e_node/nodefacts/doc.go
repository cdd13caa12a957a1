// Package nodefacts learns what the node e2e suite needs to know about a
// node the harness did not start (e2e_node.test --start-services=false
// with --kubeconfig or --host): which Node, whether its kubelet runs on
// this host, and its static pod path, pod logs dir, cgroup driver and
// root, CRI endpoint and root dir, from the kubelet's /configz (through
// the API server) and its command line here, with flags overriding each.
// A fact it cannot learn is recorded with the reason and the flag that
// gives it, so a spec that needs it skips saying so.
package nodefacts
