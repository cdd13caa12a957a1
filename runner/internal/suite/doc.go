// Package suite is the spec selection both runners (runner/local and
// runner/remote) pass to Ginkgo: focus, skip, label filter, parallelism,
// extra Ginkgo flags, extra e2e_node.test flags and the suite's timeout;
// its flags, their validation and the ginkgo command line.
package suite
