// Package fakesuite writes stand-ins for the suite's binaries, for tests
// of runner/remote that exercise everything except the node itself: the
// archive, ssh, the workspace, run-suite.sh, deadlines, collection and
// result parsing. The real suite is exercised by the integration test.
//
// The stand-in ginkgo takes its orders from the e2e_node.test flags it is
// given (what the runner passes through --test-args):
//
//	--fake-sleep=N      take N seconds (SIGINT ends it early: interrupted)
//	--fake-fail         the spec fails (exit 1)
//	--fake-no-report    write no JUnit report (exit 0)
//	--fake-exit=N       exit N with a passing report
//
// It writes its arguments, NUL-separated, to <report dir>/args, a
// kubelet.log and junit_01.xml there, and prints Ginkgo-like verbose
// output.
package fakesuite
