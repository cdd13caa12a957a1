// Package cluster is runner/remote's cluster mode (issue 13): the suite
// runs as one batch/v1 Job (or bare pod) per node and replica of an
// existing cluster, pinned to its node, testing that node's kubelet from a
// privileged pod with --start-services=false. The run lives in the
// cluster: every object carries its run id, and the run namespace's
// annotations say what the run is, so any runner finds it again.
//
//   - PushSuiteImage: the suite image (images.Suite) pushed to a registry
//     and referenced by digest;
//   - Run and its Objects: pure functions rendering the run's namespace
//     (with its annotations), ServiceAccount, registry credentials' Secret,
//     ClusterRole, ClusterRoleBinding and per node and replica a Job or Pod;
//   - Preflight: the checks before anything is created (UsageError);
//   - Submit, MarkReleased, SetPhase, StopSuites, Delete: the run's life in
//     the cluster; Lookup and List rebuild a run and its members' status
//     from the cluster alone;
//   - Barrier: the synchronized start, which waits until every member's pod
//     runs and then releases them together through the start annotation;
//   - FollowLogs, Collect, Verify, CleanNodes: the results path, from each
//     pod's log and the report directory on its node;
//   - Reap and the janitor: runs whose runner never came back.
package cluster
