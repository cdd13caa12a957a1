// Command local builds the node e2e suite and its binaries (unless told not
// to) and runs it on this machine:
//
//	go run ./runner/local --focus=Pods -- --report-dir=/tmp/report
//
// which runs `ginkgo <ginkgo flags> e2e_node.test -- <test flags>` from the
// build output directory. Flags after "--" go to e2e_node.test unchanged.
package main
