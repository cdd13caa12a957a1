// Package maketest tests the repository's Makefile and the hack/ scripts
// it calls, which are not Go: that `make test-e2e-node` hands every
// variable (FOCUS, TEST_ARGS, HOSTS, ARTIFACTS, ...) to the runners as data,
// verbatim, and evaluates nothing in it, in each of its modes (local,
// SYSTEMD=sandbox, REMOTE=true).
//
// The tests run the real make and bash with the runners replaced by a stub
// that records its command line: `go` (go run ./runner/local and
// ./runner/remote, go build in hack/build.sh) and systemd-sandbox are this
// test binary, which records its arguments instead when MAKETEST_ARGV_LOG
// is set. They need make, bash and coreutils, but no root and no node.
// The package has no non-test code.
package maketest
