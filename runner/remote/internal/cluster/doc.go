// Package cluster holds the foundations of runner/remote's cluster mode
// (issue 13): the suite runs as one batch/v1 Job (or bare pod) per node and
// replica of an existing cluster, pinned to its node, testing that node's
// kubelet from a privileged pod with --start-services=false.
//
// It provides, each usable and tested on its own:
//   - PushSuiteImage: the suite image (images.Suite: e2e_node.test, ginkgo,
//     the pause and test programs and busybox-static) pushed to a registry
//     and referenced by digest;
//   - Run and its Objects: pure functions rendering the run's namespace,
//     ServiceAccount, ClusterRole, ClusterRoleBinding and per node and
//     replica a Job or Pod, every object labelled with the run id;
//   - Barrier: the synchronized start, which waits until every member's pod
//     runs and then releases them together through the start annotation.
//
// The CLI, detach/attach, the results path and reaping are not built yet.
package cluster
