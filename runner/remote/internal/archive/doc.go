// Package archive builds the test archive runner/remote copies to each
// host: one tar.gz, flat, holding everything a bare Debian host needs to
// run the node e2e suite, namely the binaries e2e_node.test, kubelet,
// ginkgo, pause and testimage, hack/install-deps.sh, run-suite.sh (which
// starts and stops the suite on the host) and, when given, the kubelet
// configuration file.
package archive
