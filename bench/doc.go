// Package bench measures the harness against its anchors for `make bench`:
// controller-runtime's envtest control plane (etcd and kube-apiserver
// processes) and upstream's `e2e_node.test --run-services-mode`, both built
// from the versions pinned in go.mod (bench/build-anchors.sh).
//
// The pure parts (statistics, the results table, log-line levels and
// times, phase tables, Ginkgo's report.json, process trees) have table
// tests; the parts that launch processes (Proc, AwaitReadyz, RSSSampler
// and the measurements in measure.go) run only from bench/cmd/bench,
// under /tmp/node-e2e.lock. It is a benchmark: it records, it asserts
// nothing about speed.
package bench
