// Command remote runs the node e2e suite on other machines: on hosts
// reachable over SSH (--hosts), on Compute Engine VMs it creates for the
// run and deletes afterwards (--images, --image-config-file), and as Jobs
// on the nodes of an existing cluster (cluster mode: --kubeconfig,
// --nodes, --registry; subcommands attach, status, collect, cancel and
// reap find a run again from the cluster alone).
//
//	go run ./runner/remote --hosts a=10.0.0.5,b=10.0.0.6:2222 --focus=Pods -- --kubelet-flags=--v=4
//	go run ./runner/remote --project p --zone us-central1-b --images debian-12-bookworm-v20261101 --image-project debian-cloud --install-deps
//	go run ./runner/remote --kubeconfig ~/.kube/config --nodes=all --registry=r.example:5000/e2e --detach
//	go run ./runner/remote attach --run-id 20261130-051235-6d0a
//	go run ./runner/remote --build-only
//	go run ./runner/remote reap --run-id 20261125-180102-a1b2c3 --results-dir /tmp/_artifacts/20261125-180102-a1b2c3
//
// It builds one archive holding everything a bare host needs (the
// binaries from --bin-dir, hack/install-deps.sh, a run script and an
// optional kubelet configuration), then, on every host in parallel,
// copies it over, runs the suite as root, fetches the report directory
// into <results dir>/<host>/ and removes its workspace, printing a line
// per step. A host passes only if the suite exited 0 and its JUnit report
// came back showing no failure. See README.md.
package main
