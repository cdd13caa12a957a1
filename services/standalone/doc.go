// Package standalone is what standalone services mode (e2e_node.test
// --run-services-mode without --run-dir) adds to the services process for
// a kubelet the user runs: the run's credentials, the kubeconfigs, a
// kubelet configuration for this kind of host, the registry's containerd
// hosts.toml and credentials, and the kubelet and suite command lines it
// prints. Command lines, configuration and the summary are pure functions.
package standalone
